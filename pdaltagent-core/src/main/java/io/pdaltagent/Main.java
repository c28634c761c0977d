package io.pdaltagent;

import io.pdaltagent.command.CheckConfigCommand;
import io.pdaltagent.command.Command;
import io.pdaltagent.command.ConfigCommand;
import io.pdaltagent.command.ImportPdagentCommand;
import io.pdaltagent.command.RunCommand;
import io.pdaltagent.config.ConfigSources;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/pdagentd}: without arguments (or with {@code run}) reads the configuration, starts the
 * {@link Agent}, and stops it on SIGTERM or SIGINT; with a command name runs that {@link Command}.
 * Exit codes: 0 after a clean stop or a command that succeeded, 1 when the agent could not start or
 * a command failed, 2 for a bad setting or a usage error.
 */
public final class Main {
    private Main() {
    }

    /**
     * The sub-commands, in the order {@code --help} lists them. A new command is one class and one
     * line here (e.g. {@code check-rules}).
     */
    static Map<String, Command> commands() {
        Map<String, Command> c = new LinkedHashMap<>();
        c.put("run", new RunCommand());
        c.put("config", new ConfigCommand());
        c.put("check-config", new CheckConfigCommand());
        c.put("import-pdagent", new ImportPdagentCommand());
        c.put("hash-password", new io.pdaltagent.command.HashPasswordCommand());
        c.put("verify", new io.pdaltagent.command.VerifyCommand());
        c.put("check-rules", new Command() {
            @Override
            public String summary() {
                return "validate a rules file and show what it does to an event: check-rules FILE [EVENT.json]";
            }

            @Override
            public String usage(String name) {
                return "usage: pdagentd " + name + " FILE [EVENT.json]\n\n"
                        + "Validates the rules file FILE as the agent loads it (PDAGENTD_RULES_FILE) and lists its rules\n"
                        + "and maintenance windows; with EVENT.json (an event as posted to the agent) shows what each\n"
                        + "rule does to it now, and the event as it would be stored.\n"
                        + "Exit 0 the file is valid, 1 it is not (every problem named), 2 usage or unreadable event.\n";
            }

            @Override
            public int run(List<String> args, Map<String, String> env, java.io.PrintStream out, java.io.PrintStream err) {
                return io.pdaltagent.transform.CheckRulesCommand.run(args, out, err);
            }
        });
        return c;
    }

    public static void main(String[] args) {
        System.exit(main(List.of(args), System.getenv(), System.out, System.err));
    }

    /** The command line's work; returns the exit code (for {@code run}: once the agent has stopped). */
    static int main(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        String first = args.isEmpty() ? "run" : args.get(0);
        List<String> rest = args.isEmpty() ? List.of() : args.subList(1, args.size());
        switch (first) {
            case "--version", "-V", "version" -> {
                out.println("pdagentd " + Agent.version());
                return 0;
            }
            case "--help", "-h", "help" -> {
                if (rest.isEmpty()) {
                    out.print(help());
                    return 0;
                }
                Command command = commands().get(rest.get(0));
                if (command == null || rest.size() > 1) {
                    err.println("pdagentd help: " + (command == null ? "no command '" + rest.get(0) + "'" : "takes one command name")
                            + "; the commands are " + String.join(", ", commands().keySet()));
                    return 2;
                }
                out.print(command.usage(rest.get(0)));
                return 0;
            }
            default -> {
                Command command = commands().get(first);
                if (command == null) {
                    err.println("pdagentd: unknown command or option '" + first + "'; see pdagentd --help");
                    return 2;
                }
                if (rest.size() == 1 && (rest.get(0).equals("--help") || rest.get(0).equals("-h"))) {
                    out.print(command.usage(first));
                    return 0;
                }
                int code = command.run(rest, env, out, err);
                out.flush();
                return code;
            }
        }
    }

    static String help() {
        Map<String, Command> commands = commands();
        // the longest name, and two spaces before its text
        int width = "--version".length();
        for (String name : commands.keySet()) {
            width = Math.max(width, name.length());
        }
        width += 2;
        StringBuilder s = new StringBuilder();
        s.append("usage: pdagentd [COMMAND [ARGS]]   (no command: run)\n");
        s.append("       pdagentd help COMMAND | COMMAND --help | --help | --version\n\n");
        s.append("Without a command, runs the agent: HTTP(S) ingest on PagerDuty's paths, a durable queue,\n");
        s.append("ordered delivery to PagerDuty, and the admin listener that pd-queue uses.\n\n");
        s.append("commands:\n");
        for (Map.Entry<String, Command> e : commands.entrySet()) {
            s.append(pad(e.getKey(), width)).append(e.getValue().summary()).append('\n');
        }
        s.append(pad("help COMMAND", width)).append("what the command does and its arguments\n");
        s.append(pad("--help", width)).append("print this help\n");
        s.append(pad("--version", width)).append("print the version\n\n");
        s.append("configuration (each setting is an environment variable, e.g. PDAGENTD_HTTP_PORT):\n");
        s.append("  1. the environment, which wins;\n");
        s.append("  2. the configuration file: ").append(ConfigSources.CONFIG_FILE_VARIABLE).append(", else ")
                .append(ConfigSources.DEFAULT_FILE_NAME).append(" when it exists;\n");
        s.append("     YAML, one 'VARIABLE_NAME: value' per line, the same names as the environment;\n");
        s.append("  3. the defaults.\n");
        s.append("pdagentd config lists every setting with its value and source; see README.md for each one.\n");
        s.append("exit codes: 0 done, 1 failed, 2 bad setting or usage.\n");
        return s.toString();
    }

    private static String pad(String s, int width) {
        return "  " + s + " ".repeat(width - Math.min(width - 1, s.length()));
    }
}
