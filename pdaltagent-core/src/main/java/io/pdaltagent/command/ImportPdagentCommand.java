package io.pdaltagent.command;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;
import io.pdaltagent.config.ConfigSources;
import io.pdaltagent.config.EnvConfig;
import io.pdaltagent.migrate.PdagentConf;
import io.pdaltagent.migrate.PdagentImport;
import io.pdaltagent.migrate.PdagentQueueDir;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code pdagentd import-pdagent [DIR] [--conf FILE] [--include-dead]}: moves PagerDuty Agent's
 * pending events from {@code DIR/outqueue/pdq} (DIR defaults to {@code /var/lib/pdagent}) into this
 * agent's queue ({@link PdagentImport}; its dead events become dead events here), and carries the
 * settings of its {@code /etc/pdagent.conf} that have an equivalent here into this agent's
 * configuration file (unless the environment or the file already sets them); reports what it did and which settings it could not carry over.
 * Exit 0 done, 1 failed (nothing half-done: every event is either still in PagerDuty Agent's queue
 * or in this one), 2 usage or setting error.
 */
public final class ImportPdagentCommand implements Command {
    static final String USAGE = "usage: pdagentd import-pdagent [DIR] [--conf FILE] [--include-dead]";

    /** Why a PagerDuty Agent option has no equivalent, for the report. */
    private static final Map<String, String> NO_EQUIVALENT = Map.of(
            "send_interval_secs", "this agent delivers each event as soon as it is queued",
            "cleanup_interval_secs", "delivered records are pruned after PDAGENTD_DELIVERED_RETENTION_SECONDS; dead events stay until purged",
            "cleanup_threshold_secs", "delivered records are pruned after PDAGENTD_DELIVERED_RETENTION_SECONDS; dead events stay until purged",
            "backoff_interval_secs", "retries back off exponentially from PDAGENTD_RETRY_BASE_MILLIS to PDAGENTD_RETRY_MAX_MILLIS",
            "retry_limit_for_possible_errors", "events are retried until delivered, rejected, or older than PDAGENTD_MAX_EVENT_AGE_SECONDS",
            "log_level", "INFO is the default; only 'debug' maps (to PDAGENTD_DEBUG=true)",
            "event_api_url", "PDAGENTD_EVENTS_BASE_URL sets where events go (default https://events.pagerduty.com)");

    @Override
    public String summary() {
        return "move PagerDuty Agent's queued events (and /etc/pdagent.conf settings) into this agent";
    }

    @Override
    public String usage(String name) {
        return USAGE + "\n\n"
                + "Moves PagerDuty Agent's pending events into this agent's queue, in their order, each once (a\n"
                + "re-run imports nothing twice); its dead events become dead events here (pd-queue list,\n"
                + "pd-queue retry). Reports what it did. PagerDuty Agent must be stopped; this agent may run.\n\n"
                + "  DIR             PagerDuty Agent's data dir, holding outqueue/pdq (default /var/lib/pdagent)\n"
                + "  --conf FILE     its configuration, whose proxy and source_address settings are carried over\n"
                + "                  into this agent's configuration file (default /etc/pdagent.conf when present)\n"
                + "  --include-dead  import its dead events as pending instead (as pd-queue retry -a would)\n";
    }

