package io.pdaltagent.queue;

import java.time.Clock;
import java.util.function.LongSupplier;

/**
 * Monotonic time for waits: the system's {@code System.nanoTime()}, which an NTP step of the wall
 * clock does not move. A {@link Clock} that is also a Ticker (a test's manual clock) supplies its
 * own, so that a test can step the wall clock without moving monotonic time.
 *
 * <p>Rule: durable times (an item's next attempt, its acceptance) are wall-clock {@code Instant}s,
 * because they must mean something after a restart; how long to wait for one is decided once, when
 * it is set, and from then on measured on the monotonic ticker.
 */
public interface Ticker {
    /** Nanoseconds from an arbitrary origin; only differences mean anything. */
    long nanoTime();

    /** The clock's own ticker when it has one, else the system's monotonic time. */
    static LongSupplier of(Clock clock) {
        return clock instanceof Ticker t ? t::nanoTime : System::nanoTime;
    }
}
