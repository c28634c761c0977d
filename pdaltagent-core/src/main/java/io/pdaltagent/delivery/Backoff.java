package io.pdaltagent.delivery;

import java.time.Duration;
import java.util.random.RandomGenerator;

/** How long to wait before the next attempt. Tests replace it with a fixed delay. */
@FunctionalInterface
public interface Backoff {

    /** The wait before attempt {@code attempts + 1}, after {@code attempts} failed ones (≥ 1). */
    Duration delay(int attempts);

    /**
     * Exponential backoff with full jitter: a uniform random wait between zero and
     * {@code min(cap, base * 2^(attempts-1))}. Full jitter spreads the retries of many keys that
     * failed together (a PagerDuty outage) instead of sending them back in one wave.
     */
    static Backoff exponentialFullJitter(Duration base, Duration cap, RandomGenerator random) {
        long baseMs = Math.max(1, base.toMillis());
        long capMs = Math.max(baseMs, cap.toMillis());
        return attempts -> {
            int shift = Math.min(Math.max(attempts - 1, 0), 40);
            long ceiling = baseMs << shift;
            if (ceiling <= 0 || ceiling > capMs) {
                ceiling = capMs;
            }
            return Duration.ofMillis(random.nextLong(ceiling + 1));
        };
    }
}