    @Override
    public int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        Path dir = PdagentQueueDir.DEFAULT_DATA_DIR;
        Path conf = null;
        boolean includeDead = false;
        boolean dirGiven = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--include-dead" -> includeDead = true;
                case "--conf" -> {
                    if (i + 1 >= args.size()) {
                        err.println(USAGE);
                        err.println("pdagentd import-pdagent: --conf needs a file");
                        return 2;
                    }
                    conf = Path.of(args.get(++i));
                }
                default -> {
                    if (a.startsWith("-") || dirGiven) {
                        err.println(USAGE);
                        err.println("pdagentd import-pdagent: unrecognized argument '" + a + "'");
                        return 2;
                    }
                    dir = Path.of(a);
                    dirGiven = true;
                }
            }
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
        Path dataDir = config.queue().dataDir();
        try {
            PdagentQueueDir queue = PdagentQueueDir.locate(dir);
            PdagentImport.Report r = new PdagentImport(queue, dataDir, includeDead).run();
            report(r, queue.dir(), dataDir, includeDead, out);
        } catch (IOException e) {
            err.println("pdagentd import-pdagent: " + e.getMessage());
            return 1;
        }
        if (conf == null && Files.exists(PdagentConf.DEFAULT_FILE)) {
            conf = PdagentConf.DEFAULT_FILE;
        }
        if (conf != null) {
            try {
                settings(PdagentConf.read(conf), conf, env, sources, out);
            } catch (IOException e) {
                err.println("pdagentd import-pdagent: cannot read " + conf + ": " + e.getMessage());
                return 1;
            }
        }
        return 0;
    }

    private static void report(PdagentImport.Report r, Path from, Path dataDir, boolean includeDead, PrintStream out) {
        out.println("Imported " + r.imported() + " pending event(s) from " + from + " into " + dataDir.resolve("spool")
                + " (the agent queues them in their order, at once when it runs, else when it starts).");
        if (r.skipped() > 0) {
            out.println("Skipped " + r.skipped() + " event(s) an earlier run imported.");
        }
        if (includeDead) {
            out.println("Imported " + r.dead() + " dead event(s) as pending (--include-dead).");
        } else {
            out.println("Kept " + r.dead() + " dead event(s) as dead: the agent queues them as dead events ('"
                    + PdagentImport.DEAD_IN_PDAGENT + "'; pd-queue list shows them, pd-queue retry sends them again).");
        }
        if (!r.notes().isEmpty()) {
            out.println(r.unusable() + " pending file(s) could not be events" + (r.setAside() > 0 ? ", " + r.setAside()
                    + " file(s) are over PagerDuty's size limit and were moved to " + dataDir.resolve(PdagentImport.DEAD_DIR) : "")
                    + ":");
            r.notes().forEach(n -> out.println("  " + n));
        }
        out.println("Left " + r.delivered() + " delivered record(s) (suc_) and " + r.unfinished()
                + " unfinished enqueue(s) (tmp_) in " + from + ".");
    }

    /** Carries the options with an equivalent into the configuration file; reports the others. */
    private static void settings(PdagentConf pdagent, Path conf, Map<String, String> env, ConfigSources sources, PrintStream out)
            throws IOException {
        out.println("Settings of " + conf + ":");
        Map<String, String> equivalents = pdagent.equivalents();
        Map<String, String> toAdd = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : equivalents.entrySet()) {
            ConfigSources.Value already = sources.value(e.getKey());
            if (already != null) {
                out.println("  " + e.getKey() + " is already set (" + already.where() + "); " + conf + "'s value is not used");
                continue;
            }
            String problem = check(env, e.getKey(), e.getValue());
            if (problem != null) {
                out.println("  not carried over: " + problem);
                continue;
            }
            toAdd.put(e.getKey(), e.getValue());
        }
        for (Map.Entry<String, String> o : pdagent.options().entrySet()) {
            String option = o.getKey();
            boolean mapped = switch (option) {
                case "source_address" -> equivalents.containsKey("PDAGENTD_SOURCE_ADDRESS");
                case "log_level" -> equivalents.containsKey("PDAGENTD_DEBUG");
                case "https_proxy", "http_proxy", "no_proxy" -> true;
                default -> false;
            };
            if (mapped) {
                continue;
            }
            String why = option.equals("source_address") ? "0.0.0.0 lets the system choose, as this agent does by default"
                    : NO_EQUIVALENT.getOrDefault(option, "not known to this agent");
            out.println("  " + option + " = " + o.getValue() + ": not carried over (" + why + ")");
        }
        if (toAdd.isEmpty()) {
            return;
        }
        Path target = sources.file() != null && !sources.file().toString().equals("/dev/null") ? sources.file() : Settings.DEFAULT_FILE;
        StringBuilder yaml = new StringBuilder("\n# carried over from " + conf + " by pdagentd import-pdagent\n");
        toAdd.forEach((k, v) -> yaml.append(k).append(": ").append(quoted(v)).append('\n'));
        try {
            Files.createDirectories(target.getParent());
            Files.writeString(target, yaml, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            toAdd.forEach((k, v) -> out.println("  " + k + ": " + Settings.shown(k, v) + " (added to " + target + ")"));
        } catch (IOException e) {
            out.println("  cannot write " + target + " (" + e.getMessage() + "); add these lines to it yourself:");
            out.print(yaml.toString().replaceAll("(?m)^", "    "));
        }
    }

    /** Why this value would stop the agent, or null when it is usable. */
    private static String check(Map<String, String> env, String key, String value) {
        Map<String, String> trial = new HashMap<>(env);
        trial.put(key, value);
        try {
            EnvConfig.load(ConfigSources.fromEnv(trial));
            return null;
        } catch (ConfigException e) {
            return e.getMessage();
        }
    }

    /** A YAML double-quoted scalar (JSON's escaping is YAML's). */
    private static String quoted(String v) {
        StringBuilder s = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                default -> {
                    if (c < 0x20) {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        return s.append('"').toString();
    }
}
