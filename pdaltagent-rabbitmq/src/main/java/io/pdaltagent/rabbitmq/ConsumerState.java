package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.Connection;
import io.pdaltagent.queue.ClaimScheduler;
import io.pdaltagent.queue.QueuedItem;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What this agent's consumer holds of the partitions: the messages per key ({@link KeyState},
 * {@link Held}), the partitions as consumed here ({@link Part}), the claim scheduler that decides
 * whose turn it is, the retry log, and the records of items recently finished here. Shared by the
 * classes that make up the RabbitMQ queue (see {@link RabbitMqEventQueue}).
 *
 * <p><b>Threads.</b> Everything mutable here is guarded by {@link #lock}; {@link #changed} is
 * signalled whenever held items or partitions change. The lock is never held while waiting for the
 * broker. Lock order: this lock, then the claim scheduler's; a partition's {@code writeLock} is never
 * taken under this lock, nor this lock under it.
 */
final class ConsumerState {
    static final int RECENT_LIMIT = 10_000;
    static final int DELIVERED_PER_KEY_LIMIT = 1_000;

    final RabbitMqEventQueue.Settings settings;
    final Clock clock;
    final ReentrantLock lock = new ReentrantLock();
    final Condition changed = lock.newCondition();
    final Map<String, KeyState> keys = new HashMap<>();
    final Map<Long, Held> bySeq = new HashMap<>();
    final Part[] parts;
    /** Whose turn it is; keys are told to it under {@code lock} (this lock, then the scheduler's). */
    final ClaimScheduler schedule;
    final RetryLog retryLog;
    final LinkedHashMap<Long, QueuedItem> recent = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, QueuedItem> e) {
            return size() > RECENT_LIMIT;
        }
    };
    final Map<String, ArrayDeque<Instant>> delivered = new TreeMap<>();
    /** Own appends not yet seen by this agent's consumer: seq -> nanoTime of the publish. */
    final ConcurrentHashMap<Long, Long> inTransit = new ConcurrentHashMap<>();
    private final AtomicLong lastSeq = new AtomicLong();
    volatile boolean closed;

    ConsumerState(RabbitMqEventQueue.Settings settings, Clock clock, Connection pub, Publisher publisher) {
        this.settings = settings;
        this.clock = clock;
        this.schedule = new ClaimScheduler(clock);
        this.retryLog = new RetryLog(pub, publisher, clock, settings.partitions(), this::retryQueue);
        this.parts = new Part[settings.partitions()];
        for (int p = 0; p < parts.length; p++) {
            parts[p] = new Part(p);
        }
    }

    String partitionQueue(int p) {
        return settings.prefix() + ".p" + (settings.partitions() > 100 ? String.format("%03d", p) : String.format("%02d", p));
    }

    /** The retry log of a partition (see {@link RetryLog}). */
    String retryQueue(int p) {
        return partitionQueue(p) + ".retries";
    }

    String agentsQueue() {
        return settings.prefix() + ".agents";
    }

    /** Under lock: the item leaves this agent; its key is free (from {@code keyDueAt} when paced). */
    void drop(Held held, KeyState ks, Instant keyDueAt) {
        bySeq.remove(held.seq, held);
        ks.remove(held);
        if (ks.inFlight == held) {
            ks.inFlight = null;
        }
        if (ks.isEmpty()) {
            keys.remove(held.key, ks);
        }
        long count = ks.count();
        schedule.released(held.key, ks.counted - count, keyDueAt);
        ks.counted = count;
        changed.signalAll();
    }

    /** Under lock: the attempt ended, the item stays at its key's head, due again at {@code dueAt} (null: now). */
    void release(String key, KeyState ks, Instant dueAt) {
        ks.inFlight = null;
        long count = ks.count();
        schedule.released(key, ks.counted - count, dueAt);
        ks.counted = count;
        changed.signalAll();
    }

    /** For tests: waits until this agent's consumer holds the item and may claim it (or it was completed). */
    boolean awaitVisible(long seq, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            // held, with its partition's retry log read (so that a claim may take it), or completed
            while (!(bySeq.containsKey(seq) && parts[bySeq.get(seq).partition].logLoaded) && !recent.containsKey(seq)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    long heldOpen() {
        lock.lock();
        try {
            return bySeq.size();
        } finally {
            lock.unlock();
        }
    }

    long nextSeq() {
        long base = System.currentTimeMillis() * 1000;
        return lastSeq.updateAndGet(prev -> Math.max(prev + 1, base));
    }
}
