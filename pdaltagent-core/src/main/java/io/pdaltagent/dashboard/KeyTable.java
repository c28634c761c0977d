package io.pdaltagent.dashboard;

import io.pdaltagent.observe.Mask;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.KeyStats;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The keys page's table: every key's counts read once ({@link EventQueue#keyStats} over all keys)
 * and kept for {@link #TTL}, so the window the page asks for after a scroll, a keystroke or a sort
 * change, and a second browser tab's poll, are cut from that snapshot instead of a scan of the
 * store each. Sorting and filtering run over every key, then only the asked window is sent (and only
 * its rows get a ref, the one SHA-256 per key, remembered while the key is in the queue).
 *
 * <p>A retry or purge calls {@link #invalidate}, so the page's next answer shows its effect.
 *
 * <p>Threads: any; the snapshot is swapped under the object's lock, and a snapshot's sort orders
 * are computed once each, on first use.
 */
final class KeyTable {
    /**
     * How long one read of every key's counts answers: below the page's 3 s poll, so each poll
     * reads the store afresh, while the requests of one scroll or one typed word share a read.
     */
    static final Duration TTL = Duration.ofSeconds(1);
    /** The most rows one answer carries: a screenful is ~30, the page asks ~3 screens ahead. */
    static final int MAX_LIMIT = 1000;

    /** A column the page sorts by; counts sort largest first, the masked key alphabetically. */
    enum Sort {
        PENDING, IN_FLIGHT, DEAD, SUCCEEDED, OLDEST, KEY;

        static Sort of(String name) {
            for (Sort s : values()) {
                if (s.name().toLowerCase(Locale.ROOT).replace("_", "").equals(name)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("'sort' must be one of pending, inflight, dead, succeeded, oldest, key, not '" + name + "'");
        }
    }

    /** What the page shows: rows [offset, offset+limit) of the keys that pass the filter, in this order. */
    record Query(Sort sort, String filter, boolean onlyDead, int offset, int limit) {
        Query {
            Objects.requireNonNull(sort, "sort");
            filter = filter == null ? "" : filter.trim().toLowerCase(Locale.ROOT);
            if (offset < 0) {
                throw new IllegalArgumentException("'offset' must be 0 or more, not " + offset);
            }
            if (limit < 0 || limit > MAX_LIMIT) {
                throw new IllegalArgumentException("'limit' must be from 0 to " + MAX_LIMIT + ", not " + limit);
            }
        }
    }

    /** One key's row; {@code masked} is what the page shows and filters on. */
    record Row(String key, String masked, String lowerMasked, long pending, long inFlight, long succeeded, long dead,
               boolean throttled, Instant oldestOpenAcceptedAt) {
    }

    /** The window: its rows, how many keys pass the filter, and the totals over every key. */
    record Window(List<Row> rows, int offset, int matching, int keys, long pending, long succeeded, long dead,
                  long throttledKeys) {
    }

    /** Every key at one instant, sorted by the full key (the store's order, the ties' order). */
    private static final class Snapshot {
        final Instant readAt;
        final Row[] rows;
        final long pending;
        final long succeeded;
        final long dead;
        final long throttledKeys;
        final Map<Sort, int[]> orders = new ConcurrentHashMap<>();

        Snapshot(Instant readAt, Row[] rows) {
            this.readAt = readAt;
            this.rows = rows;
            long p = 0;
            long s = 0;
            long d = 0;
            long t = 0;
            for (Row r : rows) {
                p += r.pending();
                s += r.succeeded();
                d += r.dead();
                t += r.throttled() ? 1 : 0;
            }
            this.pending = p;
            this.succeeded = s;
            this.dead = d;
            this.throttledKeys = t;
        }

        int[] order(Sort sort) {
            return orders.computeIfAbsent(sort, this::sorted);
        }

        private int[] sorted(Sort sort) {
            Comparator<Integer> byMasked = Comparator.comparing((Integer i) -> rows[i].masked()).thenComparingInt(i -> i);
            Comparator<Integer> c = switch (sort) {
                case KEY -> byMasked;
                case PENDING -> largestFirst(i -> rows[i].pending(), byMasked);
                case IN_FLIGHT -> largestFirst(i -> rows[i].inFlight(), byMasked);
                case DEAD -> largestFirst(i -> rows[i].dead(), byMasked);
                // oldest first: the earliest accepted open item; keys with nothing open last
                case OLDEST -> Comparator.comparing((Integer i) -> rows[i].oldestOpenAcceptedAt(),
                        Comparator.nullsLast(Comparator.<Instant>naturalOrder())).thenComparing(byMasked);
                case SUCCEEDED -> largestFirst(i -> rows[i].succeeded(), byMasked);
            };
            Integer[] idx = new Integer[rows.length];
            Arrays.setAll(idx, i -> i);
            Arrays.sort(idx, c);
            return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
        }

        private static Comparator<Integer> largestFirst(Function<Integer, Long> count, Comparator<Integer> then) {
            return Comparator.comparing(count, Comparator.reverseOrder()).thenComparing(then);
        }
    }

    private final EventQueue queue;
    private final Clock clock;
    private final Map<String, String> refs = new ConcurrentHashMap<>();
    private Snapshot snapshot;

    KeyTable(EventQueue queue, Clock clock) {
        this.queue = Objects.requireNonNull(queue, "queue");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The query's window, from a snapshot at most {@link #TTL} old. */
    Window window(Query q) {
        Snapshot s = current();
        int[] order = s.order(q.sort());
        int[] matching = order;
        int m = order.length;
        if (!q.filter().isEmpty() || q.onlyDead()) {
            matching = new int[order.length];
            m = 0;
            for (int i : order) {
                Row r = s.rows[i];
                if ((q.onlyDead() && r.dead() == 0) || (!q.filter().isEmpty() && !r.lowerMasked().contains(q.filter()))) {
                    continue;
                }
                matching[m++] = i;
            }
        }
        int from = Math.min(q.offset(), m);
        int to = (int) Math.min((long) from + q.limit(), m);
        List<Row> rows = new ArrayList<>(to - from);
        for (int p = from; p < to; p++) {
            rows.add(s.rows[matching[p]]);
        }
        return new Window(rows, from, m, s.rows.length, s.pending, s.succeeded, s.dead, s.throttledKeys);
    }

    /** The row's ref ({@link DashboardData#ref}), computed once while its key is in the queue. */
    String ref(Row r) {
        return refs.computeIfAbsent(r.key(), DashboardData::ref);
    }

    /** The key in the queue with this ref, or null; reads the store afresh (an action must not act on a stale list). */
    String keyOf(String ref) {
        invalidate();
        for (Row r : current().rows) {
            if (ref(r).equals(ref)) {
                return r.key();
            }
        }
        return null;
    }

    /** The next window reads the store again (after a change made through the dashboard). */
    synchronized void invalidate() {
        snapshot = null;
    }

    private synchronized Snapshot current() {
        Instant now = clock.instant();
        Snapshot s = snapshot;
        // a clock stepped back counts as expired too
        if (s != null && !now.isBefore(s.readAt) && Duration.between(s.readAt, now).compareTo(TTL) < 0) {
            return s;
        }
        List<KeyStats> stats = queue.keyStats(null);
        Row[] rows = new Row[stats.size()];
        HashSet<String> present = new HashSet<>(stats.size() * 2);
        for (int i = 0; i < rows.length; i++) {
            KeyStats k = stats.get(i);
            String masked = Mask.key(k.key());
            rows[i] = new Row(k.key(), masked, masked.toLowerCase(Locale.ROOT), k.pending(), k.inFlight(),
                    k.succeeded(), k.dead(), k.throttled(), k.oldestOpenAcceptedAt());
            present.add(k.key());
        }
        // refs of keys that left the queue are forgotten: the map never outgrows the queue's keys
        refs.keySet().retainAll(present);
        snapshot = new Snapshot(now, rows);
        return snapshot;
    }
}
