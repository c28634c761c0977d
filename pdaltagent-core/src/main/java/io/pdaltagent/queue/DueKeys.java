package io.pdaltagent.queue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The times at which ordering keys are due again (a retry's next attempt), for a queue backend's
 * claim loop: keys come out in due order once their time has come, and a waiting claimer sleeps no
 * longer than until the next one. A key may be in here more than once; the caller decides whether a
 * wake is still current. Not thread-safe: used under the backend's lock.
 */
public final class DueKeys {
    private record Wake(Instant at, String key) {
    }

    private static final long MIN_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Clock clock;
    private final PriorityQueue<Wake> wakes = new PriorityQueue<>((a, b) -> a.at.compareTo(b.at));

    public DueKeys(Clock clock) {
        this.clock = clock;
    }

    public void add(Instant at, String key) {
        wakes.add(new Wake(at, key));
    }

    /** Hands every key whose time has come, with the time it was due at, to {@code due}, earliest first. */
    public void pollDue(BiConsumer<String, Instant> due) {
        Instant now = clock.instant();
        while (!wakes.isEmpty() && !wakes.peek().at.isAfter(now)) {
            Wake w = wakes.poll();
            due.accept(w.key, w.at);
        }
    }

    /** How long a claimer with {@code leftNanos} to wait should sleep: until the next key is due, at most. */
    public long waitNanos(long leftNanos) {
        Wake next = wakes.peek();
        if (next == null) {
            return leftNanos;
        }
        long untilDue = Duration.between(clock.instant(), next.at).toNanos();
        return Math.min(leftNanos, Math.max(untilDue, MIN_WAIT_NANOS));
    }
}
