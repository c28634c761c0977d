package io.pdaltagent.transform;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pdaltagent.api.WebhookFilter;
import io.pdaltagent.webhook.WebhookFilterChain;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the plugins' {@link WebhookFilter}s on each webhook the relay built from a log entry, in the
 * order they were loaded, before the webhook is staged: each filter sees what the one before it
 * returned. Each call runs on a virtual thread, bounded by the plugin timeout
 * ({@code PDAGENTD_PLUGIN_TIMEOUT_MILLIS}), as {@link PluginStage} bounds event filters. A call that
 * throws, times out or returns something unusable (null, a body that is no JSON object) is logged
 * (at most every 30 s per plugin) and counted, and the webhook goes on as it was before that filter.
 * A filter with {@value PluginCalls#MAX_STUCK_CALLS} calls still running (hung, ignoring
 * interruption) is not called again until they end; each webhook it skips counts a failure.
 *
 * <p>Counters by plugin name: matched = calls that changed or dropped the webhook, suppressed =
 * drops, failed, time spent; written as {@code pdaltagent_transform_plugin_webhook_filter_*}.
 *
 * <p><b>Threads.</b> {@link #apply} is called by the webhook poller's one thread; {@link #stats}
 * from any thread (adders).
 */
public final class WebhookPluginStage implements WebhookFilterChain, AutoCloseable {
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    private final List<WebhookFilter> filters;
    private final PluginCalls calls;

    public WebhookPluginStage(List<WebhookFilter> filters, Duration timeout) {
        this.filters = List.copyOf(filters);
        this.calls = new PluginCalls("Webhook filter", "the webhook", "webhook-filter-call-",
                "pdaltagent_transform_plugin_webhook_filter_failed_total",
                filters.stream().map(WebhookFilter::name).toList(), timeout);
    }

    public Map<String, RuleStats> stats() {
        return calls.stats();
    }

    @Override
    public ObjectNode apply(String eventType, String incidentId, ObjectNode body) {
        ObjectNode current = body;
        for (WebhookFilter f : filters) {
            String name = f.name();
            RuleStats s = calls.stats(name);
            long t0 = System.nanoTime();
            try {
                WebhookFilter.Webhook w = new WebhookFilter.Webhook(eventType, incidentId, plain(current));
                WebhookFilter.Result r = calls.call(name, () -> f.filter(w), "use WebhookFilter.Result.unchanged()");
                if (r == null) {
                    continue; // failed, counted
                }
                if (r.dropped()) {
                    s.matched.increment();
                    s.suppressed.increment();
                    return null;
                }
                ObjectNode replacement = r.body() == null ? null : tree(name, r.body());
                if (replacement != null) {
                    s.matched.increment();
                    current = replacement;
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt(); // the poller is stopping: the entry is not staged
                throw new IllegalStateException("interrupted in webhook filter " + name, ie);
            } catch (RuntimeException ex) {
                calls.failed(name, "could not be called: " + ex);
            } finally {
                s.nanos.add(System.nanoTime() - t0);
            }
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> plain(ObjectNode body) {
        return MAPPER.convertValue(body, LinkedHashMap.class);
    }

    private ObjectNode tree(String name, Map<String, Object> body) {
        JsonNode n;
        try {
            n = MAPPER.valueToTree(body);
        } catch (IllegalArgumentException ex) {
            calls.failed(name, "returned a body that is no JSON value: " + ex.getMessage());
            return null;
        }
        if (!(n instanceof ObjectNode o)) {
            calls.failed(name, "returned a body that is no JSON object");
            return null;
        }
        return o;
    }

    @Override
    public void close() {
        calls.close();
    }
}
