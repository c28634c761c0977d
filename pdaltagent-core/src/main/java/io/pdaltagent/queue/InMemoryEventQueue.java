package io.pdaltagent.queue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A queue that keeps everything in memory: nothing survives the process. For tests and for trying
 * the agent out; it passes the same contract suite as the durable backends. Thread-safe: every
 * method but {@link #claim} runs under the instance's monitor.
 */
public final class InMemoryEventQueue implements EventQueue {
    private final Clock clock;
    private final long maxOpen;
    private final ClaimScheduler schedule;
    private final TreeMap<Long, QueuedItem> items = new TreeMap<>();
    private final Map<Long, Instant> stateSince = new TreeMap<>();
    private final AtomicLong nextSeq = new AtomicLong(1);
    private final MemoryHeads heads = new MemoryHeads();
    private long open;
    private volatile boolean closed;

    public InMemoryEventQueue(Clock clock, long maxOpen) {
        this.clock = clock;
        this.maxOpen = maxOpen;
        this.schedule = new ClaimScheduler(clock);
    }

    @Override
    public CompletableFuture<Long> append(NewItem n) {
        long seq;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new StoreUnavailableException("queue closed"));
            }
            if (n.arrivalState() != DeliveryState.PENDING) {
                // suppressed or dead on arrival: no open slot, no place in its key's order
                seq = nextSeq.getAndIncrement();
                items.put(seq, new QueuedItem(seq, n.orderingKey(), n.destination(), n.contentType(), n.body(),
                        n.dedupKey(), n.acceptedAt(), n.arrivalState(), 0, n.acceptedAt(), 0, n.arrivalNote()));
                stateSince.put(seq, clock.instant());
                return CompletableFuture.completedFuture(seq);
            }
            if (open >= maxOpen) {
                return CompletableFuture.failedFuture(new QueueFullException(open, maxOpen));
            }
            seq = nextSeq.getAndIncrement();
            items.put(seq, new QueuedItem(seq, n.orderingKey(), n.destination(), n.contentType(), n.body(),
                    n.dedupKey(), n.acceptedAt(), DeliveryState.PENDING, 0, n.acceptedAt(), 0, null));
            stateSince.put(seq, clock.instant());
            open++;
        }
        schedule.opened(n.orderingKey(), 1);
        return CompletableFuture.completedFuture(seq);
    }

    @Override
    public List<QueuedItem> claim(int max, Duration maxWait) throws InterruptedException {
        return schedule.claim(max, maxWait, heads);
    }

    /** The claim scheduler's view of this queue: heads found by a scan, claimed under the monitor. */
    private final class MemoryHeads implements ClaimScheduler.Heads {
        @Override
        public List<ClaimScheduler.Head> read(List<String> keys) {
            synchronized (InMemoryEventQueue.this) {
                List<ClaimScheduler.Head> out = new ArrayList<>(keys.size());
                for (String key : keys) {
                    QueuedItem head = head(key);
                    out.add(head == null ? ClaimScheduler.Skip.NONE : ClaimScheduler.Head.open(head));
                }
                return out;
            }
        }

        @Override
        public List<QueuedItem> take(List<QueuedItem> due) {
            synchronized (InMemoryEventQueue.this) {
                List<QueuedItem> out = new ArrayList<>(due.size());
                for (QueuedItem head : due) {
                    QueuedItem claimed = with(head, DeliveryState.IN_FLIGHT, head.attempts() + 1,
                            head.nextAttemptAt(), head.lastStatus(), head.lastError());
                    items.put(head.seq(), claimed);
                    stateSince.put(head.seq(), clock.instant());
                    out.add(claimed);
                }
                return out;
            }
        }
    }

    @Override
    public CompletableFuture<Void> complete(QueuedItem claimed, Completion c) {
        Instant dueAt;
        long closedCount;
        synchronized (this) {
            QueuedItem cur = items.get(claimed.seq());
            if (cur == null || cur.state() != DeliveryState.IN_FLIGHT) {
                return CompletableFuture.failedFuture(new IllegalStateException(
                        "item " + claimed.seq() + " is not in flight"));
            }
            DeliveryState to = c.targetState();
            DeliveryState.checkTransition(cur.state(), to);
            QueuedItem next = switch (c) {
                case Completion.Delivered d -> with(cur, to, cur.attempts(), cur.nextAttemptAt(), d.status(), cur.lastError());
                case Completion.Retry r -> with(cur, to, cur.attempts(), r.at(), r.status(), r.error());
                case Completion.Dead d -> with(cur, to, cur.attempts(), cur.nextAttemptAt(), d.status(), d.reason());
                case Completion.Released r -> with(cur, to, cur.attempts() - 1, cur.nextAttemptAt(), cur.lastStatus(), cur.lastError());
            };
            items.put(cur.seq(), next);
            stateSince.put(cur.seq(), clock.instant());
            closedCount = to.isOpen() ? 0 : 1;
            open -= closedCount;
            dueAt = c.nextClaimAt();
        }
        schedule.released(claimed.orderingKey(), closedCount, dueAt);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized int retryDead(String keyOrNull) {
        return retryDeadWhere(i -> keyOrNull == null || keyOrNull.equals(i.orderingKey()));
    }

    @Override
    public synchronized int retryDeadItems(java.util.Collection<Long> seqs) {
        java.util.Set<Long> wanted = java.util.Set.copyOf(seqs);
        return retryDeadWhere(i -> wanted.contains(i.seq()));
    }

    @Override
    public synchronized int purgeDeadItems(java.util.Collection<Long> seqs) {
        int n = 0;
        for (Long seq : java.util.Set.copyOf(seqs)) {
            QueuedItem i = items.get(seq);
            if (i != null && i.state() == DeliveryState.DEAD) {
                items.remove(seq);
                stateSince.remove(seq);
                n++;
            }
        }
        return n;
    }

    private int retryDeadWhere(java.util.function.Predicate<QueuedItem> which) {
        int n = 0;
        for (QueuedItem i : List.copyOf(items.values())) {
            if (i.state() == DeliveryState.DEAD && which.test(i)) {
                items.put(i.seq(), with(i, DeliveryState.PENDING, 0, clock.instant(), i.lastStatus(), i.lastError()));
                stateSince.put(i.seq(), clock.instant());
                open++;
                n++;
                schedule.opened(i.orderingKey(), 1, true);
            }
        }
        return n;
    }

    @Override
    public synchronized int purge(DeliveryState state, String keyOrNull) {
        if (state.isOpen()) {
            throw new IllegalArgumentException("only DEAD or DELIVERED items can be purged, not " + state);
        }
        int n = 0;
        for (QueuedItem i : List.copyOf(items.values())) {
            if (i.state() == state && (keyOrNull == null || keyOrNull.equals(i.orderingKey()))) {
                items.remove(i.seq());
                stateSince.remove(i.seq());
                n++;
            }
        }
        return n;
    }

    @Override
    public synchronized List<QueuedItem> listDead(String keyOrNull, int limit) {
        return items.values().stream()
                .filter(i -> i.state() == DeliveryState.DEAD)
                .filter(i -> keyOrNull == null || keyOrNull.equals(i.orderingKey()))
                .limit(limit)
                .toList();
    }

    /** A suppressed item's lastError: the suppressor's name after this prefix (as the embedded store keeps it). */
    static final String SUPPRESSED_PREFIX = NewItem.SUPPRESSED_PREFIX;

    @Override
    public boolean keepsSuppressed() {
        return true;
    }

    @Override
    public synchronized List<QueuedItem> listSuppressed(String keyOrNull, int limit) {
        return items.values().stream()
                .filter(i -> i.state() == DeliveryState.SUPPRESSED)
                .filter(i -> keyOrNull == null || keyOrNull.equals(i.orderingKey()))
                .limit(limit)
                .toList();
    }

    @Override
    public synchronized List<SuppressedCount> suppressedCounts(String keyOrNull) {
        Map<String, Map<String, Long>> m = new TreeMap<>();
        for (QueuedItem i : items.values()) {
            if (i.state() == DeliveryState.SUPPRESSED && (keyOrNull == null || keyOrNull.equals(i.orderingKey()))) {
                m.computeIfAbsent(i.orderingKey(), k -> new TreeMap<>())
                        .merge(i.lastError().substring(SUPPRESSED_PREFIX.length()), 1L, Long::sum);
            }
        }
        List<SuppressedCount> out = new ArrayList<>();
        m.forEach((k, byRule) -> byRule.forEach((by, c) -> out.add(new SuppressedCount(k, by, c))));
        return out;
    }

    @Override
    public synchronized QueuedItem get(long seq) {
        return items.get(seq);
    }

    @Override
    public synchronized List<KeyStats> keyStats(String keyOrNull) {
        Map<String, long[]> counts = new TreeMap<>();
        Map<String, Instant> oldest = new HashMap<>();
        for (QueuedItem i : items.values()) {
            if (keyOrNull != null && !keyOrNull.equals(i.orderingKey())) {
                continue;
            }
            if (i.state() == DeliveryState.SUPPRESSED) {
                continue; // not part of pd-queue status; see suppressedCounts
            }
            long[] c = counts.computeIfAbsent(i.orderingKey(), k -> new long[4]);
            c[i.state().isOpen() ? 0 : i.state() == DeliveryState.DELIVERED ? 2 : 3]++;
            if (i.state() == DeliveryState.IN_FLIGHT) {
                c[1]++;
            }
            if (i.state().isOpen()) {
                oldest.merge(i.orderingKey(), i.acceptedAt(), (a, b) -> a.isBefore(b) ? a : b);
            }
        }
        List<KeyStats> out = new ArrayList<>();
        counts.forEach((k, c) -> out.add(new KeyStats(k, c[0], c[1], c[2], c[3], schedule.isWaiting(k),
                oldest.get(k))));
        return out;
    }

    @Override
    public synchronized QueueStats stats() {
        long inFlight = 0;
        long retry = 0;
        long delivered = 0;
        long dead = 0;
        Instant oldest = null;
        for (QueuedItem i : items.values()) {
            switch (i.state()) {
                case IN_FLIGHT -> inFlight++;
                case RETRY_SCHEDULED -> retry++;
                case DELIVERED -> delivered++;
                case DEAD -> dead++;
                case PENDING, SUPPRESSED -> { }
            }
            if (i.state().isOpen() && (oldest == null || i.acceptedAt().isBefore(oldest))) {
                oldest = i.acceptedAt();
            }
        }
        return new QueueStats(open, inFlight, retry, delivered, dead, oldest);
    }

    @Override
    public synchronized long openCount() {
        return open;
    }

    @Override
    public synchronized int pruneDelivered(Instant cutoff) {
        int n = 0;
        for (QueuedItem i : List.copyOf(items.values())) {
            boolean closedRecord = i.state() == DeliveryState.DELIVERED || i.state() == DeliveryState.SUPPRESSED;
            if (closedRecord && stateSince.get(i.seq()).isBefore(cutoff)) {
                items.remove(i.seq());
                stateSince.remove(i.seq());
                n++;
            }
        }
        return n;
    }

    @Override
    public boolean isHealthy() {
        return !closed;
    }

    @Override
    public void close() {
        closed = true;
        schedule.close();
    }

    private QueuedItem head(String key) {
        return items.values().stream()
                .filter(i -> i.orderingKey().equals(key) && i.state().isOpen())
                .min(Comparator.comparingLong(QueuedItem::seq))
                .orElse(null);
    }

    private static QueuedItem with(QueuedItem i, DeliveryState s, int attempts, Instant next, int status, String error) {
        return new QueuedItem(i.seq(), i.orderingKey(), i.destination(), i.contentType(), i.body(), i.dedupKey(),
                i.acceptedAt(), s, attempts, next, status, error);
    }
}
