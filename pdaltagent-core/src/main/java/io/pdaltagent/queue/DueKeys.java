package io.pdaltagent.queue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * The times at which ordering keys are due again (a retry's next attempt, a paced key's next send),
 * for a queue backend's claim loop: keys come out in due order once their time has come, and a
 * waiting claimer sleeps no longer than until the next one. A key may be in here more than once; the
 * caller decides whether a wake is still current. Not thread-safe: used under the backend's lock.
 *
 * <p>A due time is given as a wall-clock instant, but how far away it is is worked out once, when
 * it is added, and from then on measured on the monotonic {@link Ticker}: a step of the wall clock
 * (NTP) neither freezes a wait (step back) nor ends every wait at once (step forward).
 */
public final class DueKeys {
    private record Wake(long dueNanos, Instant at, String key) {
    }

    private static final long MIN_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Clock clock;
    private final LongSupplier ticker;
    private final PriorityQueue<Wake> wakes = new PriorityQueue<>((a, b) -> Long.compare(a.dueNanos - b.dueNanos, 0));

    public DueKeys(Clock clock) {
        this.clock = clock;
        this.ticker = Ticker.of(clock);
    }

    /** {@code key} is due at {@code at} (wall clock, read now): in that long on the monotonic ticker. */
    public void add(Instant at, String key) {
        wakes.add(new Wake(ticker.getAsLong() + nanosUntil(at), at, key));
    }

    /**
     * Hands every key whose time has come, with the wall-clock time it was due at (as given to
     * {@link #add}), to {@code due}, earliest first.
     */
    public void pollDue(BiConsumer<String, Instant> due) {
        long now = ticker.getAsLong();
        while (!wakes.isEmpty() && wakes.peek().dueNanos - now <= 0) {
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
        long untilDue = next.dueNanos - ticker.getAsLong();
        return Math.min(leftNanos, Math.max(untilDue, MIN_WAIT_NANOS));
    }

    /** Nanoseconds from the wall clock's now to {@code at}, saturated (a far date waits "forever"). */
    private long nanosUntil(Instant at) {
        Duration d = Duration.between(clock.instant(), at);
        try {
            return d.toNanos();
        } catch (ArithmeticException tooFar) {
            return d.isNegative() ? Long.MIN_VALUE / 4 : Long.MAX_VALUE / 4;
        }
    }
}
