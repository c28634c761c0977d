package io.pdaltagent.observe;

/**
 * A snapshot of the Events API's per-key pacing for {@code /healthz} and {@code /metrics}.
 *
 * @param ratePerMinute the configured pace per routing key (what a throttled key recovers to)
 * @param burst sends a quiet key may make at once
 * @param throttledKeys keys sending below full pace now because PagerDuty answered 429 (or held for its Retry-After)
 * @param trackedKeys keys with a bucket in memory (recently active)
 * @param throttles 429s (and v1 403s) the pacer learned from since start
 * @param heldBack claims given back unsent because their key had no token yet, since start
 */
public record PacingStats(int ratePerMinute, int burst, int throttledKeys, int trackedKeys, long throttles,
                          long heldBack) {
}
