package io.pdaltagent.delivery;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.observe.PacingStats;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Paces the sends of each routing key to the Events API under PagerDuty's per-key rate limit
 * (about 120 calls a minute per integration key, counted over a trailing minute): one token bucket
 * per key that refills at the key's current rate and holds up to {@code burst} tokens.
 *
 * <p>The rate learns from PagerDuty. It starts at the configured rate (the documented limit). A
 * 429 (or a v1 403) empties the bucket and holds the key for the {@code Retry-After} asked for:
 * PagerDuty said when its trailing window has room again, so a lone 429 (the burst allowance added
 * to a full window) costs nothing more. A 429 without {@code Retry-After}, or a second one within
 * one window (PagerDuty's trailing minute) of the last (PagerDuty's limit for the key is lower than
 * the setting: it adjusts limits dynamically), halves the rate, never below {@link #FLOOR_DIVISOR a
 * floor}. From a halving the rate climbs back linearly, by {@link #RECOVERY_PER_WINDOW a tenth} of
 * the configured rate per window, so a key that was halved is at full pace again five minutes later.
 *
 * <p>All times are on the monotonic ticker: a step of the wall clock changes nothing here.
 *
 * <p>Memory: a bucket exists for keys that sent recently; one that is full again at full rate is
 * the same as no bucket and is dropped by a sweep at most every {@link #SWEEP_INTERVAL_NANOS}.
 *
 * <p>Threads: thread-safe. Each bucket is guarded by its own monitor (delivery tasks of different
 * keys never contend); the map is concurrent. No method blocks.
 */
public final class KeyPacer {
    /** A 429 halves the rate: the classic multiplicative decrease, which settles fast under a hard limit. */
    private static final double DECREASE_FACTOR = 0.5;
    /** The rate never falls below the configured one divided by this (120/min: about 2 a minute). */
    private static final double FLOOR_DIVISOR = 64;
    /** Share of the configured rate won back per window without a 429: full pace five windows after a halving. */
    private static final double RECOVERY_PER_WINDOW = 0.1;
    private static final double NANOS_PER_MINUTE = TimeUnit.MINUTES.toNanos(1);
    private static final long SWEEP_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** Whether a send may go now, and if not, how long until it may. */
    public sealed interface Decision {
        /** A token was taken: send. */
        record Go() implements Decision {
        }

        /** No token: the key's next send may go in {@code delay}. */
        record Wait(Duration delay) implements Decision {
        }
    }

    private static final Decision GO = new Decision.Go();

    /** A key's bucket; every field is guarded by the bucket's monitor. */
    private static final class Bucket {
        double tokens;
        long refilledAt;
        /** The rate right after the last 429, in tokens per nanosecond; recovers from there. */
        double rateAfterThrottle;
        long throttledAt;
        boolean recovering;
        long last429At;
        boolean seen429;
        long holdUntil;
        boolean holding;
    }

    private final double fullRate;
    private final double floorRate;
    private final int burst;
    /** PagerDuty's counting window: a 429 within one of the last means the pace is too high. */
    private final double windowNanos;
    private final LongSupplier ticker;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final AtomicLong lastSweep;
    private final AtomicLong throttles = new AtomicLong();
    private final AtomicLong waits = new AtomicLong();

    /** @param ticker monotonic nanoseconds ({@code System::nanoTime}, or a test's manual clock) */
    public KeyPacer(AgentConfig.PacingConfig config, LongSupplier ticker) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("pacing is off: no pacer is needed");
        }
        this.fullRate = config.ratePerMinute() / NANOS_PER_MINUTE;
        this.floorRate = fullRate / FLOOR_DIVISOR;
        this.burst = config.burst();
        this.windowNanos = config.window().toNanos();
        this.ticker = ticker;
        this.lastSweep = new AtomicLong(ticker.getAsLong());
    }

    /** Takes a token for a send of {@code key} now, or says how long until one is there. */
    public Decision acquire(String key) {
        long now = ticker.getAsLong();
        sweepIfDue(now);
        Bucket b = buckets.computeIfAbsent(key, k -> newBucket(now));
        synchronized (b) {
            long wait = waitNanos(b, now);
            if (wait > 0) {
                waits.incrementAndGet();
                return new Decision.Wait(Duration.ofNanos(wait));
            }
            b.tokens -= 1;
            return GO;
        }
    }

    /**
     * PagerDuty throttled the key (429, or 403 on v1): empty its bucket and hold it for
     * {@code retryAfter} when PagerDuty said how long; halve its rate when it did not, or when this
     * is the second 429 within a minute.
     */
    public void throttled(String key, Duration retryAfter) {
        long now = ticker.getAsLong();
        throttles.incrementAndGet();
        Bucket b = buckets.computeIfAbsent(key, k -> newBucket(now));
        synchronized (b) {
            refill(b, now);
            boolean repeated = remembers429(b, now);
            b.seen429 = true;
            b.last429At = now;
            boolean told = retryAfter != null && !retryAfter.isNegative();
            if (!told || repeated) {
                b.rateAfterThrottle = Math.max(floorRate, rate(b, now) * DECREASE_FACTOR);
                b.throttledAt = now;
                b.recovering = true;
            }
            b.tokens = Math.min(b.tokens, 0);
            if (retryAfter != null && !retryAfter.isZero() && !retryAfter.isNegative()) {
                b.holdUntil = now + retryAfter.toNanos();
                b.holding = true;
                // nothing is earned while held (else the key would burst into a window just freed):
                // one send when the hold ends (the retry), then the pace
                b.tokens = 1;
                b.refilledAt = b.holdUntil;
            }
        }
    }

    /** How long until the key's next send may go; zero when it may go now. Takes nothing. */
    public Duration untilNext(String key) {
        Bucket b = buckets.get(key);
        if (b == null) {
            return Duration.ZERO;
        }
        long now = ticker.getAsLong();
        synchronized (b) {
            return Duration.ofNanos(waitNanos(b, now));
        }
    }

    /** Keys sending below full pace because of a 429 (or held for a Retry-After) now. */
    public int throttledKeys() {
        long now = ticker.getAsLong();
        int n = 0;
        for (Bucket b : buckets.values()) {
            synchronized (b) {
                if (isThrottled(b, now)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Whether {@code key} sends below full pace because of a 429 now. */
    public boolean isThrottled(String key) {
        Bucket b = buckets.get(key);
        if (b == null) {
            return false;
        }
        synchronized (b) {
            return isThrottled(b, ticker.getAsLong());
        }
    }

    /** 429s (and v1 403s) seen since start. */
    public long throttles() {
        return throttles.get();
    }

    /** Sends held back since start because their key had no token (each one claim given back). */
    public long waits() {
        return waits.get();
    }

    /** Keys with a bucket: what the pacer holds in memory. */
    public int trackedKeys() {
        return buckets.size();
    }

    /** A snapshot for {@code /healthz} and {@code /metrics}. */
    public PacingStats stats() {
        return new PacingStats((int) Math.round(fullRate * NANOS_PER_MINUTE), burst, throttledKeys(), trackedKeys(),
                throttles(), waits());
    }

    private Bucket newBucket(long now) {
        Bucket b = new Bucket();
        b.tokens = burst;
        b.refilledAt = now;
        return b;
    }

    /** Under the bucket's monitor: nanoseconds until a token is there and any hold is over. */
    private long waitNanos(Bucket b, long now) {
        refill(b, now);
        long hold = b.holding ? b.holdUntil - now : 0;
        if (hold <= 0) {
            b.holding = false;
            hold = 0;
        }
        long refill = b.tokens >= 1 ? 0 : (long) Math.ceil((1 - b.tokens) / rate(b, now));
        return Math.max(hold, refill);
    }

    /** Under the bucket's monitor: adds what the key earned since the last refill, up to the burst. */
    private void refill(Bucket b, long now) {
        long elapsed = now - b.refilledAt;
        if (elapsed <= 0) {
            return;
        }
        b.tokens = Math.min(burst, b.tokens + elapsed * rate(b, now));
        b.refilledAt = now;
    }

    /** Under the bucket's monitor: the key's rate now, in tokens per nanosecond. */
    private double rate(Bucket b, long now) {
        if (!b.recovering) {
            return fullRate;
        }
        double r = b.rateAfterThrottle + fullRate * RECOVERY_PER_WINDOW * ((now - b.throttledAt) / windowNanos);
        if (r >= fullRate) {
            b.recovering = false;
            return fullRate;
        }
        return r;
    }

    private boolean isThrottled(Bucket b, long now) {
        return (b.holding && b.holdUntil - now > 0) || (b.recovering && rate(b, now) < fullRate);
    }

    /** Whether the bucket still matters: a 429 of the last minute makes the next one a repeat. */
    private boolean remembers429(Bucket b, long now) {
        return b.seen429 && now - b.last429At < windowNanos;
    }

    /** Drops buckets that are full at full rate: such a key behaves exactly as one never seen. */
    private void sweepIfDue(long now) {
        long last = lastSweep.get();
        if (now - last < SWEEP_INTERVAL_NANOS || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        for (Iterator<Map.Entry<String, Bucket>> it = buckets.entrySet().iterator(); it.hasNext(); ) {
            Bucket b = it.next().getValue();
            synchronized (b) {
                refill(b, now);
                if (!isThrottled(b, now) && !remembers429(b, now) && b.tokens >= burst) {
                    it.remove();
                }
            }
        }
    }
}
