package io.pdaltagent.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.KeyStats;
import io.pdaltagent.queue.QueuedItem;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The queue operations behind {@code /admin/v1/queue/...} and {@code pd-queue}, as JSON-ready maps.
 * The admin API ({@link QueueAdminHandler}) and {@code pd-queue} working directly on a stopped
 * agent's data directory both call this class, so a script sees the same documents either way.
 *
 * <pre>
 * status  {"keys":[{"key":K,"pending":N,"succeeded":N,"dead":N,"throttled":B}...],
 *          "totals":{"pending":N,"succeeded":N,"dead":N,"throttled_keys":N}}
 * retry   {"retried":N}                            of a key, of all keys, or of chosen events ({"seqs":[N...]})
 * dead    {"events":[EVENT...],"more":B}            oldest first; "more" when the limit cut the list
 * event   EVENT plus "content_type" and "body" (the stored body as text)
 * purge   {"purged":N}                             dead or delivered of a key or all; or chosen dead events
 * EVENT   {"seq":N,"key":K,"dedup_key":S|null,"state":"dead","destination":{"kind":"events","target":"/v2/enqueue"},
 *          "attempts":N,"accepted_at":"2025-01-01T00:00:00Z","last_status":N|null,"last_error":S|null}
 * </pre>
 *
 * {@code last_error} is what PagerDuty answered for a rejected event ({@code HTTP 400: {...}}), or why
 * the event expired; {@code last_status} is null when there was no HTTP answer. Keys are shown in
 * full: these documents are only served to local callers.
 */
public final class QueueAdmin {
    /** Where the admin API serves these documents. */
    public static final String PREFIX = "/admin/v1/queue";
    public static final int DEFAULT_LIST_LIMIT = 100;
    public static final int MAX_LIST_LIMIT = 10_000;
    /** Events one retry or purge may name: a screenful many times over, and a bounded request. */
    public static final int MAX_SEQS = 1_000;
    /** PagerDuty Agent's own words for a retry without a key and without "all keys". */
    public static final String RETRY_NEITHER = "A specific service key or a flag for all keys required";
    /** PagerDuty Agent's own words for a retry with both a key and "all keys". */
    public static final String RETRY_BOTH = "Only one of specific service key or flag for all keys required";

    private static final Pattern IPV4_LITERAL = Pattern.compile("[0-9.]+");

    private final EventQueue queue;

    public QueueAdmin(EventQueue queue) {
        this.queue = Objects.requireNonNull(queue, "queue");
    }

    /** A failure with the HTTP status the admin API answers it with; {@code pd-queue} shows the message. */
    public static final class AdminException extends RuntimeException {
        private final int status;

        public AdminException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    public Map<String, Object> status(String keyOrNull) {
        checkKey(keyOrNull);
        List<KeyStats> stats = queue.keyStats(keyOrNull);
        List<Map<String, Object>> keys = new ArrayList<>(stats.size());
        long pending = 0;
        long succeeded = 0;
        long dead = 0;
        long throttled = 0;
        for (KeyStats s : stats) {
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("key", s.key());
            k.put("pending", s.pending());
            k.put("succeeded", s.succeeded());
            k.put("dead", s.dead());
            k.put("throttled", s.throttled());
            k.put("in_flight", s.inFlight());
            k.put("oldest_open_accepted_at", s.oldestOpenAcceptedAt() == null ? null : s.oldestOpenAcceptedAt().toString());
            keys.add(k);
            pending += s.pending();
            succeeded += s.succeeded();
            dead += s.dead();
            throttled += s.throttled() ? 1 : 0;
        }
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("pending", pending);
        totals.put("succeeded", succeeded);
        totals.put("dead", dead);
        totals.put("throttled_keys", throttled);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("keys", keys);
        body.put("totals", totals);
        return body;
    }

    /** Moves the dead events of one key, or of all keys when {@code all}, back to pending. */
    public Map<String, Object> retry(String keyOrNull, boolean all) {
        if (keyOrNull == null && !all) {
            throw new AdminException(400, RETRY_NEITHER);
        }
        if (keyOrNull != null && all) {
            throw new AdminException(400, RETRY_BOTH);
        }
        checkKey(keyOrNull);
        return Map.of("retried", queue.retryDead(keyOrNull));
    }

    /** Moves these events back to pending where they are dead; others are left alone. */
    public Map<String, Object> retry(List<Long> seqs) {
        checkSeqs(seqs);
        return Map.of("retried", queue.retryDeadItems(seqs));
    }

    /** Deletes these events where they are dead; others are left alone. */
    public Map<String, Object> purge(List<Long> seqs) {
        checkSeqs(seqs);
        return Map.of("purged", queue.purgeDeadItems(seqs));
    }

    /**
     * A request's {@code "seqs"}: a JSON array of 1 to {@link #MAX_SEQS} event sequence numbers
     * (whole numbers from 1), duplicates dropped, in the order given.
     */
    public static List<Long> seqs(JsonNode n) {
        if (n == null || !n.isArray() || n.isEmpty()) {
            throw new AdminException(400, "'seqs' must be a non-empty array of event sequence numbers");
        }
        if (n.size() > MAX_SEQS) {
            throw new AdminException(400, "'seqs' may name at most " + MAX_SEQS + " events, not " + n.size());
        }
        LinkedHashSet<Long> out = new LinkedHashSet<>();
        for (JsonNode e : n) {
            if (!e.isIntegralNumber() || !e.canConvertToLong() || e.longValue() < 1) {
                throw new AdminException(400, "'seqs' must hold whole numbers from 1 (as pd-queue list shows them), not "
                        + abbreviate(e.toString()));
            }
            out.add(e.longValue());
        }
        return List.copyOf(out);
    }

