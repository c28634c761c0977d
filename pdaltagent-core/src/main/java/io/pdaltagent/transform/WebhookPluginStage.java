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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the plugins' {@link WebhookFilter}s on each webhook the relay built from a log entry, in the
 * order they were loaded, before the webhook is staged: each filter sees what the one before it
 * returned. Each call runs on a virtual thread, bounded by the plugin timeout
 * ({@code PDAGENTD_PLUGIN_TIMEOUT_MILLIS}), as {@link PluginStage} bounds event filters. A call that
 * throws, times out or returns something unusable (null, a body that is no JSON object) is logged
 * (at most every 30 s per plugin) and counted, and the webhook goes on as it was before that filter.
 * A filter with {@value PluginStage#MAX_STUCK_CALLS} calls still running (hung, ignoring
 * interruption) is not called again until they end; each webhook it skips counts a failure.
 *
 * <p>Counters by plugin name: matched = calls that changed or dropped the webhook, suppressed =
 * drops, failed, time spent; written as {@code pdaltagent_transform_plugin_webhook_filter_*}.
 *
 * <p><b>Threads.</b> {@link #apply} is called by the webhook poller's one thread; {@link #stats}
 * from any thread (adders).
 */
public final class WebhookPluginStage implements WebhookFilterChain, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookPluginStage.class);
    private static final long FAILURE_LOG_INTERVAL_MILLIS = 30_000;
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    private final List<WebhookFilter> filters;
    private final Duration timeout;
    private final ExecutorService executor = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("webhook-filter-call-", 0).factory());
    private final Map<String, RuleStats> stats = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastLog = new ConcurrentHashMap<>();

    public WebhookPluginStage(List<WebhookFilter> filters, Duration timeout) {
        this.filters = List.copyOf(filters);
        this.timeout = timeout;
        for (WebhookFilter f : filters) {
            stats.put(f.name(), new RuleStats());
            running.put(f.name(), new AtomicInteger());
        }
    }

    public Map<String, RuleStats> stats() {
        return stats;
    }

    @Override
    public ObjectNode apply(String eventType, String incidentId, ObjectNode body) {
        ObjectNode current = body;
        for (WebhookFilter f : filters) {
            String name = f.name();
            RuleStats s = stats.get(name);
            long t0 = System.nanoTime();
            try {
                WebhookFilter.Result r = call(f, name, s, new WebhookFilter.Webhook(eventType, incidentId, plain(current)));
                if (r == null) {
                    continue; // failed, counted
                }
                if (r.dropped()) {
                    s.matched.increment();
                    s.suppressed.increment();
                    return null;
                }
                if (r.body() != null) {
                    ObjectNode replacement = tree(name, s, r.body());
                    if (replacement != null) {
                        s.matched.increment();
                        current = replacement;
                    }
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt(); // the poller is stopping: the entry is not staged
                throw new IllegalStateException("interrupted in webhook filter " + name, ie);
            } catch (RuntimeException ex) {
                failed(name, s, "could not be called: " + ex);
            } finally {
                s.nanos.add(System.nanoTime() - t0);
            }
        }
        return current;
    }

    /** The filter's result, or null when the call failed (counted and logged here). */
    private WebhookFilter.Result call(WebhookFilter f, String name, RuleStats s, WebhookFilter.Webhook w)
            throws InterruptedException {
        AtomicInteger inFlight = running.get(name);
        if (inFlight.get() >= PluginStage.MAX_STUCK_CALLS) {
            failed(name, s, PluginStage.MAX_STUCK_CALLS + " calls are still running; not called");
            return null;
        }
        inFlight.incrementAndGet();
        Future<WebhookFilter.Result> call = executor.submit(() -> {
            try {
                return f.filter(w);
            } finally {
                inFlight.decrementAndGet();
            }
        });
        try {
            WebhookFilter.Result r = call.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (r == null) {
                failed(name, s, "returned null (use WebhookFilter.Result.unchanged())");
            }
            return r;
        } catch (TimeoutException te) {
            call.cancel(true);
            failed(name, s, "did not answer within " + timeout.toMillis() + " ms; the webhook goes on without it");
            return null;
        } catch (ExecutionException ee) {
            failed(name, s, "threw " + ee.getCause());
            return null;
        } catch (InterruptedException ie) {
            call.cancel(true);
            throw ie;
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> plain(ObjectNode body) {
        return MAPPER.convertValue(body, LinkedHashMap.class);
    }

    private ObjectNode tree(String name, RuleStats s, Map<String, Object> body) {
        JsonNode n;
        try {
            n = MAPPER.valueToTree(body);
        } catch (IllegalArgumentException ex) {
            failed(name, s, "returned a body that is no JSON value: " + ex.getMessage());
            return null;
        }
        if (!(n instanceof ObjectNode o)) {
            failed(name, s, "returned a body that is no JSON object");
            return null;
        }
        return o;
    }

    private void failed(String name, RuleStats s, String why) {
        s.failed.increment();
        AtomicLong last = lastLog.computeIfAbsent(name, n -> new AtomicLong(Long.MIN_VALUE / 2));
        long now = System.currentTimeMillis();
        long prev = last.get();
        if (now - prev >= FAILURE_LOG_INTERVAL_MILLIS && last.compareAndSet(prev, now)) {
            LOG.warn("Webhook filter {} {} (logged at most every {} s; counted in "
                    + "pdaltagent_transform_plugin_webhook_filter_failed_total)", name, why, FAILURE_LOG_INTERVAL_MILLIS / 1000);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
