package io.pdaltagent.queue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The per-key claim scheduler every queue backend shares: one in flight per key, head first, due
 * keys round-robin, a claimer waiting until the next key is due. It keeps in memory which ordering
 * keys have work: a key is READY (its head may be claimed), CLAIMED (its head is in flight, or the
 * backend holds it back) or WAITING (its head is due later). Keys with no open item are forgotten.
 * The store stays the truth about items; this class only decides whose turn it is, so that a claim
 * never scans the store.
 *
 * <p>A backend tells it what happens to its keys ({@link #opened}, {@link #released},
 * {@link #closedWithoutClaim}, {@link #forget}) and serves {@link EventQueue#claim} with
 * {@link #claim(int, Duration, Heads)}, giving the loop its own {@link Heads}: how to read the heads
 * of the keys whose turn it is, and how to mark them claimed.
 *
 * <p>A key may also wait with no open item: it was paced (its destination allows its next send only
 * later), so an item appended meanwhile waits too instead of being claimed at once. Such a key is
 * forgotten when its time comes and it still has nothing open.
 *
 * <p>Due times are measured on the monotonic ticker ({@link DueKeys}): a key made ready by its due
 * time is ready even if the wall clock was stepped back meanwhile ({@link #dueTimeKnown}).
 *
 * <p>Ready keys are served round-robin: a key that has just been served goes to the back, so one
 * busy key cannot starve the others. <b>Threads.</b> Thread-safe: one lock guards the keys; {@link #claim} and
 * {@link #takeReady} block on it. The {@link Heads} of a claim are called without that lock held, so
 * a backend may call into the scheduler from them and from under its own locks (the backend's lock,
 * then this one; never the other way round).
 *
 * <pre>{@code
 * ClaimScheduler schedule = new ClaimScheduler(clock);
 * schedule.opened("key", 1);                                  // an item of "key" is durable
 * List<QueuedItem> batch = schedule.claim(64, Duration.ofMillis(100), heads);
 * schedule.released("key", 1, null);                          // its outcome is durable: next item
 * }</pre>
 */
public final class ClaimScheduler {
    /** How long the keys of a claim wait when their heads could not be read (the store failed). */
    static final Duration READ_FAILURE_HOLD = Duration.ofSeconds(1);

    /** What a backend found at a key whose turn it is. */
    public sealed interface Head permits Open, Skip {
        /** The key's oldest open item: claimed when due. */
        static Head open(QueuedItem item) {
            return new Open(item);
        }
    }

    /** The key's oldest open item, as the store holds it. */
    public record Open(QueuedItem item) implements Head {
    }

    public enum Skip implements Head {
        /** The key has no open item (another process closed them): it is forgotten. */
        NONE,
        /**
         * The backend holds the key back for now (e.g. a broker acknowledgement is not confirmed
         * yet): the key stays CLAIMED until the backend calls {@link #released} for it.
         */
        HELD
    }

    /** A backend's part in a claim. */
    public interface Heads {
        /**
         * The heads of these keys, in the same order. A runtime failure (the store cannot be read)
         * holds every one of the keys for {@link #READ_FAILURE_HOLD} and reaches the claimer.
         */
        List<Head> read(List<String> keys);

        /**
         * Marks these due heads IN_FLIGHT, with one more attempt each, and returns them as claimed.
         * A head the backend no longer finds at its key is left out, and the backend releases or
         * forgets that key itself.
         */
        List<QueuedItem> take(List<QueuedItem> due);
    }
    private enum Status { READY, CLAIMED, WAITING }

    private static final class Key {
        long open;
        Status status;
        Instant dueAt;
        /** Its head's wait was set by {@link #released} in this process, so its due time is in {@link #wakes}. */
        boolean dueKnown;
    }

    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<String, Key> keys = new HashMap<>();
    /** The READY keys, each once, in the order they became ready; every key in it is in {@link #keys}. */
    private final LinkedHashSet<String> ready = new LinkedHashSet<>();
    private final DueKeys wakes;
    private boolean closed;

    public ClaimScheduler(Clock clock) {
        this.clock = clock;
        this.wakes = new DueKeys(clock);
    }

    /** {@code count} new open items of {@code key} are durable (appended at its tail). */
    public void opened(String key, long count) {
        opened(key, count, false);
    }

    /**
     * {@code count} open items of {@code key} are durable.
     *
     * @param wake the items may sit before the key's head (dead items retried by a person): a key
     *     waiting for its head's retry is made ready, so that its new head is looked at now
     */
    public void opened(String key, long count, boolean wake) {
        lock.lock();
        try {
            Key k = keys.get(key);
            if (k == null) {
                k = new Key();
                k.status = Status.READY;
                keys.put(key, k);
                ready.addLast(key);
                changed.signalAll();
            } else if (wake && k.status == Status.WAITING) {
                k.status = Status.READY;
                k.dueAt = null;
                k.dueKnown = false;
                ready.addLast(key);
                changed.signalAll();
            }
            k.open += count;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes up to {@code max} ready keys, marking them CLAIMED; waits up to {@code maxWait} for one.
     */
    public List<String> takeReady(int max, Duration maxWait) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, maxWait.toNanos());
        lock.lock();
        try {
            while (true) {
                promoteDue();
                if (closed) {
                    return List.of();
                }
                if (!ready.isEmpty() && max > 0) {
                    List<String> out = new ArrayList<>(Math.min(max, ready.size()));
                    while (out.size() < max && !ready.isEmpty()) {
                        String key = ready.removeFirst();
                        keys.get(key).status = Status.CLAIMED;
                        out.add(key);
                    }
                    return out;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return List.of();
                }
                changed.awaitNanos(wakes.waitNanos(left));
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A claimed key's attempt ended and the outcome is durable.
     *
     * @param closedItems how many of the key's open items were closed (DELIVERED or DEAD) by it
     * @param dueAt when the head is due again, or null when it is due now
     */
    public void released(String key, long closedItems, Instant dueAt) {
        lock.lock();
        try {
            Key k = keys.get(key);
            if (k == null) {
                return;
            }
            k.open -= closedItems;
            boolean later = dueAt != null && dueAt.isAfter(clock.instant());
            if (k.open <= 0 && !later) {
                keys.remove(key);
                return;
            }
            // the same head (a retry): its due time is the one set here; a new head's is in the store
            k.dueKnown = closedItems == 0;
            if (later) {
                k.status = Status.WAITING;
                k.dueAt = dueAt;
                wakes.add(dueAt, key);
            } else {
                k.status = Status.READY;
                ready.addLast(key);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The key has no open item any more (another process closed them, or a broker took its items
     * back), whatever its status: it is not served until {@link #opened} again.
     */
    public void forget(String key) {
        lock.lock();
        try {
            keys.remove(key);
            ready.remove(key);
        } finally {
            lock.unlock();
        }
    }

    /** Items of the key were closed without a claim (purged); forgets the key when none is left. */
    public void closedWithoutClaim(String key, long count) {
        lock.lock();
        try {
            Key k = keys.get(key);
            if (k != null) {
                k.open -= count;
                if (k.open <= 0 && k.status != Status.CLAIMED) {
                    keys.remove(key);
                    ready.remove(key);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether the key's head is waiting for a retry. */
    public boolean isWaiting(String key) {
        lock.lock();
        try {
            Key k = keys.get(key);
            return k != null && k.status == Status.WAITING;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether the key's due time was set in this process (by {@link #released}), so that a claim
     * need not check its head's stored next-attempt time against the wall clock: that time was
     * already waited out on the monotonic ticker, and the wall clock may have been stepped back since.
     * False for a key learned from the store (at start, or woken by a person's retry).
     */
    public boolean dueTimeKnown(String key) {
        lock.lock();
        try {
            Key k = keys.get(key);
            return k != null && k.dueKnown;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiting claimer; used when the clock moved or the queue closes. */
    public void wakeUp() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Serves {@link EventQueue#claim}: takes ready keys, reads their heads through {@code heads} and
     * claims those that are due; a head waiting for a retry whose due time this process did not set
     * (one learned from the store) makes its key wait for it. Waits up to {@code maxWait} for one
     * claim; returns an empty list when none was made.
     */
    public List<QueuedItem> claim(int max, Duration maxWait, Heads heads) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, maxWait.toNanos());
        while (true) {
            List<String> keys = takeReady(max, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            if (keys.isEmpty()) {
                return List.of();
            }
            List<Head> found;
            try {
                found = heads.read(keys);
            } catch (RuntimeException e) {
                Instant later = clock.instant().plus(READ_FAILURE_HOLD);
                keys.forEach(k -> released(k, 0, later));
                throw e;
            }
            Instant now = clock.instant();
            List<QueuedItem> due = new ArrayList<>(keys.size());
            List<QueuedItem> out;
            int i = 0;
            try {
                for (; i < keys.size(); i++) {
                    String key = keys.get(i);
                    switch (found.get(i)) {
                        case Open(QueuedItem head) when waitsForRetry(key, head, now) -> released(key, 0, head.nextAttemptAt());
                        case Open(QueuedItem head) -> {
                            DeliveryState.checkTransition(head.state(), DeliveryState.IN_FLIGHT);
                            due.add(head);
                        }
                        case Skip.NONE -> forget(key);
                        case Skip.HELD -> {
                            // the backend releases it
                        }
                    }
                }
                out = due.isEmpty() ? List.of() : heads.take(due);
            } catch (RuntimeException e) {
                // a head in a state it cannot be claimed from, or a backend that failed: the keys
                // not dealt with are looked at again later instead of staying claimed for ever
                Instant later = clock.instant().plus(READ_FAILURE_HOLD);
                due.forEach(head -> released(head.orderingKey(), 0, later));
                keys.subList(i, keys.size()).forEach(k -> released(k, 0, later));
                throw e;
            }
            if (!out.isEmpty() || System.nanoTime() >= deadline) {
                return out;
            }
        }
    }

    /**
     * The head waits for a retry stored for later, and this process did not measure that wait out
     * itself (then it was waited on the monotonic ticker, and the wall clock may have gone back).
     */
    private boolean waitsForRetry(String key, QueuedItem head, Instant now) {
        return head.state() == DeliveryState.RETRY_SCHEDULED && head.nextAttemptAt().isAfter(now) && !dueTimeKnown(key);
    }

    private void promoteDue() {
        wakes.pollDue((key, at) -> {
            Key k = keys.get(key);
            if (k != null && k.status == Status.WAITING && at.equals(k.dueAt)) {
                if (k.open <= 0) {
                    // a paced key that got nothing new meanwhile
                    keys.remove(key);
                    return;
                }
                k.status = Status.READY;
                k.dueAt = null;
                ready.addLast(key);
            }
        });
    }
}