    private static void checkSeqs(List<Long> seqs) {
        if (seqs.isEmpty() || seqs.size() > MAX_SEQS) {
            throw new AdminException(400, "name from 1 to " + MAX_SEQS + " events, not " + seqs.size());
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    public Map<String, Object> dead(String keyOrNull, int limit) {
        checkKey(keyOrNull);
        checkLimit(limit);
        // one more than asked tells whether the list was cut
        List<QueuedItem> items = queue.listDead(keyOrNull, limit + 1);
        boolean more = items.size() > limit;
        List<Map<String, Object>> events = new ArrayList<>(Math.min(items.size(), limit));
        for (QueuedItem i : more ? items.subList(0, limit) : items) {
            events.add(event(i, false));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("events", events);
        body.put("more", more);
        return body;
    }

    /** Suppressed events: counts per key and suppressor, then the oldest ones. */
    public Map<String, Object> suppressed(String keyOrNull, int limit) {
        checkKey(keyOrNull);
        checkLimit(limit);
        if (!queue.keepsSuppressed()) {
            throw new AdminException(409, "this queue backend keeps no suppressed events (they are counted in /metrics)");
        }
        List<Map<String, Object>> counts = new ArrayList<>();
        for (io.pdaltagent.queue.SuppressedCount c : queue.suppressedCounts(keyOrNull)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", c.key());
            m.put("by", c.by());
            m.put("count", c.count());
            counts.add(m);
        }
        List<QueuedItem> items = queue.listSuppressed(keyOrNull, limit + 1);
        boolean more = items.size() > limit;
        List<Map<String, Object>> events = new ArrayList<>(Math.min(items.size(), limit));
        for (QueuedItem i : more ? items.subList(0, limit) : items) {
            events.add(event(i, false));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("counts", counts);
        body.put("events", events);
        body.put("more", more);
        return body;
    }

    /** One event still in the store (dead or in any other state), with its body. */
    public Map<String, Object> event(long seq) {
        QueuedItem item = queue.get(seq);
        if (item == null) {
            throw new AdminException(404, "no event with seq " + seq + " in the queue");
        }
        return event(item, true);
    }

    public Map<String, Object> purge(DeliveryState state, String keyOrNull) {
        checkKey(keyOrNull);
        if (state != DeliveryState.DEAD && state != DeliveryState.DELIVERED) {
            throw new AdminException(400, "only dead or delivered events can be purged");
        }
        return Map.of("purged", queue.purge(state, keyOrNull));
    }

    /** {@code "dead"} or {@code "delivered"}, as the purge request names them. */
    public static DeliveryState purgeState(String name) {
        if (name == null) {
            throw new AdminException(400, "'state' is required: \"dead\" or \"delivered\"");
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "dead" -> DeliveryState.DEAD;
            case "delivered" -> DeliveryState.DELIVERED;
            default -> throw new AdminException(400, "'state' must be \"dead\" or \"delivered\", not \"" + name + "\"");
        };
    }

    /** The lower-case name a state has in these documents. */
    public static String stateName(DeliveryState s) {
        return s.name().toLowerCase(Locale.ROOT);
    }

    static Map<String, Object> event(QueuedItem i, boolean withBody) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("seq", i.seq());
        e.put("key", i.orderingKey());
        e.put("dedup_key", i.dedupKey());
        e.put("state", stateName(i.state()));
        Map<String, Object> dest = new LinkedHashMap<>();
        dest.put("kind", i.destination().kind());
        dest.put("target", i.destination().target());
        e.put("destination", dest);
        e.put("attempts", i.attempts());
        e.put("accepted_at", i.acceptedAt() == null ? null : i.acceptedAt().toString());
        e.put("last_status", i.lastStatus() == 0 ? null : i.lastStatus());
        e.put("last_error", i.lastError());
        if (withBody) {
            e.put("content_type", i.contentType());
            e.put("body", i.body() == null ? null : new String(i.body(), StandardCharsets.UTF_8));
        }
        return e;
    }

    /** True for no host, {@code localhost} (and {@code *.localhost}) and loopback IP literals; never resolves a name. */
    public static boolean isLocalHostName(String host) {
        if (host == null || host.isEmpty()) {
            return true;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (h.equals("localhost") || h.endsWith(".localhost") || h.equals("localhost.localdomain")) {
            return true;
        }
        if (IPV4_LITERAL.matcher(h).matches() || h.contains(":")) {
            try {
                return InetAddress.getByName(h).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    private static void checkKey(String keyOrNull) {
        if (keyOrNull != null && keyOrNull.isBlank()) {
            throw new AdminException(400, "'key' must not be empty");
        }
    }

    private static void checkLimit(int limit) {
        if (limit < 1 || limit > MAX_LIST_LIMIT) {
            throw new AdminException(400, "'limit' must be from 1 to " + MAX_LIST_LIMIT + ", was " + limit);
        }
    }
}
