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
import java.util.regex.Pattern;

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
    static final int MAX_STUCK_CALLS = PluginCalls.MAX_STUCK_CALLS;
    /** A key a re-route may name: 32 characters for the typed routes, any safe path key for path-keyed ones. */
    private static final Pattern ROUTING_KEY = Pattern.compile("[A-Za-z0-9._~-]{1,255}");
    private static final int TYPED_KEY_LENGTH = 32;
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    private final List<EventFilter> filters;
    private final PluginCalls calls;

    public PluginStage(List<EventFilter> filters, Duration timeout) {
        this.filters = List.copyOf(filters);
        this.calls = new PluginCalls("Plugin", "the event", "plugin-call-",
                "pdaltagent_transform_plugin_event_filter_failed_total", filters.stream().map(EventFilter::name).toList(),
                timeout);
    }

    @Override
    public String name() {
        return "plugins";
    }

    /** Counters by plugin name: matched = calls that changed, dropped or re-routed the event. */
    public Map<String, RuleStats> stats() {
        return calls.stats();
    }

    @Override
    public void apply(TransformEvent e) {
        for (EventFilter f : filters) {
            if (e.suppressedBy() != null) {
                return;
            }
            String name = f.name();
            RuleStats s = calls.stats(name);
            long t0 = System.nanoTime();
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> body = MAPPER.convertValue(e.event(), LinkedHashMap.class);
                PluginEvent pe = new PluginEvent(e.kind().label, e.routingKey(), body);
                FilterResult r = calls.call(name, () -> f.filter(pe), "use FilterResult.unchanged()");
                if (r != null) {
                    apply(e, name, s, r);
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException ex) {
                calls.failed(name, "could not be called: " + ex);
            } finally {
                s.nanos.add(System.nanoTime() - t0);
            }
        }
    }

    private void apply(TransformEvent e, String name, RuleStats s, FilterResult r) {
        if (r.routingKey() != null && (!ROUTING_KEY.matcher(r.routingKey()).matches()
                || e.kind() != TransformEvent.Kind.PATH_KEYED && r.routingKey().length() != TYPED_KEY_LENGTH)) {
            calls.failed(name, "re-routed to a key that is no routing key; ignored");
            return;
        }
        ObjectNode replacement = null;
        if (r.body() != null) {
            JsonNode n;
            try {
                n = MAPPER.valueToTree(r.body());
            } catch (IllegalArgumentException ex) {
                calls.failed(name, "returned a body that is no JSON value: " + ex.getMessage());
                return;
            }
            if (!(n instanceof ObjectNode o)) {
                calls.failed(name, "returned a body that is no JSON object");
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

    @Override
    public void close() {
        calls.close();
    }
}
