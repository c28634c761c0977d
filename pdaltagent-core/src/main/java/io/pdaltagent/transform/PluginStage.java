package io.pdaltagent.transform;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pdaltagent.api.EventFilter;
import io.pdaltagent.api.FilterResult;
import io.pdaltagent.api.PluginEvent;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the plugins' {@link EventFilter}s on each event, in the order they were loaded, each call on
 * a virtual thread and bounded by the plugin timeout. A call that throws, times out or returns
 * something unusable is logged (at most every 30 s per plugin) and counted, and the event goes on
 * as it was before that filter. A filter whose calls hang and ignore interruption is not called
 * again while {@value #MAX_STUCK_CALLS} of its calls are still running (each such event counts a
 * failure), so a stuck plugin cannot pile up threads without bound.
 *
 * <p>Threads: {@link #apply} on ingest threads, concurrently; the counters are adders.
 */
public final class PluginStage implements EventStage, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PluginStage.class);
    static final int MAX_STUCK_CALLS = 64;
    private static final long FAILURE_LOG_INTERVAL_MILLIS = 30_000;
    /** A key a re-route may name: 32 characters for the typed routes, any safe path key for path-keyed ones. */
    private static final Pattern ROUTING_KEY = Pattern.compile("[A-Za-z0-9._~-]{1,255}");
    private static final int TYPED_KEY_LENGTH = 32;
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    private final List<EventFilter> filters;
    private final Duration timeout;
    private final ExecutorService executor = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("plugin-call-", 0).factory());
    private final Map<String, RuleStats> stats = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastLog = new ConcurrentHashMap<>();

    public PluginStage(List<EventFilter> filters, Duration timeout) {
        this.filters = List.copyOf(filters);
        this.timeout = timeout;
        for (EventFilter f : filters) {
            stats.put(f.name(), new RuleStats());
            running.put(f.name(), new AtomicInteger());
        }
    }

    @Override
    public String name() {
        return "plugins";
    }

    /** Counters by plugin name: matched = calls that changed, dropped or re-routed the event. */
    public Map<String, RuleStats> stats() {
        return stats;
    }

    @Override
    public void apply(TransformEvent e) {
        for (EventFilter f : filters) {
            if (e.suppressedBy() != null) {
                return;
            }
            String name = f.name();
            RuleStats s = stats.get(name);
            AtomicInteger inFlight = running.get(name);
            long t0 = System.nanoTime();
            try {
                if (inFlight.get() >= MAX_STUCK_CALLS) {
                    failed(name, s, MAX_STUCK_CALLS + " calls are still running; not called");
                    continue;
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> body = MAPPER.convertValue(e.event(), LinkedHashMap.class);
                PluginEvent pe = new PluginEvent(e.kind().label, e.routingKey(), body);
                inFlight.incrementAndGet();
                Future<FilterResult> call = executor.submit(() -> {
                    try {
                        return f.filter(pe);
                    } finally {
                        inFlight.decrementAndGet();
                    }
                });
                FilterResult r;
                try {
                    r = call.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
                } catch (TimeoutException te) {
                    call.cancel(true);
                    failed(name, s, "did not answer within " + timeout.toMillis() + " ms; the event goes on without it");
                    continue;
                } catch (ExecutionException ee) {
                    failed(name, s, "threw " + ee.getCause());
                    continue;
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    call.cancel(true);
                    return;
                }
                apply(e, name, s, r);
            } catch (RuntimeException ex) {
                failed(name, s, "could not be called: " + ex);
            } finally {
                s.nanos.add(System.nanoTime() - t0);
            }
        }
    }

    private void apply(TransformEvent e, String name, RuleStats s, FilterResult r) {
        if (r == null) {
            failed(name, s, "returned null (use FilterResult.unchanged())");
            return;
        }
        if (r.routingKey() != null && (!ROUTING_KEY.matcher(r.routingKey()).matches()
                || e.kind() != TransformEvent.Kind.PATH_KEYED && r.routingKey().length() != TYPED_KEY_LENGTH)) {
            failed(name, s, "re-routed to a key that is no routing key; ignored");
            return;
        }
        ObjectNode replacement = null;
        if (r.body() != null) {
            JsonNode n;
            try {
                n = MAPPER.valueToTree(r.body());
            } catch (IllegalArgumentException ex) {
                failed(name, s, "returned a body that is no JSON value: " + ex.getMessage());
                return;
            }
            if (!(n instanceof ObjectNode o)) {
                failed(name, s, "returned a body that is no JSON object");
                return;
            }
            replacement = o;
        }
        if (replacement == null && r.routingKey() == null && !r.dropped()) {
            return;
        }
        s.matched.increment();
        if (replacement != null) {
            e.event().removeAll();
            e.event().setAll(replacement);
            e.markChanged();
        }
        if (r.routingKey() != null) {
            e.route(r.routingKey());
        }
        if (r.dropped()) {
            s.suppressed.increment();
            e.suppress("plugin:" + name);
        }
    }

    private void failed(String name, RuleStats s, String why) {
        s.failed.increment();
        AtomicLong last = lastLog.computeIfAbsent(name, n -> new AtomicLong(Long.MIN_VALUE / 2));
        long now = System.currentTimeMillis();
        long prev = last.get();
        if (now - prev >= FAILURE_LOG_INTERVAL_MILLIS && last.compareAndSet(prev, now)) {
            LOG.warn("Plugin {} {} (logged at most every {} s; counted in pdaltagent_transform_plugin_failed_total)",
                    name, why, FAILURE_LOG_INTERVAL_MILLIS / 1000);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
