package io.pdaltagent.testing;

import java.time.Duration;

/**
 * The size of a fault-suite run: the short form in CI (factor 1: a few hundred events, outages of
 * seconds) or the long form of {@code bench/reliability.sh} ({@code PDALTAGENT_FAULTS_SCALE=N}: N
 * times the events and N times the outages).
 */
public final class FaultScale {
    private FaultScale() {
    }

    /** {@code PDALTAGENT_FAULTS_SCALE}, 1 when unset. */
    public static int factor() {
        String v = System.getenv("PDALTAGENT_FAULTS_SCALE");
        if (v == null || v.isBlank()) {
            return 1;
        }
        int n = Integer.parseInt(v.trim());
        if (n < 1 || n > 1000) {
            throw new IllegalArgumentException("PDALTAGENT_FAULTS_SCALE must be 1..1000, not " + n);
        }
        return n;
    }

    /** {@code n} scaled. */
    public static int events(int n) {
        return n * factor();
    }

    /** {@code d} scaled. */
    public static Duration time(Duration d) {
        return d.multipliedBy(factor());
    }
}
