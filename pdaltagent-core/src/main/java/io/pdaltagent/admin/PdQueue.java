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

/**
 * {@code bin/pd-queue}: inspect and manage the agent's queue, as PagerDuty Agent's {@code pd-queue}
 * did: {@code status}, {@code retry}, plus {@code list}, {@code show} and {@code purge} of dead
 * events (see {@link PdQueueArgs} for the command line, {@link PdQueueFormat} for the output).
 *
 * <p><b>Where the queue is.</b> The running agent's admin API ({@link QueueAdminHandler}) at
 * {@code PDQUEUE_AGENT_URL}, default {@code http://127.0.0.1:$PDAGENTD_HTTP_PORT} (8080). When nothing
 * listens there, the agent's data directory ({@code PDAGENTD_DATA_DIR}, default
 * {@code ~/.pdaltagent}) is opened directly; if the agent holds it, the agent is running but its
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
        String why = t.agentUrl() == null ? "the agent's HTTP and HTTPS ports are both off" : ApiQueueBackend.unreachable(t.agentUrl());
        if (why == null) {
            return new ApiQueueBackend(t.agentUrl());
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
                JsonNode doc = b.retry(key);
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
     * Where the agent and its queue are, from the environment.
     *
     * @param agentUrl the agent's base URL, or null when both its ports are off
     */
    record Target(URI agentUrl, Path dataDir) {
        static Target fromEnv(Map<String, String> env) {
            String dir = blankToNull(env.get("PDAGENTD_DATA_DIR"));
            Path dataDir = dir != null ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".pdaltagent");
            String url = blankToNull(env.get("PDQUEUE_AGENT_URL"));
            if (url != null) {
                return new Target(parseUrl("PDQUEUE_AGENT_URL", url), dataDir);
            }
            String host = "127.0.0.1";
            String bind = blankToNull(env.get("PDAGENTD_BIND_ADDRESS"));
            if (bind != null && !bind.equals("0.0.0.0") && !bind.equals("::") && QueueAdmin.isLocalHostName(bind)) {
                host = bind.contains(":") && !bind.startsWith("[") ? "[" + bind + "]" : bind;
            }
            int http = port(env, "PDAGENTD_HTTP_PORT", 8080);
            int https = port(env, "PDAGENTD_HTTPS_PORT", 8443);
            if (http != 0) {
                return new Target(parseUrl("PDAGENTD_HTTP_PORT", "http://" + host + ":" + http), dataDir);
            }
            if (https != 0) {
                return new Target(parseUrl("PDAGENTD_HTTPS_PORT", "https://" + host + ":" + https), dataDir);
            }
            return new Target(null, dataDir);
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

        private static int port(Map<String, String> env, String name, int def) {
            String v = blankToNull(env.get(name));
            if (v == null) {
                return def;
            }
            try {
                int p = Integer.parseInt(v.trim());
                if (p >= 0 && p <= 65535) {
                    return p;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new PdQueueException(2, name + ": '" + v + "' is not a port number");
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s.trim();
        }
    }
}
