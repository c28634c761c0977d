package io.pdaltagent.transform;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one rule, maintenance window or plugin, for {@code /metrics}: events it matched,
 * events it suppressed, failures (a condition or action that could not run on an event, a plugin
 * that threw or timed out) and the time spent in it. Kept by name across reloads of the rules file.
 * Thread-safe (adders).
 */
public final class RuleStats {
    final LongAdder matched = new LongAdder();
    final LongAdder suppressed = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder nanos = new LongAdder();

    public long matched() {
        return matched.sum();
    }

    public long suppressed() {
        return suppressed.sum();
    }

    public long failed() {
        return failed.sum();
    }

    public long nanos() {
        return nanos.sum();
    }
}
