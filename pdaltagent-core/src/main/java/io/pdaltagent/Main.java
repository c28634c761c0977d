package io.pdaltagent;

import io.pdaltagent.command.CheckConfigCommand;
import io.pdaltagent.command.Command;
import io.pdaltagent.command.ConfigCommand;
import io.pdaltagent.command.ImportPdagentCommand;
import io.pdaltagent.command.Settings;
import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;
import io.pdaltagent.config.ConfigSources;
import java.time.Clock;
import java.util.Arrays;
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
            public int run(List<String> args, Map<String, String> env, java.io.PrintStream out, java.io.PrintStream err) {
                return io.pdaltagent.transform.CheckRulesCommand.run(args, out, err);
            }
        });
        return c;
    }

    public static void main(String[] args) {
        String first = args.length == 0 ? "run" : args[0];
        switch (first) {
            case "run" -> {
                if (args.length > 1) {
                    System.err.println("pdagentd run: takes no arguments; see pdagentd --help");
                    System.exit(2);
                }
                runAgent();
            }
            case "--version", "-V", "version" -> System.out.println("pdagentd " + Agent.version());
            case "--help", "-h", "help" -> System.out.print(help());
            default -> {
                Command command = commands().get(first);
                if (command == null) {
                    System.err.println("pdagentd: unknown command or option '" + first + "'; see pdagentd --help");
                    System.exit(2);
                    return;
                }
                int code = command.run(List.of(Arrays.copyOfRange(args, 1, args.length)), System.getenv(), System.out,
                        System.err);
                System.out.flush();
                System.exit(code);
            }
        }
    }

    static String help() {
        StringBuilder s = new StringBuilder();
        s.append("usage: pdagentd [run | COMMAND [ARGS] | --help | --version]\n\n");
        s.append("Without a command, runs the agent: HTTP(S) ingest on PagerDuty's paths, a durable queue,\n");
        s.append("ordered delivery to PagerDuty, and the admin listener that pd-queue uses.\n\n");
        s.append("commands:\n");
        int width = 14;
        s.append(pad("run", width)).append("run the agent (the default)\n");
        for (Map.Entry<String, Command> e : commands().entrySet()) {
            s.append(pad(e.getKey(), width)).append(e.getValue().summary()).append('\n');
        }
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
        return "  " + s + " ".repeat(Math.max(1, width - s.length()));
    }

    private static void runAgent() {
        AgentConfig config;
        try {
            config = Settings.load(System.getenv());
        } catch (ConfigException e) {
            System.err.println("pdagentd: " + e.getMessage());
            System.exit(2);
            return;
        }
        // before the first logger is created, so that logback.xml picks it up
        if (config.debug() || System.getProperty("pdaltagent.log.level") == null) {
            System.setProperty("pdaltagent.log.level", config.debug() ? "DEBUG" : "INFO");
        }
        Agent agent;
        try {
            agent = Agent.start(config, Clock.systemUTC(), System.getenv());
        } catch (ConfigException e) {
            System.err.println("pdagentd: " + e.getMessage());
            System.exit(2);
            return;
        } catch (RuntimeException e) {
            System.err.println("pdagentd: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("shutdown").unstarted(agent::close));
        agent.awaitClose();
    }
}
