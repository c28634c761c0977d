package io.pdaltagent.observe;

import java.util.Arrays;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A lock-free histogram of durations with fixed upper bounds, in the Prometheus sense: a bucket
 * counts observations less than or equal to its bound. {@link #observeNanos} allocates nothing.
 *
 * <p>Buckets are kept per bucket (not cumulative) and summed up at {@link #snapshot} time, so the
 * {@code +Inf} bucket of a snapshot always equals its count even while observations go on. The sum
 * is read separately and may be a few observations ahead of or behind the buckets.
 */
final class Histogram {
    private final double[] boundsSeconds;
    private final long[] boundsNanos;
    /** One per bound plus the overflow bucket (greater than every bound). */
    private final LongAdder[] buckets;
    private final DoubleAdder sumSeconds = new DoubleAdder();

    /** @param boundsSeconds upper bounds in seconds: positive, finite, strictly increasing */
    Histogram(double... boundsSeconds) {
        if (boundsSeconds.length == 0) {
            throw new IllegalArgumentException("a histogram needs at least one bucket");
        }
        this.boundsSeconds = boundsSeconds.clone();
        this.boundsNanos = new long[boundsSeconds.length];
        for (int i = 0; i < boundsSeconds.length; i++) {
            double b = boundsSeconds[i];
            if (!(b > 0) || Double.isInfinite(b) || (i > 0 && b <= boundsSeconds[i - 1])) {
                throw new IllegalArgumentException("bucket bounds must be positive, finite and increasing: "
                        + Arrays.toString(boundsSeconds));
            }
            boundsNanos[i] = Math.round(b * 1e9);
        }
        this.buckets = new LongAdder[boundsSeconds.length + 1];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    /** Records one observation; negative values (a clock that stepped back) count as zero. */
    void observeNanos(long nanos) {
        long n = Math.max(0, nanos);
        int i = Arrays.binarySearch(boundsNanos, n);
        // found: the bucket whose bound equals n (bounds are inclusive); not found: the insertion
        // point, the first bound greater than n, or boundsNanos.length for the overflow bucket
        buckets[i >= 0 ? i : -i - 1].increment();
        sumSeconds.add(n / 1e9);
    }

    double[] boundsSeconds() {
        return boundsSeconds.clone();
    }

    Snapshot snapshot() {
        long[] cumulative = new long[buckets.length];
        long running = 0;
        for (int i = 0; i < buckets.length; i++) {
            running += buckets[i].sum();
            cumulative[i] = running;
        }
        return new Snapshot(boundsSeconds.clone(), cumulative, sumSeconds.sum());
    }

    /**
     * @param bounds the upper bounds in seconds, without +Inf
     * @param cumulative one count per bound, then the +Inf count (which is the total count)
     */
    record Snapshot(double[] bounds, long[] cumulative, double sumSeconds) {
        long count() {
            return cumulative[cumulative.length - 1];
        }
    }
}
