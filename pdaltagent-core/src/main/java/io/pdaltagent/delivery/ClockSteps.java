package io.pdaltagent.delivery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices steps of the wall clock (an NTP step, a person setting the date) by comparing it with the
 * monotonic ticker, so that an event's age is not inflated by a forward step: an event accepted ten
 * minutes before the clock jumped two days ahead is ten minutes old, not two days, and must not
 * expire.
 *
 * <p>Only forward steps are corrected. After a backward step an event looks younger than it is and
 * lives longer by at most the step; correcting it would need to know on which side of the step its
 * acceptance was stamped, which a backward step makes ambiguous, and expiring an event early is the
 * worse error.
 *
 * <p>Threads: {@link #observe} is called often by one thread (the dispatcher loop); {@link #age}
 * by any. Both synchronize on this object; {@link #age} is only asked about events that would
 * otherwise expire, so the delivery hot path does not pay for it.
 */
final class ClockSteps {
    private static final Logger LOG = LoggerFactory.getLogger(ClockSteps.class);
    /** Jitter of reading two clocks one after the other, and a scheduler pause between, is far below this. */
    private static final long TOLERANCE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** NTP slews a clock by at most 500 ppm; twice that is still drift, not a step. */
    private static final long DRIFT_DIVISOR = 1000;
    /** Steps remembered; events accepted before older steps are long expired or delivered anyway. */
    private static final int MAX_STEPS = 64;

    /** The wall clock jumped ahead by {@code size} at {@code at} (its reading just before the jump). */
    private record Step(Instant at, Duration size) {
    }

    private final Clock clock;
    private final LongSupplier ticker;
    private final ArrayDeque<Step> forward = new ArrayDeque<>();
    private Instant lastWall;
    private long lastTick;

    ClockSteps(Clock clock, LongSupplier ticker) {
        this.clock = clock;
        this.ticker = ticker;
        this.lastWall = clock.instant();
        this.lastTick = ticker.getAsLong();
    }

    /** Compares the wall clock's progress with the ticker's since the last call; records a step. */
    synchronized void observe() {
        Instant wall = clock.instant();
        long tick = ticker.getAsLong();
        long elapsed = tick - lastTick;
        Instant expected = lastWall.plusNanos(elapsed);
        Duration off = Duration.between(expected, wall);
        long tolerance = TOLERANCE_NANOS + Math.max(0, elapsed) / DRIFT_DIVISOR;
        if (off.toNanos() > tolerance) {
            LOG.warn("the system clock jumped {} s ahead; event ages are corrected for it", off.toSeconds());
            forward.addLast(new Step(expected, off));
            if (forward.size() > MAX_STEPS) {
                forward.pollFirst();
            }
        } else if (-off.toNanos() > tolerance) {
            LOG.warn("the system clock went {} s back; retries wait on monotonic time and are not delayed by it",
                    -off.toSeconds());
        }
        lastWall = wall;
        lastTick = tick;
    }

    /** How long ago {@code acceptedAt} really was: the wall clock's answer less forward steps since. */
    synchronized Duration age(Instant acceptedAt, Instant now) {
        observe();
        Duration age = Duration.between(acceptedAt, now);
        for (Step s : forward) {
            if (!s.at.isBefore(acceptedAt)) {
                age = age.minus(s.size);
            }
        }
        return age;
    }
}
