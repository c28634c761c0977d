package io.pdaltagent.cli;

import io.pdaltagent.common.Args;
import java.util.ArrayList;
import java.util.List;

/**
 * The argparse parsers of {@code pd-nagios} and {@code pd-sensu}: {@link Args} for the spellings of
 * the flags, plus what those scripts asked of argparse on top — required flags, {@code choices},
 * {@code -h}, and argparse's usage line and error wording ({@code usage: ...} then
 * {@code <prog>: error: ...}, exit 2).
 *
 * <pre>{@code
 * PdIntegrationArgs parser = new PdIntegrationArgs("pd-sensu", "Enqueue an event from Sensu to PagerDuty.", List.of(
 *         Option.required("-k", "--integration-key", "INTEGRATION_KEY", "PagerDuty Sensu integration key")));
 * Args a = parser.parse(argv); // CliException (exit 2) or Help
 * }</pre>
 */
final class PdIntegrationArgs {
    /**
     * One flag that takes a value.
     *
     * @param shortName e.g. {@code -k}
     * @param longName e.g. {@code --service-key}; the id of its values in {@link Args}
     * @param metavar the value's name in the usage line
     * @param required argparse {@code required=True}
     * @param choices the allowed values (argparse {@code choices}), or empty for any
     * @param help the help text
     */
    record Option(String shortName, String longName, String metavar, boolean required, List<String> choices,
            String help) {
        static Option required(String shortName, String longName, String metavar, String help) {
            return new Option(shortName, longName, metavar, true, List.of(), help);
        }

        static Option optional(String shortName, String longName, String metavar, String help) {
            return new Option(shortName, longName, metavar, false, List.of(), help);
        }

        static Option choice(String shortName, String longName, List<String> choices, String help) {
            return new Option(shortName, longName, null, true, List.copyOf(choices), help);
        }

        /** {@code -k/--service-key}, as argparse names a flag in its messages. */
        String names() {
            return shortName + "/" + longName;
        }

        /** {@code -k SERVICE_KEY} or {@code -t {A,B}}. */
        String withValue() {
            return shortName + " " + (choices.isEmpty() ? metavar : "{" + String.join(",", choices) + "}");
        }
    }

    /** {@code -h} / {@code --help} was given: the caller prints {@link #help()} and exits 0. */
    static final class Help extends Exception {
        private static final long serialVersionUID = 1L;

        Help() {
            super("help", null, false, false);
        }
    }

    private final String prog;
    private final String description;
    private final List<Option> options;
    private final Args.Spec spec = new Args.Spec();

    PdIntegrationArgs(String prog, String description, List<Option> options) {
        this.prog = prog;
        this.description = description;
        this.options = List.copyOf(options);
        spec.flag("-h", "--help");
        for (Option o : options) {
            spec.value(o.shortName(), o.longName());
        }
    }

    String prog() {
        return prog;
    }

    /**
     * Parses the arguments as the script's argparse parser did.
     *
     * @throws CliException a usage error (exit 2) in argparse's words: a bad or missing value, an
     *     invalid choice, a required flag missing, an unrecognized argument (checked in that order)
     */
    Args parse(String[] argv) throws CliException, Help {
        Args a = CliException.parse(spec, argv);
        if (a.has("--help")) {
            throw new Help();
        }
        for (Args.Given g : a.given()) {
            Option o = option(g.id());
            if (o != null && !o.choices().isEmpty() && !o.choices().contains(g.value())) {
                StringBuilder allowed = new StringBuilder();
                for (String c : o.choices()) {
                    allowed.append(allowed.length() > 0 ? ", " : "").append(pyRepr(c));
                }
                throw CliException.usage("argument " + o.names() + ": invalid choice: " + pyRepr(g.value())
                        + " (choose from " + allowed + ")");
            }
        }
        List<String> missing = new ArrayList<>();
        for (Option o : options) {
            if (o.required() && !a.has(o.longName())) {
                missing.add(o.names());
            }
        }
        if (!missing.isEmpty()) {
            throw CliException.usage("the following arguments are required: " + String.join(", ", missing));
        }
        if (!a.positional().isEmpty()) {
            throw CliException.usage("unrecognized arguments: " + String.join(" ", a.positional()));
        }
        return a;
    }

    /** argparse's usage line. */
    String usage() {
        StringBuilder b = new StringBuilder("usage: ").append(prog).append(" [-h]");
        for (Option o : options) {
            b.append(' ').append(o.required() ? o.withValue() : "[" + o.withValue() + "]");
        }
        return b.toString();
    }

    /** argparse's help text. */
    String help() {
        StringBuilder b = new StringBuilder(usage()).append("\n\n").append(description).append("\n\noptional arguments:\n");
        b.append("  -h, --help            show this help message and exit\n");
        for (Option o : options) {
            String value = o.choices().isEmpty() ? o.metavar() : "{" + String.join(",", o.choices()) + "}";
            String flags = "  " + o.shortName() + " " + value + ", " + o.longName() + " " + value;
            b.append(flags);
            if (flags.length() < 24) {
                b.append(" ".repeat(24 - flags.length()));
            } else {
                b.append('\n').append(" ".repeat(24));
            }
            b.append(o.help()).append('\n');
        }
        return b.toString();
    }

    private Option option(String id) {
        for (Option o : options) {
            if (o.longName().equals(id)) {
                return o;
            }
        }
        return null;
    }

    /** Python's {@code repr} of a string, as argparse quotes a bad choice: {@code 'FLAPPINGSTART'}. */
    static String pyRepr(String s) {
        char quote = s.contains("'") && !s.contains("\"") ? '"' : '\'';
        StringBuilder b = new StringBuilder().append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c == quote) {
                        b.append('\\');
                    }
                    b.append(c);
                }
            }
        }
        return b.append(quote).toString();
    }
}
