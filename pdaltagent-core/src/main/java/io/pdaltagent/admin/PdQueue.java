package io.pdaltagent.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.queue.DeliveryState;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;
import io.pdaltagent.config.ConfigSources;
import io.pdaltagent.config.EnvConfig;

/**
 * {@code bin/pd-queue}: inspect and manage the agent's queue, as PagerDuty Agent's {@code pd-queue}
 * did: {@code status}, {@code retry}, plus {@code list}, {@code show} and {@code purge} of dead
 * events (see {@link PdQueueArgs} for the command line, {@link PdQueueFormat} for the output).
 *
 * <p><b>Where the queue is.</b> The running agent's admin API ({@link QueueAdminHandler}) on its
 * admin listener, found as {@link Target} says: {@code PDQUEUE_AGENT_URL}, else the endpoint the
 * agent wrote into its data dir, else {@code PDAGENTD_ADMIN_PORT} (8081). When nothing listens there,
 * the agent's data directory is opened directly; if the agent holds it, the agent is running but its
 * admin API is elsewhere, which is said as such.
 *
 * <p><b>Exit codes.</b> 0 done; 1 failed (one line on stderr saying why; also a declined purge);
 * 2 usage error (argparse style: the usage line, then {@code pd-queue CMD: error: REASON}).
 *
 * <p>Start-up is kept light: the admin API path loads neither Jetty nor logging; the direct path
 * logs warnings only (see {@code pd-queue-logback.xml}), so stdout carries nothing but the answer.
 */
public final class PdQueue {
    static final String LOGBACK_CONFIG = "pd-queue-logback.xml";
    private static final ObjectMapper JSON = new ObjectMapper();

    private PdQueue() {
    }

