package io.pdaltagent.queue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * In-memory bookkeeping of which ordering keys have work, shared by the queue backends: a key is
 * READY (its head may be claimed), CLAIMED (its head is in flight) or WAITING (its head is due
 * later). Keys with no open item are forgotten. The store stays the truth about items; this class
 * only decides whose turn it is, so that a claim never scans the store.
 *
 * <p>A key may also wait with no open item: it was paced (its destination allows its next send only
 * later), so an item appended meanwhile waits too instead of being claimed at once. Such a key is
 * forgotten when its time comes and it still has nothing open.
 *
 * <p>Due times are measured on the monotonic ticker ({@link DueKeys}): a key made ready by its due
 * time is ready even if the wall clock was stepped back meanwhile ({@link #dueTimeKnown}).
 *
 * <p>Ready keys are served round-robin: a key that has just been served goes to the back, so one
 * busy key cannot starve the others. Thread-safe; {@link #takeReady} blocks.
 */
final class KeySchedule {
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
    private final ArrayDeque<String> ready = new ArrayDeque<>();
    private final DueKeys wakes;
    private boolean closed;

    KeySchedule(Clock clock) {
        this.clock = clock;
        this.wakes = new DueKeys(clock);
    }

    /** {@code count} new open items of {@code key} are durable (appended at its tail). */
    void opened(String key, long count) {
        opened(key, count, false);
    }

    /**
     * {@code count} open items of {@code key} are durable.
     *
     * @param wake the items may sit before the key's head (dead items retried by a person): a key
     *     waiting for its head's retry is made ready, so that its new head is looked at now
     */
    void opened(String key, long count, boolean wake) {
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
    List<String> takeReady(int max, Duration maxWait) throws InterruptedException {
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
                        String key = ready.pollFirst();
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
    void released(String key, long closedItems, Instant dueAt) {
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

    /** A claimed key turned out to have no open item in the store (another process closed them). */
    void forget(String key) {
        lock.lock();
        try {
            keys.remove(key);
        } finally {
            lock.unlock();
        }
    }

    /** Items of the key were closed without a claim (purged); forgets the key when none is left. */
    void closedWithoutClaim(String key, long count) {
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
    boolean isWaiting(String key) {
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
    boolean dueTimeKnown(String key) {
        lock.lock();
        try {
            Key k = keys.get(key);
            return k != null && k.dueKnown;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiting claimer; used when the clock moved or the queue closes. */
    void wakeUp() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
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
