package io.pdaltagent.common;

import java.util.ArrayList;
import java.util.List;

/**
 * Command-line options in the style of Python's argparse, which PagerDuty Agent's and PDaltagent's
 * tools used, so that every command line that worked with them works here: {@code -k VALUE},
 * {@code -kVALUE}, {@code --service-key VALUE}, {@code --service-key=VALUE}, a unique prefix of a
 * long name ({@code --desc}), bundled flags ({@code -qk KEY}), repeated options, and {@code --}
 * ending the options. A value may contain anything, {@code =} and spaces included; a value that
 * starts with {@code -} must be attached ({@code -d-x}, {@code --description=-x}), as in argparse.
 *
 * <pre>{@code
 * Args.Spec spec = new Args.Spec()
 *         .value("-k", "--service-key", "--routing-key")
 *         .flag("-q", "--quiet");
 * Args a = spec.parse(argv);            // Args.UsageException (exit 2) with argparse's wording
 * String key = a.last("--service-key"); // null when absent
 * }</pre>
 */
public final class Args {
    /** A command line that cannot be parsed; the message is argparse's words, the exit code 2. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message, null, false, false);
        }
    }

    /** One option: its names (the first long one is its id) and whether it takes a value. */
    private record Option(String[] names, boolean takesValue) {
        String id() {
            for (String n : names) {
                if (n.startsWith("--")) {
                    return n;
                }
            }
            return names[0];
        }

        /** As argparse names it in errors: {@code -k/--service-key}. */
        String display() {
            return names.length > 1 && !names[0].startsWith("--") ? names[0] + "/" + id() : id();
        }
    }

    /** An option as it appeared, in command-line order. */
    public record Given(String id, String value) {
    }

    /** The options a command knows. */
    public static final class Spec {
        private final List<Option> options = new ArrayList<>();

        /** An option that takes a value; names like {@code -k}, {@code --service-key}. */
        public Spec value(String... names) {
            options.add(new Option(names, true));
            return this;
        }

        /** An option without a value. */
        public Spec flag(String... names) {
            options.add(new Option(names, false));
            return this;
        }

        public Args parse(String[] argv) throws UsageException {
            return new Args(this, argv);
        }

        /** {@code -k/--service-key} for the option with that id; the id itself when unknown. */
        public String display(String id) {
            for (Option o : options) {
                if (o.id().equals(id)) {
                    return o.display();
                }
            }
            return id;
        }

        private Option byShort(char c) {
            for (Option o : options) {
                for (String n : o.names) {
                    if (n.length() == 2 && n.charAt(0) == '-' && n.charAt(1) == c) {
                        return o;
                    }
                }
            }
            return null;
        }

        private Option byLong(String name) throws UsageException {
            Option prefixMatch = null;
            int prefixMatches = 0;
            StringBuilder candidates = new StringBuilder();
            for (Option o : options) {
                for (String n : o.names) {
                    if (!n.startsWith("--")) {
                        continue;
                    }
                    if (n.equals(name)) {
                        return o;
                    }
                    if (n.startsWith(name)) {
                        if (prefixMatch != o) {
                            prefixMatches++;
                            if (candidates.length() > 0) {
                                candidates.append(", ");
                            }
                            candidates.append(n);
                        }
                        prefixMatch = o;
                    }
                }
            }
            if (prefixMatches > 1) {
                throw new UsageException("ambiguous option: " + name + " could match " + candidates);
            }
            return prefixMatch;
        }
    }

    private final Spec spec;
    private final List<Given> given = new ArrayList<>();
    private final List<String> positional = new ArrayList<>();

    private Args(Spec spec, String[] argv) throws UsageException {
        this.spec = spec;
        int i = 0;
        while (i < argv.length) {
            String a = argv[i++];
            if (a.equals("--")) {
                while (i < argv.length) {
                    positional.add(argv[i++]);
                }
            } else if (a.startsWith("--")) {
                int eq = a.indexOf('=');
                String name = eq < 0 ? a : a.substring(0, eq);
                Option o = spec.byLong(name);
                if (o == null) {
                    throw new UsageException("unrecognized arguments: " + a);
                }
                if (!o.takesValue) {
                    if (eq >= 0) {
                        throw new UsageException("argument " + o.display() + ": ignored explicit argument '"
                                + a.substring(eq + 1) + "'");
                    }
                    given.add(new Given(o.id(), null));
                } else if (eq >= 0) {
                    given.add(new Given(o.id(), a.substring(eq + 1)));
                } else {
                    given.add(new Given(o.id(), nextValue(o, argv, i)));
                    i++;
                }
            } else if (a.length() > 1 && a.charAt(0) == '-' && !isNegativeNumber(a)) {
                // one or more short options: -q, -kVALUE, -k VALUE, -qk VALUE
                for (int j = 1; j < a.length(); j++) {
                    Option o = spec.byShort(a.charAt(j));
                    if (o == null) {
                        throw new UsageException("unrecognized arguments: " + (j == 1 ? a : "-" + a.charAt(j)));
                    }
                    if (!o.takesValue) {
                        given.add(new Given(o.id(), null));
                        continue;
                    }
                    if (j + 1 < a.length()) {
                        String v = a.substring(j + 1);
                        given.add(new Given(o.id(), v.startsWith("=") ? v.substring(1) : v));
                    } else {
                        given.add(new Given(o.id(), nextValue(o, argv, i)));
                        i++;
                    }
                    break;
                }
            } else {
                positional.add(a);
            }
        }
    }

    private static String nextValue(Option o, String[] argv, int i) throws UsageException {
        if (i >= argv.length) {
            throw new UsageException("argument " + o.display() + ": expected one argument");
        }
        String v = argv[i];
        if (v.length() > 1 && v.charAt(0) == '-' && !isNegativeNumber(v)) {
            throw new UsageException("argument " + o.display() + ": expected one argument (a value starting with '-' "
                    + "must be attached: " + o.names[0] + (o.names[0].startsWith("--") ? "=" : "") + v + ")");
        }
        return v;
    }

    private static boolean isNegativeNumber(String a) {
        if (a.length() < 2 || a.charAt(0) != '-') {
            return false;
        }
        for (int i = 1; i < a.length(); i++) {
            char c = a.charAt(i);
            if ((c < '0' || c > '9') && c != '.') {
                return false;
            }
        }
        return true;
    }

    /** Every option given, in command-line order. */
    public List<Given> given() {
        return given;
    }

    /** Arguments that are no options (and everything after {@code --}). */
    public List<String> positional() {
        return positional;
    }

    public boolean has(String id) {
        for (Given g : given) {
            if (g.id.equals(id)) {
                return true;
            }
        }
        return false;
    }

    /** The last value given for the option (as argparse: the last one wins), or null. */
    public String last(String id) {
        String v = null;
        for (Given g : given) {
            if (g.id.equals(id)) {
                v = g.value;
            }
        }
        return v;
    }

    /** Every value given for a repeatable option, in order. */
    public List<String> all(String id) {
        List<String> l = new ArrayList<>();
        for (Given g : given) {
            if (g.id.equals(id)) {
                l.add(g.value);
            }
        }
        return l;
    }

    /** {@code -k/--service-key} for an option id. */
    public String display(String id) {
        return spec.display(id);
    }
}