    public static void main(String[] args) {
        // before any logger exists: the embedded queue logs at INFO, which is not pd-queue's output
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
        }
        int code = run(args, System.getenv(), System.in, System.out, System.err, stdinIsTerminal());
        System.out.flush();
        System.exit(code);
    }

    /** Runs one command line; returns the exit code. {@code terminal}: stdin is a terminal to ask on. */
    static int run(String[] args, Map<String, String> env, InputStream in, PrintStream out, PrintStream err,
                   boolean terminal) {
        PdQueueArgs.Command c;
        try {
            c = PdQueueArgs.parse(args);
        } catch (PdQueueArgs.UsageException e) {
            err.println(e.usage());
            err.println(e.getMessage());
            return 2;
        }
        switch (c.command()) {
            case "help" -> {
                out.print(c.text());
                return 0;
            }
            case "version" -> {
                out.println("pd-queue " + version());
                return 0;
            }
            default -> { }
        }
        if (c.command().equals("purge") && !c.yes() && !terminal) {
            err.println(PdQueueArgs.usage("purge"));
            err.println(PdQueueArgs.PROG + " purge: error: no terminal to ask for confirmation on; pass --yes to purge without asking");
            return 2;
        }
        try {
            Target target = Target.fromEnv(env);
            try (QueueBackend backend = connect(target)) {
                return execute(c, backend, in, out, err);
            }
        } catch (PdQueueException e) {
            err.println(PdQueueArgs.PROG + ": " + e.getMessage());
            return e.exitCode();
        }
    }

    /** The admin API when something listens at its URL, else the data directory. */
    static QueueBackend connect(Target t) {
        String why = t.agentUrl() == null ? "the agent's admin listener is off" : ApiQueueBackend.unreachable(t.agentUrl());
        if (why == null) {
            return new ApiQueueBackend(t.agentUrl(), t.token(), t.dataDir());
        }
        return DirectQueueBackend.open(t.dataDir(), t.agentUrl() == null ? "no URL" : t.agentUrl().toString(), why);
    }

    private static int execute(PdQueueArgs.Command c, QueueBackend b, InputStream in, PrintStream out, PrintStream err) {
        String key = c.key();
        switch (c.command()) {
            case "status" -> {
                JsonNode doc = b.status(key);
                out.print(c.json() ? json(doc) : PdQueueFormat.status(doc));
            }
            case "retry" -> {
                JsonNode doc = c.seqs().isEmpty() ? b.retry(key) : b.retrySeqs(c.seqs());
                out.print(c.json() ? json(doc) : PdQueueFormat.retried(doc));
                if (b.direct() && doc.path("retried").asLong() > 0) {
                    err.println(PdQueueArgs.PROG + ": the agent is not running; they are sent when it starts");
                }
            }
            case "list" -> {
                JsonNode doc = b.dead(key, c.limit());
                out.print(c.json() ? json(doc) : PdQueueFormat.dead(doc, key));
            }
            case "suppressed" -> {
                JsonNode doc = b.suppressed(key, c.limit());
                out.print(c.json() ? json(doc) : PdQueueFormat.suppressed(doc, key));
            }
            case "show" -> {
                JsonNode doc = b.event(c.seq());
                out.print(c.json() ? json(doc) : PdQueueFormat.event(doc));
            }
            case "purge" -> {
                return purge(c, b, in, out, err);
            }
            default -> throw new IllegalStateException("unknown command " + c.command());
        }
        return 0;
    }

    private static int purge(PdQueueArgs.Command c, QueueBackend b, InputStream in, PrintStream out, PrintStream err) {
        DeliveryState state = c.purgeState();
        if (!c.seqs().isEmpty()) {
            if (!c.yes()) {
                err.print("Purge " + c.seqs().size() + " chosen event(s) where they are dead? [y/N] ");
                err.flush();
                if (!confirmed(in)) {
                    err.println("Nothing purged.");
                    return 1;
                }
            }
            JsonNode doc = b.purgeSeqs(c.seqs());
            out.print(c.json() ? json(doc) : PdQueueFormat.purged(doc, state));
            return 0;
        }
        if (!c.yes()) {
            JsonNode totals = b.status(c.key()).path("totals");
            long n = totals.path(state == DeliveryState.DEAD ? "dead" : "succeeded").asLong();
            if (n > 0) {
                err.print("Purge " + n + " " + QueueAdmin.stateName(state) + " event(s)"
                        + (c.key() == null ? "" : " of service key " + c.key()) + "? [y/N] ");
                err.flush();
                if (!confirmed(in)) {
                    err.println("Nothing purged.");
                    return 1;
                }
            }
        }
        JsonNode doc = b.purge(state, c.key());
        out.print(c.json() ? json(doc) : PdQueueFormat.purged(doc, state));
        return 0;
    }

    private static boolean confirmed(InputStream in) {
        try {
            String answer = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
            if (answer == null) {
                return false;
            }
            String a = answer.trim().toLowerCase(Locale.ROOT);
            return a.equals("y") || a.equals("yes");
        } catch (IOException e) {
            return false;
        }
    }

    private static String json(JsonNode doc) {
        try {
            return JSON.writeValueAsString(doc) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed document always serializes", e);
        }
    }

    static String version() {
        String v = PdQueue.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Whether stdin is a terminal: told by bin/pd-queue, else asked of the JVM's console. */
    static boolean stdinIsTerminal() {
        String told = System.getProperty("pdqueue.stdin.tty");
        if (told != null) {
            return Boolean.parseBoolean(told);
        }
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            // Java 22+: a console exists even when redirected; isTerminal() says whether it is one
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException | ClassCastException e) {
            return false;
        }
    }

    /**
     * Where the agent and its queue are, from the agent's own configuration (environment over the
     * configuration file, as the agent reads it):
     * <ol>
     *   <li>{@code PDQUEUE_AGENT_URL} when set;</li>
     *   <li>else the endpoint the running agent wrote into its data dir ({@link AgentEndpoint}),
     *       when that URL answers as the same agent instance (a killed agent's file is ignored);</li>
     *   <li>else {@code http://PDAGENTD_ADMIN_BIND_ADDRESS:PDAGENTD_ADMIN_PORT} (127.0.0.1:8081),
     *       or no URL when the admin listener is off.</li>
     * </ol>
     * The data dir is the agent's: {@code PDAGENTD_DATA_DIR}, else {@code /var/lib/pdaltagent} when it
     * exists, else {@code ~/.pdaltagent}.
     *
     * @param agentUrl the agent's admin URL, or null when its admin listener is off
     * @param token the admin token to send, or null
     * @param how where the URL came from, for messages
     */
    record Target(URI agentUrl, String token, Path dataDir, String how) {
        static Target fromEnv(Map<String, String> env) {
            return fromEnv(env, Path.of(ConfigSources.DEFAULT_FILE_NAME));
        }

        static Target fromEnv(Map<String, String> env, Path defaultConfigFile) {
            AgentConfig config;
            try {
                config = EnvConfig.load(ConfigSources.load(env, defaultConfigFile));
            } catch (ConfigException e) {
                throw new PdQueueException(2, e.getMessage());
            }
            Path dataDir = config.queue().dataDir();
            String token = config.admin().token();
            String url = blankToNull(env.get("PDQUEUE_AGENT_URL"));
            if (url != null) {
                return new Target(parseUrl("PDQUEUE_AGENT_URL", url), token, dataDir, "PDQUEUE_AGENT_URL");
            }
            AgentEndpoint.Endpoint written;
            try {
                written = AgentEndpoint.read(dataDir);
            } catch (java.io.IOException e) {
                throw new PdQueueException(1, e.getMessage());
            }
            if (written != null && written.instance().equals(ApiQueueBackend.instanceAt(written.url()))) {
                return new Target(written.url(), token != null ? token : written.token(), dataDir,
                        dataDir.resolve(AgentEndpoint.FILE_NAME).toString());
            }
            AgentConfig.AdminConfig admin = config.admin();
            if (admin.port() == 0) {
                return new Target(null, token, dataDir, "PDAGENTD_ADMIN_PORT=0");
            }
            String host = "127.0.0.1";
            String bind = admin.bindAddress();
            if (!bind.equals("0.0.0.0") && !bind.equals("::")) {
                host = bind.contains(":") && !bind.startsWith("[") ? "[" + bind + "]" : bind;
            }
            return new Target(parseUrl("PDAGENTD_ADMIN_PORT", "http://" + host + ":" + admin.port()), token, dataDir,
                    "PDAGENTD_ADMIN_PORT");
        }

        @Override
        public String toString() {
            return "Target[agentUrl=" + agentUrl + ", token=" + (token == null ? "none" : "<masked>") + ", dataDir=" + dataDir
                    + ", how=" + how + "]";
        }

        private static URI parseUrl(String variable, String url) {
            try {
                URI u = new URI(url);
                String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
                if ((scheme.equals("http") || scheme.equals("https")) && u.getHost() != null) {
                    return u;
                }
            } catch (URISyntaxException e) {
                // said below
            }
            throw new PdQueueException(2, variable + ": '" + url + "' is not an http:// or https:// URL with a host");
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s.trim();
        }
    }
}
