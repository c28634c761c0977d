package io.pdaltagent;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;
import io.pdaltagent.config.EnvConfig;
import java.time.Clock;

/**
 * {@code bin/pdagentd}: reads the configuration, starts the {@link Agent}, and stops it on SIGTERM
 * or SIGINT. Exit codes: 0 after a clean stop, 1 when the agent could not start, 2 for a bad setting.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && (args[0].equals("--version") || args[0].equals("-V"))) {
            System.out.println("pdagentd " + Agent.version());
            return;
        }
        if (args.length > 0 && args[0].equals("check-rules")) {
            System.exit(io.pdaltagent.transform.CheckRulesCommand.run(java.util.List.of(args).subList(1, args.length), System.out, System.err));
        }
        if (args.length > 0) {
            System.err.println("pdagentd takes no arguments; it is configured by PDAGENTD_* environment variables (see README.md)");
            System.exit(2);
        }
        AgentConfig config;
        try {
            config = EnvConfig.load(System.getenv());
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
