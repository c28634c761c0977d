package io.pdaltagent.transform;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded rules file: the rules in order, then the maintenance windows. For one event, each rule
 * whose condition holds runs its actions, until a rule suppresses the event or says {@code stop};
 * then every open window whose condition holds on the (changed) event suppresses it. Immutable
 * apart from the counters; thread-safe.
 */
final class RuleSet {
    private static final Logger LOG = LoggerFactory.getLogger(RuleSet.class);
    /** A rule that fails on event after event is logged at most this often. */
    private static final long FAILURE_LOG_INTERVAL_MILLIS = 30_000;

    static final RuleSet EMPTY = new RuleSet(List.of(), List.of());

    private final List<Rule> rules;
    private final List<MaintenanceWindow> windows;
    private final ConcurrentMap<String, AtomicLong> lastFailureLog = new ConcurrentHashMap<>();

    RuleSet(List<Rule> rules, List<MaintenanceWindow> windows) {
        this.rules = List.copyOf(rules);
        this.windows = List.copyOf(windows);
    }

    List<Rule> rules() {
        return rules;
    }

    List<MaintenanceWindow> windows() {
        return windows;
    }

    /**
     * Applies the rules and windows to {@code e} at {@code now}, counting into {@code stats} (by name).
     *
     * @param trace when not null, told of each rule that matched and what it did (check-rules)
     */
    void apply(TransformEvent e, Instant now, Map<String, RuleStats> stats, List<String> trace) {
        Map<String, Object> activation = null;
        for (Rule rule : rules) {
            if (e.stopped() || e.suppressedBy() != null) {
                break;
            }
            RuleStats s = stats.computeIfAbsent(rule.name(), n -> new RuleStats());
            long t0 = System.nanoTime();
            boolean matched;
            if (rule.condition() == Condition.ALWAYS) {
                matched = true;
            } else {
                if (activation == null) {
                    activation = Condition.activation(e.event());
                }
                try {
                    matched = rule.condition().test(e.event(), activation);
                } catch (Condition.ConditionException ex) {
                    matched = false;
                    failed(rule.name(), s, "its condition could not be evaluated: " + ex.getMessage(), trace);
                }
            }
            if (matched) {
                s.matched.increment();
                if (trace != null) {
                    trace.add("rule " + rule.name() + " matched");
                }
                for (Action a : rule.actions()) {
                    if (!a.apply(e)) {
                        failed(rule.name(), s, "action '" + a.describe() + "' did not fit the event's shape", trace);
                    } else if (trace != null) {
                        trace.add("  " + a.describe());
                    }
                }
                if (e.suppressedBy() != null) {
                    s.suppressed.increment();
                }
            } else if (trace != null) {
                trace.add("rule " + rule.name() + " did not match");
            }
            s.nanos.add(System.nanoTime() - t0);
        }
        for (MaintenanceWindow w : windows) {
            if (e.suppressedBy() != null) {
                break;
            }
            RuleStats s = stats.computeIfAbsent(w.name(), n -> new RuleStats());
            long t0 = System.nanoTime();
            if (w.isOpen(now)) {
                boolean matched;
                if (w.condition() == Condition.ALWAYS) {
                    matched = true;
                } else {
                    if (activation == null) {
                        activation = Condition.activation(e.event());
                    }
                    try {
                        matched = w.condition().test(e.event(), activation);
                    } catch (Condition.ConditionException ex) {
                        matched = false;
                        failed(w.name(), s, "its condition could not be evaluated: " + ex.getMessage(), trace);
                    }
                }
                if (matched) {
                    s.matched.increment();
                    s.suppressed.increment();
                    e.suppress(w.name());
                    if (trace != null) {
                        trace.add("maintenance window " + w.name() + " is open and matched: suppress");
                    }
                } else if (trace != null) {
                    trace.add("maintenance window " + w.name() + " is open but did not match");
                }
            } else if (trace != null) {
                trace.add("maintenance window " + w.name() + " is closed");
            }
            s.nanos.add(System.nanoTime() - t0);
        }
    }

    private void failed(String name, RuleStats s, String why, List<String> trace) {
        s.failed.increment();
        if (trace != null) {
            trace.add("rule " + name + ": " + why);
            return;
        }
        AtomicLong last = lastFailureLog.computeIfAbsent(name, n -> new AtomicLong(Long.MIN_VALUE / 2));
        long now = System.currentTimeMillis();
        long prev = last.get();
        if (now - prev >= FAILURE_LOG_INTERVAL_MILLIS && last.compareAndSet(prev, now)) {
            LOG.warn("Rule {}: {} (the event goes on; logged at most every {} s)", name, why,
                    FAILURE_LOG_INTERVAL_MILLIS / 1000);
        }
    }
}
