package io.pdaltagent.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pdaltagent.admin.QueueAdmin;
import io.pdaltagent.observe.Mask;
import io.pdaltagent.observe.Metrics;
import io.pdaltagent.observe.PollerStats;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.QueueStats;
import io.pdaltagent.queue.QueuedItem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The dashboard's JSON documents and actions. Routing keys never leave the agent in full: a key is
 * shown masked ({@link Mask#key}) and named in actions by its {@code ref}, the first 16 hex digits of
 * its SHA-256, which {@link #keyOf} maps back by looking through the queue's keys.
 *
 * <pre>
 * overview {"version","started_at","uptime_seconds","queue":{...},"pagerduty":{"reachable":B|null,"last_delivery":{...}|null},
 *           "webhook_poller":{...}|null,"history":MinuteHistory.snapshot}
 * keys     {"columns":["ref","key","pending","succeeded","dead","throttled","in_flight","oldest_age_ms"],
 *           "offset":N,"matching":N,"rows":[[R,K,N,N,N,0|1,N,N|null]...],"totals":{"keys","pending","succeeded","dead","throttled_keys"}}   one window, see {@link KeyTable}
 * suppressed {"kept":B,"counts":[{"key","by","count"}...],"events":[{"seq","key","by","accepted_at","body"}...],"more":B}
 * dead     {"events":[{"seq","ref","key","attempts","accepted_at","last_status","last_error","body"}...],"more":B}
 * config   {"rows":[{"name","value","source"}...]}   values as pdagentd config shows them (secrets masked)
 * </pre>
 *
 * Event bodies are shown with their top-level {@code routing_key} / {@code service_key} masked.
 *
 * <p>Threads: stateless apart from its final fields; every call reads the queue, so it runs where
 * blocking is allowed.
 */
public final class DashboardData {
    /** Dead events shown at once: a screenful with bodies; more are a click on "retry key" away. */
    public static final int DEAD_LIMIT = 200;
    private static final int REF_HEX_DIGITS = 16;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] KEY_FIELDS = {"routing_key", "service_key"};
    static final List<String> KEY_COLUMNS = List.of("ref", "key", "pending", "succeeded", "dead", "throttled",
            "in_flight", "oldest_age_ms");

    private final EventQueue queue;
    private final Metrics metrics;
    private final MinuteHistory history;
    private final Clock clock;
    private final String version;
    private final Instant startedAt;
    private final List<Map<String, Object>> configRows;
    private final KeyTable keyTable;

    public DashboardData(EventQueue queue, Metrics metrics, MinuteHistory history, Clock clock, String version,
                         List<Map<String, Object>> configRows) {
        this.queue = Objects.requireNonNull(queue, "queue");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.history = Objects.requireNonNull(history, "history");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.version = Objects.requireNonNull(version, "version");
        this.startedAt = clock.instant();
        this.configRows = configRows == null ? null : List.copyOf(configRows);
        this.keyTable = new KeyTable(queue, clock);
    }

    public Map<String, Object> overview(int minutes) {
        Instant now = clock.instant();
        QueueStats s = queue.stats();
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("depth", s.open());
        q.put("in_flight", s.inFlight());
        q.put("retry_scheduled", s.retryScheduled());
        q.put("delivered", s.delivered());
        q.put("dead", s.dead());
        q.put("oldest_pending_age_seconds", s.oldestOpenAcceptedAt() == null ? null
                : Math.max(0, Duration.between(s.oldestOpenAcceptedAt(), now).getSeconds()));
        Map<String, Object> pd = new LinkedHashMap<>();
        Metrics.LastOutcome last = metrics.lastOutcome();
        // an HTTP answer of any status means PagerDuty was reached; status 0 is a connection failure
        pd.put("reachable", last == null ? null : last.status() > 0);
        if (last == null) {
            pd.put("last_delivery", null);
        } else {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("at", last.at().toString());
            l.put("outcome", last.kind().label());
            l.put("status", last.status() == 0 ? null : last.status());
            pd.put("last_delivery", l);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", version);
        out.put("started_at", startedAt.toString());
        out.put("uptime_seconds", Math.max(0, Duration.between(startedAt, now).getSeconds()));
        out.put("queue", q);
        out.put("pagerduty", pd);
        out.put("webhook_poller", poller(metrics.pollerStats(), now));
        out.put("history", history.snapshot(minutes));
        return out;
    }

    private static Map<String, Object> poller(PollerStats p, Instant now) {
        if (p == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", p.state());
        m.put("last_poll_at", p.lastPollAt() == null ? null : p.lastPollAt().toString());
        m.put("last_outcome", p.lastOutcome());
        m.put("last_error", p.lastError());
        m.put("lag_seconds", p.cursor() == null ? null : Math.max(0, Duration.between(p.cursor(), now).getSeconds()));
        m.put("entries_forwarded", p.entriesForwarded());
        long failures = 0;
        for (Map.Entry<String, Long> e : p.polls().entrySet()) {
            if (!"ok".equals(e.getKey())) {
                failures += e.getValue();
            }
        }
        m.put("failed_polls", failures);
        m.put("polls", p.polls());
        m.put("rate_limited", p.rateLimited());
        m.put("activity_store", p.activityStore());
        return m;
    }

    /**
     * The window of the keys table that {@code q} names, as compact rows (arrays in
     * {@link #KEY_COLUMNS} order, throttled as 0/1), with how many keys pass the filter
     * ({@code matching}) and the totals over every key. Sorting and filtering cover every key; only
     * the window is sent, so the answer's size and the page's work do not grow with the keys.
     */
    Map<String, Object> keys(KeyTable.Query q) {
        KeyTable.Window w = keyTable.window(q);
        Instant now = clock.instant();
        List<Object[]> rows = new ArrayList<>(w.rows().size());
        for (KeyTable.Row r : w.rows()) {
            Long age = r.oldestOpenAcceptedAt() == null ? null
                    : Math.max(0, Duration.between(r.oldestOpenAcceptedAt(), now).toMillis());
            rows.add(new Object[] {keyTable.ref(r), r.masked(), r.pending(), r.succeeded(), r.dead(), r.throttled() ? 1 : 0,
                    r.inFlight(), age});
        }
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("keys", w.keys());
        totals.put("pending", w.pending());
        totals.put("succeeded", w.succeeded());
        totals.put("dead", w.dead());
        totals.put("throttled_keys", w.throttledKeys());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("columns", KEY_COLUMNS);
        out.put("offset", w.offset());
        out.put("matching", w.matching());
        out.put("rows", rows);
        out.put("totals", totals);
        return out;
    }

    /** Dead events of one key (by ref) or of all, oldest first, with PagerDuty's answer and the body. */
    public Map<String, Object> dead(String refOrNull) {
        String key = refOrNull == null ? null : keyOf(refOrNull);
        List<QueuedItem> items = queue.listDead(key, DEAD_LIMIT + 1);
        boolean more = items.size() > DEAD_LIMIT;
        List<Map<String, Object>> events = new ArrayList<>();
        for (QueuedItem i : more ? items.subList(0, DEAD_LIMIT) : items) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("seq", i.seq());
            e.put("ref", ref(i.orderingKey()));
            e.put("key", Mask.key(i.orderingKey()));
            e.put("destination", i.destination().target());
            e.put("attempts", i.attempts());
            e.put("accepted_at", i.acceptedAt() == null ? null : i.acceptedAt().toString());
            e.put("last_status", i.lastStatus() == 0 ? null : i.lastStatus());
            e.put("last_error", i.lastError());
            byte[] body = i.body() != null ? i.body() : bodyOf(i.seq());
            e.put("body", body == null ? null : shownBody(body));
            events.add(e);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("events", events);
        out.put("more", more);
        return out;
    }

    /**
     * Events suppressed at ingest (a rule, a maintenance window or a plugin), counted per key and
     * suppressor, then the oldest of them with their bodies; {@code kept} is false for a backend that
     * counts suppressed events without keeping them (RabbitMQ).
     */
    public Map<String, Object> suppressed() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kept", queue.keepsSuppressed());
        List<Map<String, Object>> counts = new ArrayList<>();
        List<Map<String, Object>> events = new ArrayList<>();
        if (queue.keepsSuppressed()) {
            for (io.pdaltagent.queue.SuppressedCount c : queue.suppressedCounts(null)) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("key", Mask.key(c.key()));
                m.put("by", c.by());
                m.put("count", c.count());
                counts.add(m);
            }
            List<QueuedItem> items = queue.listSuppressed(null, DEAD_LIMIT + 1);
            out.put("more", items.size() > DEAD_LIMIT);
            for (QueuedItem i : items.size() > DEAD_LIMIT ? items.subList(0, DEAD_LIMIT) : items) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("seq", i.seq());
                e.put("key", Mask.key(i.orderingKey()));
                e.put("by", i.lastError());
                e.put("accepted_at", i.acceptedAt() == null ? null : i.acceptedAt().toString());
                byte[] body = i.body() != null ? i.body() : bodyOf(i.seq());
                e.put("body", body == null ? null : shownBody(body));
                events.add(e);
            }
        } else {
            out.put("more", false);
        }
        out.put("counts", counts);
        out.put("events", events);
        return out;
    }

    private byte[] bodyOf(long seq) {
        QueuedItem full = queue.get(seq);
        return full == null ? null : full.body();
    }

    /** What a retry or purge acts on: the dead events of one key (by ref), of every key, or these events. */
    public sealed interface Target {
        record Key(String ref) implements Target {
            @Override
            public String toString() {
                return "key ref " + ref;
            }
        }

        record All() implements Target {
            @Override
            public String toString() {
                return "all keys";
            }
        }

        /** Sequence numbers; those that are not dead (or gone) are left alone. */
        record Events(List<Long> seqs) implements Target {
            public Events {
                seqs = List.copyOf(seqs);
            }

            @Override
            public String toString() {
                return seqs.size() == 1 ? "event " + seqs.get(0) : seqs.size() + " chosen events";
            }
        }
    }

    /** Moves the target's dead events back to pending; how many. */
    public int retry(Target target) {
        int n = switch (target) {
            case Target.Key k -> queue.retryDead(keyOf(k.ref()));
            case Target.All a -> queue.retryDead(null);
            case Target.Events e -> queue.retryDeadItems(e.seqs());
        };
        keyTable.invalidate(); // the page's next answer shows the change
        return n;
    }

    /** Deletes the target's dead events for good; how many. */
    public int purge(Target target) {
        int n = switch (target) {
            case Target.Key k -> queue.purge(DeliveryState.DEAD, keyOf(k.ref()));
            case Target.All a -> queue.purge(DeliveryState.DEAD, null);
            case Target.Events e -> queue.purgeDeadItems(e.seqs());
        };
        keyTable.invalidate();
        return n;
    }

    public Map<String, Object> config() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rows", configRows);
        return out;
    }

    /** The key whose {@link #ref} this is; a 404 when no key in the queue has it. */
    String keyOf(String ref) {
        String key = keyTable.keyOf(ref);
        if (key != null) {
            return key;
        }
        throw new QueueAdmin.AdminException(404, "no routing key in the queue has ref " + ref);
    }

    static String ref(String key) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, REF_HEX_DIGITS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The body as text, its top-level routing or service key masked when it is a JSON object. */
    static String shownBody(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (IOException e) {
            return text;
        }
        if (!(n instanceof ObjectNode o)) {
            return text;
        }
        for (String f : KEY_FIELDS) {
            JsonNode v = o.get(f);
            if (v != null && v.isTextual()) {
                o.put(f, Mask.key(v.textValue()));
            }
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (IOException e) {
            return text;
        }
    }
}
