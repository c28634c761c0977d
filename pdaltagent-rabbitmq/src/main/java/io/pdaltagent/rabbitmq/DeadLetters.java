package io.pdaltagent.rabbitmq;

import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.queue.StoreUnavailableException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The items this agent keeps off the partitions: dead letters ({@code <prefix>.dead}) and events
 * suppressed at ingest ({@code <prefix>.suppressed}), both {@link ParkedQueue}s: listed, retried
 * (published back to their partition's tail as a new incarnation) and purged, one scan at a time;
 * and the delivered records this agent keeps in memory.
 *
 * <p><b>Threads.</b> Any thread; each parked queue scans under its own lock, and the consumer's
 * lock ({@link ConsumerState}) is taken only to drop records of purged items, never during a scan.
 */
final class DeadLetters {
    private final ConsumerState s;
    private final ParkedQueue dead;
    private final ParkedQueue suppressed;
    private final Publisher publisher;

    DeadLetters(ConsumerState s, ParkedQueue dead, ParkedQueue suppressed, Publisher publisher) {
        this.s = s;
        this.dead = dead;
        this.suppressed = suppressed;
        this.publisher = publisher;
    }

    int retryDead(String keyOrNull) {
        return retryDeadWhere(item -> keyOrNull == null || keyOrNull.equals(item.orderingKey()));
    }

    int retryDeadItems(java.util.Collection<Long> seqs) {
        java.util.Set<Long> wanted = java.util.Set.copyOf(seqs);
        return wanted.isEmpty() ? 0 : retryDeadWhere(item -> wanted.contains(item.seq()));
    }

    int purgeDeadItems(java.util.Collection<Long> seqs) {
        java.util.Set<Long> wanted = java.util.Set.copyOf(seqs);
        return wanted.isEmpty() ? 0 : purgeDeadWhere(item -> wanted.contains(item.seq()));
    }

    /** Publishes the matching dead letters back to their partitions (at the tail), then takes them out. */
    private int retryDeadWhere(java.util.function.Predicate<QueuedItem> which) {
        int[] n = {0};
        dead.scan((ch, r, item) -> {
            if (!which.test(item)) {
                return;
            }
            try {
                publisher.publish(s.partitionQueue(RabbitMqEventQueue.partitionOf(item.orderingKey(), s.settings.partitions())),
                        ParkedQueue.retried(r, s.clock.millis()), r.getBody(), item.seq()).get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new StoreUnavailableException("could not put a dead event back: " + e, e);
            }
            ch.basicAck(r.getEnvelope().getDeliveryTag(), false);
            n[0]++;
        });
        return n[0];
    }

    private int purgeDeadWhere(java.util.function.Predicate<QueuedItem> which) {
        List<Long> purged = new ArrayList<>();
        dead.scan((ch, r, item) -> {
            if (which.test(item)) {
                ch.basicAck(r.getEnvelope().getDeliveryTag(), false);
                purged.add(item.seq());
            }
        });
        s.lock.lock();
        try {
            purged.forEach(s.recent::remove);
        } finally {
            s.lock.unlock();
        }
        return purged.size();
    }

    int purge(DeliveryState state, String keyOrNull) {
        if (state.isOpen()) {
            throw new IllegalArgumentException("only DEAD or DELIVERED items can be purged, not " + state);
        }
        if (state == DeliveryState.DELIVERED) {
            s.lock.lock();
            try {
                int n = 0;
                for (Iterator<Map.Entry<String, ArrayDeque<Instant>>> it = s.delivered.entrySet().iterator(); it.hasNext(); ) {
                    Map.Entry<String, ArrayDeque<Instant>> e = it.next();
                    if (keyOrNull == null || keyOrNull.equals(e.getKey())) {
                        n += e.getValue().size();
                        it.remove();
                    }
                }
                s.recent.values().removeIf(i -> i.state() == DeliveryState.DELIVERED
                        && (keyOrNull == null || keyOrNull.equals(i.orderingKey())));
                return n;
            } finally {
                s.lock.unlock();
            }
        }
        return purgeDeadWhere(item -> keyOrNull == null || keyOrNull.equals(item.orderingKey()));
    }

    List<QueuedItem> listDead(String keyOrNull, int limit) {
        return list(dead, keyOrNull, limit);
    }

    private static List<QueuedItem> list(ParkedQueue from, String keyOrNull, int limit) {
        List<QueuedItem> out = new ArrayList<>();
        from.scan((ch, r, item) -> {
            if (out.size() < limit && (keyOrNull == null || keyOrNull.equals(item.orderingKey()))) {
                out.add(item);
            }
        });
        return out;
    }

    List<QueuedItem> listSuppressed(String keyOrNull, int limit) {
        return list(suppressed, keyOrNull, limit);
    }

    List<io.pdaltagent.queue.SuppressedCount> suppressedCounts(String keyOrNull) {
        Map<String, Map<String, Long>> counts = new TreeMap<>();
        suppressed.forEach(item -> {
            if (keyOrNull == null || keyOrNull.equals(item.orderingKey())) {
                String note = String.valueOf(item.lastError());
                String by = note.startsWith(NewItem.SUPPRESSED_PREFIX) ? note.substring(NewItem.SUPPRESSED_PREFIX.length()) : note;
                counts.computeIfAbsent(item.orderingKey(), k -> new TreeMap<>()).merge(by, 1L, Long::sum);
            }
        });
        List<io.pdaltagent.queue.SuppressedCount> out = new ArrayList<>();
        counts.forEach((k, perBy) -> perBy.forEach((by, n) -> out.add(new io.pdaltagent.queue.SuppressedCount(k, by, n))));
        return out;
    }

    /** Suppressed records go as delivered ones do: those parked before the cutoff (a parked item's nextAttemptAt). */
    int pruneSuppressed(Instant cutoff) {
        int[] n = {0};
        suppressed.scan((ch, r, item) -> {
            if (item.nextAttemptAt().isBefore(cutoff)) {
                ch.basicAck(r.getEnvelope().getDeliveryTag(), false);
                n[0]++;
            }
        });
        return n[0];
    }
}
