package io.pdaltagent.rabbitmq;

import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.KeyStats;
import io.pdaltagent.queue.QueueStats;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.queue.StoreUnavailableException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the RabbitMQ queue reports: one item, counts per key, the queue's totals and per-partition
 * counts, from what this agent holds, its delivered records, the parked queues and the broker's
 * ready counts; and the pruning of delivered records.
 *
 * <p><b>Threads.</b> Any thread; the consumer's lock is held only while counting what is held, never
 * while the broker is asked (a passive declare or a scan of a parked queue).
 *
 * <p><b>While the broker blocks publishing</b> (a resource alarm) it reads nothing from the publishing
 * connection, so a passive declare on it would wait for the alarm to end: {@link #stats} and
 * {@link #openCount} then answer from the counts last read, and {@code /healthz} answers at once.
 */
final class Stats {
    private final ConsumerState s;
    private final Appender appender;
    private final DeadLetters deadLetters;
    private final ParkedQueue dead;
    private final ParkedQueue suppressed;
    private final AdminChannel admin;
    private final java.util.function.BooleanSupplier brokerBlocks;
    /** The dead-letter count last read from the broker. */
    private volatile long lastDeadCount;

    Stats(ConsumerState s, Appender appender, DeadLetters deadLetters, ParkedQueue dead, ParkedQueue suppressed,
          AdminChannel admin, java.util.function.BooleanSupplier brokerBlocks) {
        this.brokerBlocks = brokerBlocks;
        this.s = s;
        this.appender = appender;
        this.deadLetters = deadLetters;
        this.dead = dead;
        this.suppressed = suppressed;
        this.admin = admin;
    }

    QueuedItem get(long seq) {
        s.lock.lock();
        try {
            Held h = s.bySeq.get(seq);
            if (h != null) {
                return h.snapshot();
            }
            QueuedItem known = s.recent.get(seq);
            if (known != null && known.state() != DeliveryState.DEAD) {
                return known;
            }
        } finally {
            s.lock.unlock();
        }
        // a dead item may have been dead-lettered by another agent, or retried or purged since
        QueuedItem[] found = {null};
        for (ParkedQueue q : List.of(dead, suppressed)) {
            q.scan((ch, r, item) -> {
                if (item.seq() == seq) {
                    found[0] = item;
                }
            });
            if (found[0] != null) {
                return found[0];
            }
        }
        return null;
    }

    /**
     * Per key counts as this agent sees them: pending, in flight and the oldest open item come from the
     * items this agent holds (other agents' items are not counted), dead from the dead letters it read.
     */
    List<KeyStats> keyStats(String keyOrNull) {
        Map<String, long[]> counts = new TreeMap<>();
        dead.forEach(item -> {
            if (keyOrNull == null || keyOrNull.equals(item.orderingKey())) {
                counts.computeIfAbsent(item.orderingKey(), k -> new long[4])[3]++;
            }
        });
        Map<String, Boolean> throttled = new HashMap<>();
        Map<String, Instant> oldest = new HashMap<>();
        s.lock.lock();
        try {
            for (Held h : s.bySeq.values()) {
                if (keyOrNull == null || keyOrNull.equals(h.key)) {
                    counts.computeIfAbsent(h.key, k -> new long[4])[0]++;
                    oldest.merge(h.key, h.acceptedAt, (a, b) -> a.isBefore(b) ? a : b);
                }
            }
            s.delivered.forEach((k, times) -> {
                if ((keyOrNull == null || keyOrNull.equals(k)) && !times.isEmpty()) {
                    counts.computeIfAbsent(k, x -> new long[4])[2] += times.size();
                }
            });
            for (Map.Entry<String, long[]> e : counts.entrySet()) {
                String k = e.getKey();
                KeyState ks = s.keys.get(k);
                if (ks != null && ks.inFlight != null) {
                    e.getValue()[1] = 1;
                }
                Held head = ks == null || ks.inFlight != null ? null : ks.head();
                // waiting as the scheduler knows it, or for a retry learned from the log and not claimed yet
                throttled.put(k, s.schedule.isWaiting(k) || head != null && head.state == DeliveryState.RETRY_SCHEDULED
                        && head.nextAttemptAt.isAfter(s.clock.instant()));
            }
        } finally {
            s.lock.unlock();
        }
        List<KeyStats> out = new ArrayList<>();
        counts.forEach((k, c) -> out.add(new KeyStats(k, c[0], Math.min(c[1], c[0]), c[2], c[3], throttled.get(k),
                oldest.get(k))));
        return out;
    }

    QueueStats stats() {
        long deadCount = lastDeadCount;
        long ready = appender.cachedReady;
        if (!brokerBlocks.getAsBoolean()) {
            admin.lock.lock();
            try {
                deadCount = admin.channel().queueDeclarePassive(dead.name()).getMessageCount();
                lastDeadCount = deadCount;
            } catch (IOException | RuntimeException e) {
                throw new StoreUnavailableException("the broker does not answer: " + e, e);
            } finally {
                admin.lock.unlock();
            }
            try {
                appender.refreshReady();
                ready = appender.cachedReady;
            } catch (IOException | RuntimeException e) {
                throw new StoreUnavailableException("the broker does not answer: " + e, e);
            }
        }
        long inFlight = 0;
        long retry = 0;
        long held;
        long deliveredCount = 0;
        Instant oldest = null;
        s.lock.lock();
        try {
            held = s.bySeq.size();
            for (Held h : s.bySeq.values()) {
                if (h.state == DeliveryState.IN_FLIGHT) {
                    inFlight++;
                } else if (h.state == DeliveryState.RETRY_SCHEDULED) {
                    retry++;
                }
                if (oldest == null || h.acceptedAt.isBefore(oldest)) {
                    oldest = h.acceptedAt;
                }
            }
            for (ArrayDeque<Instant> t : s.delivered.values()) {
                deliveredCount += t.size();
            }
        } finally {
            s.lock.unlock();
        }
        return new QueueStats(held + Math.max(ready, appender.inTransitCount()), inFlight, retry, deliveredCount, deadCount, oldest);
    }

    long openCount() {
        try {
            if (!brokerBlocks.getAsBoolean()) {
                appender.refreshReady();
            }
        } catch (IOException | RuntimeException e) {
            return s.heldOpen() + Math.max(appender.cachedReady, appender.inTransitCount());
        }
        return s.heldOpen() + Math.max(appender.cachedReady, appender.inTransitCount());
    }

    int pruneDelivered(Instant cutoff) {
        int pruned;
        s.lock.lock();
        try {
            int n = 0;
            for (Iterator<ArrayDeque<Instant>> it = s.delivered.values().iterator(); it.hasNext(); ) {
                ArrayDeque<Instant> times = it.next();
                while (!times.isEmpty() && times.peekFirst().isBefore(cutoff)) {
                    times.pollFirst();
                    n++;
                }
                if (times.isEmpty()) {
                    it.remove();
                }
            }
            pruned = n;
        } finally {
            s.lock.unlock();
        }
        return pruned + deadLetters.pruneSuppressed(cutoff);
    }

    /** Ready counts as of the last refresh (at most about a second old after a stats call). */
    List<io.pdaltagent.queue.PartitionStats> partitionStats() {
        long[] held = new long[s.settings.partitions()];
        s.lock.lock();
        try {
            for (Held h : s.bySeq.values()) {
                held[h.partition]++;
            }
        } finally {
            s.lock.unlock();
        }
        long[] ready = appender.readyPerPartition;
        List<io.pdaltagent.queue.PartitionStats> out = new ArrayList<>();
        for (int p = 0; p < s.settings.partitions(); p++) {
            out.add(new io.pdaltagent.queue.PartitionStats(s.partitionQueue(p), p < ready.length ? ready[p] : 0, held[p]));
        }
        return out;
    }
}
