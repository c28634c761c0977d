package io.pdaltagent.command;

import io.pdaltagent.Agent;
import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;
import io.pdaltagent.config.ConfigSources;
import io.pdaltagent.config.EnvConfig;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * {@code pdagentd} (or {@code pdagentd run}): reads the configuration, starts the {@link Agent}, and
 * stops it on SIGTERM or SIGINT (a shutdown hook); returns once it has stopped. Exit 2 for a bad
 * setting (named, with the file and line when it is the file's), 1 when the agent cannot start.
 */
public final class RunCommand implements Command {
    @Override
    public String summary() {
        return "run the agent (the default)";
    }

    @Override
    public String usage(String name) {
        return "usage: pdagentd [" + name + "]\n\n"
                + "Runs the agent until SIGTERM or SIGINT: HTTP(S) ingest on PDAGENTD_HTTP_PORT / PDAGENTD_HTTPS_PORT,\n"
                + "the queue in PDAGENTD_DATA_DIR (or on RabbitMQ with PDAGENTD_BROKER_URL), delivery to\n"
                + "PDAGENTD_EVENTS_BASE_URL, and the admin listener on PDAGENTD_ADMIN_PORT.\n"
                + "Exit 0 after a clean stop, 1 when it cannot start, 2 for a bad setting.\n";
    }

    @Override
    public int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (!args.isEmpty()) {
            err.println("pdagentd run: takes no arguments; see pdagentd --help");
            return 2;
        }
        ConfigSources sources;
        AgentConfig config;
        try {
            sources = Settings.sources(env);
            config = EnvConfig.load(sources);
        } catch (ConfigException e) {
            err.println("pdagentd: " + e.getMessage());
            return 2;
        }
        // before the first logger is created, so that logback.xml picks it up
        if (config.debug() || System.getProperty("pdaltagent.log.level") == null) {
            System.setProperty("pdaltagent.log.level", config.debug() ? "DEBUG" : "INFO");
        }
        Agent agent;
        try {
            agent = Agent.start(config, Clock.systemUTC(), env);
        } catch (ConfigException e) {
            // a setting a stage checks at start (proxies, TLS files, CA bundle), with its file and line
            err.println("pdagentd: " + sources.locate(e).getMessage());
            return 2;
        } catch (RuntimeException e) {
            err.println("pdagentd: cannot start: " + e.getMessage());
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("shutdown").unstarted(agent::close));
        agent.awaitClose();
        return 0;
    }
}
