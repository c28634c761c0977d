package io.pdaltagent.testing;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * PagerDuty's per-key rate limit for the fake: at most {@code limit} accepted events per routing
 * key in any trailing {@code window} (PagerDuty: about 120 per 60 s). A request over it is not
 * ingested and gets 429, with {@code Retry-After} (whole seconds, rounded up) until the oldest
 * accepted event of the window leaves it, when {@code retryAfter} is on. Refused requests do not
 * count: PagerDuty's documentation says a throttled event is not ingested.
 *
 * <p>Not thread-safe: the fake calls it under its lock.
 */
final class RateLimit {
    private final int limit;
    private final long windowNanos;
    private final boolean retryAfter;
    private final LongSupplier ticker;
    private final Map<String, ArrayDeque<Long>> accepted = new HashMap<>();
    private long refused;

    RateLimit(int limit, Duration window, boolean retryAfter, LongSupplier ticker) {
        if (limit < 1 || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("a rate limit needs a limit of at least 1 and a positive window");
        }
        this.limit = limit;
        this.windowNanos = window.toNanos();
        this.retryAfter = retryAfter;
        this.ticker = ticker;
    }

    /**
     * Admits one event of {@code key} now, counting it; or, when the key is over its limit, returns
     * the Retry-After value in seconds (0 when Retry-After is off) and counts a refusal.
     *
     * @return -1 when admitted
     */
    long admit(String key) {
        long now = ticker.getAsLong();
        ArrayDeque<Long> times = accepted.computeIfAbsent(key == null ? "" : key, k -> new ArrayDeque<>());
        while (!times.isEmpty() && now - times.peekFirst() >= windowNanos) {
            times.pollFirst();
        }
        if (times.size() < limit) {
            times.addLast(now);
            return -1;
        }
        refused++;
        if (!retryAfter) {
            return 0;
        }
        long leftNanos = times.peekFirst() + windowNanos - now;
        return Math.max(1, (leftNanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1));
    }

    /** Requests refused with 429 since start (or the last clear). */
    long refused() {
        return refused;
    }

    void clear() {
        accepted.clear();
        refused = 0;
    }

    String describe() {
        return limit + " per " + Duration.ofNanos(windowNanos).toMillis() + " ms per key"
                + (retryAfter ? ", Retry-After" : ", no Retry-After");
    }
}
