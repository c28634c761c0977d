package io.pdaltagent.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.observe.Metrics;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.QueueStats;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * Answers {@code GET /healthz} and {@code GET /metrics} (and HEAD of both); any other path is left
 * to the next handler ({@link #handle} returns false). Other methods on these two paths get a 405
 * JSON answer with an {@code Allow} header.
 *
 * <p><b>/healthz</b> answers 200 when the queue says it is healthy and its {@code stats()} works:
 * <pre>
 * {"status":"ok",
 *  "queue":{"depth":N,"in_flight":N,"retry_scheduled":N,"dead":N,"oldest_pending_age_seconds":N|null},
 *  "last_delivery":{"at":"2025-01-01T00:00:00Z","outcome":"delivered|retry|dead","status":N}|null,
 *  "version":"..."}
 * </pre>
 * and 503 with {@code "status":"unavailable"} and an {@code "error"} text otherwise ({@code queue}
 * is null then unless {@code stats()} still answered). {@code oldest_pending_age_seconds} is whole
 * seconds since the oldest open item was accepted, null when none is open. A health check that
 * answers 200 while deliveries keep failing is deliberate: the agent is up and keeps events safe;
 * failing deliveries show in {@code last_delivery} and in the metrics.
 *
 * <p><b>/metrics</b> is {@link Metrics#write} in the Prometheus text format 0.0.4.
 *
 * <p>The handler may block briefly: {@code queue.stats()} reads the store (backends keep it to
 * in-memory counts and one indexed read), so Jetty runs it where blocking is allowed.
 */
public final class AdminHandler extends Handler.Abstract {
    public static final String HEALTH_PATH = "/healthz";
    public static final String METRICS_PATH = "/metrics";

    private static final String JSON_TYPE = "application/json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EventQueue queue;
    private final Metrics metrics;
    private final Clock clock;
    private final String version;

    public AdminHandler(EventQueue queue, Metrics metrics, Clock clock, String version) {
        this.queue = Objects.requireNonNull(queue, "queue");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.version = Objects.requireNonNull(version, "version");
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        boolean health = HEALTH_PATH.equals(path);
        if (!health && !METRICS_PATH.equals(path)) {
            return false;
        }
        String method = request.getMethod();
        boolean head = HttpMethod.HEAD.is(method);
        if (!head && !HttpMethod.GET.is(method)) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", "error");
            body.put("error", "method not allowed; use GET or HEAD");
            send(response, callback, 405, JSON_TYPE, json(body), false);
            return true;
        }
        if (health) {
            health(response, callback, head);
        } else {
            byte[] body = metrics.scrape(queue, clock).getBytes(StandardCharsets.UTF_8);
            send(response, callback, 200, Metrics.CONTENT_TYPE, body, head);
        }
        return true;
    }

    private void health(Response response, Callback callback, boolean head) {
        String error = null;
        QueueStats stats = null;
        try {
            if (!queue.isHealthy()) {
                error = "queue store is not usable";
            }
        } catch (RuntimeException e) {
            error = describe(e);
        }
        try {
            stats = queue.stats();
        } catch (RuntimeException e) {
            if (error == null) {
                error = describe(e);
            }
        }

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", error == null ? "ok" : "unavailable");
        if (error != null) {
            body.put("error", error);
        }
        body.put("queue", stats == null ? null : queueJson(stats, clock.instant()));
        try {
            Map<String, Object> backend = queue.backendHealth();
            if (!backend.isEmpty()) {
                body.put("broker", backend);
            }
        } catch (RuntimeException e) {
            body.put("broker", Map.of("error", describe(e)));
        }
        Metrics.LastOutcome last = metrics.lastOutcome();
        if (last == null) {
            body.put("last_delivery", null);
        } else {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("at", last.at().toString());
            l.put("outcome", last.kind().label());
            l.put("status", last.status());
            body.put("last_delivery", l);
        }
        io.pdaltagent.observe.PollerStats poller = metrics.pollerStats();
        if (poller != null) {
            body.put("webhook_poller", pollerJson(poller, clock.instant()));
        }
        io.pdaltagent.observe.PacingStats pacing = metrics.pacingStats();
        if (pacing != null) {
            body.put("pacing", pacingJson(pacing));
        }
        body.put("version", version);
        send(response, callback, error == null ? 200 : 503, JSON_TYPE, json(body), head);
    }

    private static Map<String, Object> queueJson(QueueStats s, Instant now) {
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("depth", s.open());
        q.put("in_flight", s.inFlight());
        q.put("retry_scheduled", s.retryScheduled());
        q.put("dead", s.dead());
        Instant oldest = s.oldestOpenAcceptedAt();
        q.put("oldest_pending_age_seconds", oldest == null ? null : Math.max(0, Duration.between(oldest, now).getSeconds()));
        return q;
    }

    /**
     * {@code "webhook_poller":{"state","last_poll_at","last_outcome","last_error","lag_seconds",
     * "entries_forwarded","activity_store"}}: a refused token shows here (state {@code unauthorized})
     * without failing the health check, since ingest and delivery still work.
     */
    private static Map<String, Object> pollerJson(io.pdaltagent.observe.PollerStats p, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", p.state());
        m.put("last_poll_at", p.lastPollAt() == null ? null : p.lastPollAt().toString());
        m.put("last_outcome", p.lastOutcome());
        m.put("last_error", p.lastError());
        m.put("lag_seconds", p.cursor() == null ? null : Math.max(0, Duration.between(p.cursor(), now).getSeconds()));
        m.put("entries_forwarded", p.entriesForwarded());
        m.put("rate_limited", p.rateLimited());
        m.put("activity_store", p.activityStore());
        return m;
    }

    /**
     * {@code "pacing":{"rate_per_minute","burst","throttled_keys","tracked_keys","throttles","held_back"}}:
     * throttled keys are slowed down by PagerDuty's 429s; that is not a failure of the agent.
     */
    private static Map<String, Object> pacingJson(io.pdaltagent.observe.PacingStats p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rate_per_minute", p.ratePerMinute());
        m.put("burst", p.burst());
        m.put("throttled_keys", p.throttledKeys());
        m.put("tracked_keys", p.trackedKeys());
        m.put("throttles", p.throttles());
        m.put("held_back", p.heldBack());
        return m;
    }

    private static String describe(RuntimeException e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static byte[] json(Map<String, Object> body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("maps of strings and numbers always serialize", e);
        }
    }

    private static void send(Response response, Callback callback, int status, String type, byte[] body, boolean head) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, head ? BufferUtil.EMPTY_BUFFER : ByteBuffer.wrap(body), callback);
    }
}
