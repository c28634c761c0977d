package io.pdaltagent.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import io.pdaltagent.queue.Ticker;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that moves only when a test moves it, with its own monotonic {@link Ticker}:
 * {@link #advance} moves both (time passes), {@link #step} moves only the wall clock (an NTP step,
 * forward or back). Thread-safe.
 */
public final class ManualClock extends Clock implements Ticker {
    private final AtomicReference<Instant> now;
    private final AtomicLong nanos = new AtomicLong();

    public ManualClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    public ManualClock() {
        this(Instant.parse("2026-01-01T00:00:00Z"));
    }

    /** Time passes: the wall clock and the monotonic ticker both move by {@code d}. */
    public void advance(Duration d) {
        synchronized (this) {
            now.updateAndGet(i -> i.plus(d));
            nanos.addAndGet(d.toNanos());
        }
    }

    /** The wall clock is stepped by {@code d} (negative: back); no time passes on the ticker. */
    public void step(Duration d) {
        now.updateAndGet(i -> i.plus(d));
    }

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
