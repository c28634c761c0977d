package io.pdaltagent.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.MalformedURLException;
import java.net.NoRouteToHostException;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Hands events to the local agent: what every command of this module (pd-send, the monitoring
 * integrations) uses to queue an event.
 *
 * <p>{@link #submit} POSTs the event to the agent at {@code PDSEND_EVENTS_BASE_URL} (default
 * {@value #DEFAULT_BASE_URL}) on the event's own path, exactly as the tool would post it to
 * PagerDuty. When the agent cannot be reached — the connection is refused or times out, or the agent
 * answers 502/503/504 (it cannot store events now) — the event is written to the agent's spool on
 * this host ({@code <data dir>/spool/}, see {@link Spool}), which the agent imports when it runs: an
 * event handed to {@code submit} is accepted, spooled, or rejected with a reason, never dropped.
 * A "queue full" answer (429, or 403 on the v1 paths) is the agent asking us to slow down, not an
 * outage: it is returned as {@link Result.Rejected}, not spooled.
 *
 * <p>HTTP goes through {@link HttpURLConnection} (not {@code java.net.http}, whose start-up costs
 * hundreds of milliseconds), never through a proxy (the agent is local), with a
 * {@value #CONNECT_TIMEOUT_MILLIS} ms connect and {@value #READ_TIMEOUT_MILLIS} ms read timeout.
 * {@code PDSEND_SKIP_CERT_VERIFY=true} turns certificate and host name checks off for an HTTPS base
 * URL (the agent's generated certificate is self-signed); nothing else does.
 *
 * <pre>{@code
 * AgentClient client = AgentClient.fromEnv(System.getenv());
 * switch (client.submit(OutboundEvent.json("/v2/enqueue", body, null))) {
 *     case AgentClient.Result.Accepted a -> System.out.println("Event processed. Incident Key: " + a.dedupKey());
 *     case AgentClient.Result.Spooled s -> ... // queued on disk; the agent sends it when it runs
 *     case AgentClient.Result.Rejected r -> ... // exit 1 with r.message()
 * }
 * }</pre>
 *
 * <p>Not thread-safe: one instance per command run.
 */
public final class AgentClient {
    public static final String DEFAULT_BASE_URL = "http://127.0.0.1:8080";
    /** The agent is local: if it has not accepted the connection in 2 s, it is not there. */
    static final int CONNECT_TIMEOUT_MILLIS = 2_000;
    /** The agent answers once the event is on disk, within milliseconds; 10 s means it is stuck. */
    static final int READ_TIMEOUT_MILLIS = 10_000;
    /** Longest answer read; the agent's answers are a few hundred bytes. */
    private static final int MAX_ANSWER_BYTES = 64 * 1024;

    private final String baseUrl;
    private final String configProblem;
    private final boolean skipCertVerify;
    private final Spool spool;
    private final String userAgent;
    private String unreachableReason;

    private AgentClient(String baseUrl, String configProblem, boolean skipCertVerify, Spool spool) {
        this.baseUrl = baseUrl;
        this.configProblem = configProblem;
        this.skipCertVerify = skipCertVerify;
        this.spool = spool;
        this.userAgent = "pd-send/" + version();
    }

    /**
     * A client configured by {@code PDSEND_EVENTS_BASE_URL}, {@code PDSEND_SKIP_CERT_VERIFY} and,
     * for the spool, {@code PDAGENTD_DATA_DIR}. A bad value is reported by {@link #submit}.
     */
    public static AgentClient fromEnv(Map<String, String> env) {
        String url = env.get("PDSEND_EVENTS_BASE_URL");
        url = url == null || url.isBlank() ? DEFAULT_BASE_URL : url.strip();
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        String problem = urlProblem(url);
        String skip = env.get("PDSEND_SKIP_CERT_VERIFY");
        boolean skipVerify = false;
        if (skip != null && !skip.isBlank()) {
            switch (skip.strip().toLowerCase(Locale.ROOT)) {
                case "true", "1", "yes", "on" -> skipVerify = true;
                case "false", "0", "no", "off" -> skipVerify = false;
                default -> {
                    if (problem == null) {
                        problem = "PDSEND_SKIP_CERT_VERIFY: '" + skip + "' is not true or false";
                    }
                }
            }
        }
        return new AgentClient(url, problem, skipVerify, Spool.fromEnv(env));
    }

    /** The base URL events are posted to, without a trailing slash. */
    public String baseUrl() {
        return baseUrl;
    }

    /**
     * Why the agent could not be reached on the last {@link #submit} that returned
     * {@link Result.Spooled} (e.g. {@code connection refused}), else null.
     */
    public String unreachableReason() {
        return unreachableReason;
    }

    /** Posts the event to the agent; when the agent cannot be reached, writes it to the local spool. */
    public Result submit(OutboundEvent event) throws CliException {
        if (configProblem != null) {
            throw new CliException(configProblem);
        }
        unreachableReason = null;
        String reason;
        try {
            Answer answer = post(event);
            int status = answer.status;
            if (status >= 200 && status < 300) {
                return new Result.Accepted(status, keyFrom(answer.body, event.dedupKey()));
            }
            if (status == 502 || status == 503 || status == 504) {
                // the agent (or a proxy in front of it) cannot take the event now: keep it on disk
                reason = "it answered " + status + ": " + errorMessage(answer.body, status);
            } else {
                // the agent read the event and refused it (400, 413) or asks us to slow down (429/403)
                return new Result.Rejected(status, errorMessage(answer.body, status));
            }
        } catch (IOException e) {
            reason = describe(e);
        }
        Result.Spooled spooled = spool.store(event, baseUrl, reason);
        unreachableReason = reason;
        return spooled;
    }

    /** What the agent answered. */
    public sealed interface Result {
        /** The agent stored the event (2xx); {@code dedupKey} is the key it answered with, or null. */
        record Accepted(int status, String dedupKey) implements Result {
        }

        /** The agent could not be reached; the event is in {@code file}, which the agent imports when it runs. */
        record Spooled(Path file, String dedupKey) implements Result {
        }

        /** 4xx/5xx: {@code message} is PagerDuty's {@code errors} joined with "; " (or its message). */
        record Rejected(int status, String message) implements Result {
        }
    }

    // ------------------------------------------------------------------ HTTP

    private record Answer(int status, String body) {
    }

    private Answer post(OutboundEvent event) throws IOException {
        URL url;
        try {
            url = new URI(baseUrl + event.path()).toURL();
        } catch (URISyntaxException | MalformedURLException | IllegalArgumentException e) {
            throw new IOException("bad URL " + baseUrl + event.path() + ": " + e.getMessage());
        }
        HttpURLConnection c = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
        if (skipCertVerify && c instanceof javax.net.ssl.HttpsURLConnection https) {
            Tls.trustAll(https);
        }
        byte[] body = event.body().getBytes(StandardCharsets.UTF_8);
        c.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
        c.setReadTimeout(READ_TIMEOUT_MILLIS);
        c.setInstanceFollowRedirects(false);
        c.setUseCaches(false);
        c.setDoOutput(true);
        c.setRequestMethod("POST");
        c.setRequestProperty("Content-Type", event.contentType());
        c.setRequestProperty("Accept", "application/json");
        c.setRequestProperty("User-Agent", userAgent);
        c.setFixedLengthStreamingMode(body.length);
        try {
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            return new Answer(status, in == null ? "" : readAll(in));
        } finally {
            c.disconnect();
        }
    }

    private static String readAll(InputStream in) throws IOException {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(512);
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0 && out.size() < MAX_ANSWER_BYTES) {
                out.write(buf, 0, n);
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    /** The key of a success answer ({@code dedup_key} on v2, {@code incident_key} on v1), else the event's own. */
    static String keyFrom(String body, String fallback) {
        Map<String, Object> o = tryObject(body);
        if (o != null) {
            if (o.get("dedup_key") instanceof String k && !k.isEmpty()) {
                return k;
            }
            if (o.get("incident_key") instanceof String k && !k.isEmpty()) {
                return k;
            }
        }
        return fallback;
    }

    /** PagerDuty's {@code errors} joined with "; ", else its {@code message}, else the start of the body. */
    static String errorMessage(String body, int status) {
        Map<String, Object> o = tryObject(body);
        if (o != null) {
            if (o.get("errors") instanceof List<?> errors && !errors.isEmpty()) {
                StringBuilder b = new StringBuilder();
                for (Object e : errors) {
                    if (b.length() > 0) {
                        b.append("; ");
                    }
                    b.append(e instanceof String s ? s : Json.write(e));
                }
                return CliException.oneLine(b.toString());
            }
            if (o.get("message") instanceof String m && !m.isBlank()) {
                return CliException.oneLine(m);
            }
        }
        String text = CliException.oneLine(body);
        if (text.isEmpty()) {
            return "HTTP " + status;
        }
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    private static Map<String, Object> tryObject(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            return Json.parseObject(body);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A short reason for a failed connection, e.g. {@code connection refused}. */
    static String describe(IOException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (e instanceof ConnectException) {
            return m.isEmpty() ? "connection refused" : m.toLowerCase(Locale.ROOT);
        }
        if (e instanceof SocketTimeoutException) {
            return m.toLowerCase(Locale.ROOT).contains("connect") ? "no connection within "
                    + CONNECT_TIMEOUT_MILLIS / 1000 + " s" : "no answer within " + READ_TIMEOUT_MILLIS / 1000 + " s";
        }
        if (e instanceof UnknownHostException) {
            return "unknown host " + m;
        }
        if (e instanceof NoRouteToHostException) {
            return "no route to host";
        }
        if (e instanceof javax.net.ssl.SSLException) {
            return "TLS: " + m;
        }
        return (m.isEmpty() ? e.getClass().getSimpleName() : m);
    }

    private static String urlProblem(String url) {
        String lower = url.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
            return "PDSEND_EVENTS_BASE_URL: '" + url + "' is not an http:// or https:// URL";
        }
        try {
            URI u = new URI(url);
            if (u.getHost() == null) {
                return "PDSEND_EVENTS_BASE_URL: '" + url + "' has no host";
            }
            if (u.getRawQuery() != null || u.getRawFragment() != null) {
                return "PDSEND_EVENTS_BASE_URL: '" + url + "' must be a base URL, without ? or #";
            }
        } catch (URISyntaxException e) {
            return "PDSEND_EVENTS_BASE_URL: '" + url + "' is not a URL (" + e.getReason() + ")";
        }
        return null;
    }

    /** The module's version from the jar manifest, or {@code dev} when run from classes. */
    static String version() {
        Package p = AgentClient.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
