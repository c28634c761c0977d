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
    /** The counters of the stats map last used (one map per rules stage); see {@link #counters}. */
    private volatile Counters counters;

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
     * @param now the time, for the windows (may be null when there is none)
     * @param trace when not null, told of each rule that matched and what it did (check-rules)
     */
    void apply(TransformEvent e, Instant now, Map<String, RuleStats> stats, List<String> trace) {
        Counters counters = counters(stats);
        long t0 = System.nanoTime(); // one clock read per rule: each rule's end is the next one's start
        for (int i = 0; i < rules.size(); i++) {
            if (e.stopped() || e.suppressedBy() != null) {
                break;
            }
            Rule rule = rules.get(i);
            RuleStats s = counters.rules[i];
            boolean matched;
            try {
                matched = holds(rule.condition(), e);
            } catch (Condition.ConditionException ex) {
                matched = false;
                failed(rule.name(), s, "its condition could not be evaluated: " + ex.getMessage(), trace);
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
            long t1 = System.nanoTime();
            s.nanos.add(t1 - t0);
            t0 = t1;
        }
        for (int i = 0; i < windows.size(); i++) {
            if (e.suppressedBy() != null) {
                break;
            }
            MaintenanceWindow w = windows.get(i);
            RuleStats s = counters.windows[i];
            if (w.isOpen(now)) {
                boolean matched;
                try {
                    matched = holds(w.condition(), e);
                } catch (Condition.ConditionException ex) {
                    matched = false;
                    failed(w.name(), s, "its condition could not be evaluated: " + ex.getMessage(), trace);
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
            long t1 = System.nanoTime();
            s.nanos.add(t1 - t0);
            t0 = t1;
        }
    }

    /**
     * Whether {@code c} holds on the event: by its direct checks when they are sure, else by CEL on
     * a view of the event made only then (most events of most rules never need one).
     */
    private static boolean holds(Condition c, TransformEvent e) throws Condition.ConditionException {
        if (c == Condition.ALWAYS) {
            return true;
        }
        int fast = c.fastAnswer(e.event());
        if (fast != FastCondition.UNKNOWN) {
            return fast == FastCondition.TRUE;
        }
        return c.test(Condition.activation(e.event()));
    }

    /** The counters of each rule and window, in order, from {@code stats}: looked up once per map, not per event. */
    private Counters counters(Map<String, RuleStats> stats) {
        Counters c = counters;
        if (c != null && c.stats == stats) {
            return c;
        }
        RuleStats[] r = new RuleStats[rules.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = stats.computeIfAbsent(rules.get(i).name(), n -> new RuleStats());
        }
        RuleStats[] w = new RuleStats[windows.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = stats.computeIfAbsent(windows.get(i).name(), n -> new RuleStats());
        }
        c = new Counters(stats, r, w);
        counters = c; // a race builds equal arrays (the map hands out one counter per name)
        return c;
    }

    /** The counters of one stats map, by position; immutable once built. */
    private record Counters(Map<String, RuleStats> stats, RuleStats[] rules, RuleStats[] windows) {
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
