package io.pdaltagent.transform;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.Callable;
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
 * Calls into plugin filters, each call on its own virtual thread and bounded by the plugin timeout;
 * shared by {@link PluginStage} (event filters) and {@link WebhookPluginStage} (webhook filters). A
 * call that throws, does not answer in time or answers null is a failure: counted in the plugin's
 * {@link RuleStats} and logged at most every {@value #FAILURE_LOG_INTERVAL_MILLIS} ms per plugin. A
 * plugin with {@value #MAX_STUCK_CALLS} calls still running (hung, ignoring interruption) is not
 * called again until they end, so a stuck plugin cannot pile up threads without bound.
 *
 * <p><b>Threads.</b> {@link #call} from any number of threads at once; counters are adders.
 */
final class PluginCalls implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PluginCalls.class);
    static final int MAX_STUCK_CALLS = 64;
    private static final long FAILURE_LOG_INTERVAL_MILLIS = 30_000;

    private final String what;
    private final String subject;
    private final String failedMetric;
    private final Duration timeout;
    private final ExecutorService executor;
    private final Map<String, RuleStats> stats = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastLog = new ConcurrentHashMap<>();

    /**
     * @param what the kind in log lines ("Plugin", "Webhook filter")
     * @param subject what goes on after a timeout ("the event", "the webhook")
     * @param threadPrefix the name prefix of the call threads
     * @param failedMetric the counter a log line points to
     */
    PluginCalls(String what, String subject, String threadPrefix, String failedMetric, Collection<String> names,
                Duration timeout) {
        this.what = what;
        this.subject = subject;
        this.failedMetric = failedMetric;
        this.timeout = timeout;
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(threadPrefix, 0).factory());
        for (String n : names) {
            stats.put(n, new RuleStats());
            running.put(n, new AtomicInteger());
        }
    }

    Map<String, RuleStats> stats() {
        return stats;
    }

    RuleStats stats(String name) {
        return stats.get(name);
    }

    /**
     * The plugin's answer, or null when the call failed (counted and logged here). Interrupted
     * while waiting: the call is cancelled and the interruption passed on.
     *
     * @param nullHint what to say when the plugin answers null
     */
    <T> T call(String name, Callable<T> body, String nullHint) throws InterruptedException {
        AtomicInteger inFlight = running.get(name);
        if (inFlight.get() >= MAX_STUCK_CALLS) {
            failed(name, MAX_STUCK_CALLS + " calls are still running; not called");
            return null;
        }
        inFlight.incrementAndGet();
        Future<T> call;
        try {
            call = executor.submit(() -> {
                try {
                    return body.call();
                } finally {
                    inFlight.decrementAndGet();
                }
            });
        } catch (RuntimeException notStarted) {
            inFlight.decrementAndGet();
            failed(name, "could not be called: " + notStarted);
            return null;
        }
        try {
            T r = call.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (r == null) {
                failed(name, "returned null (" + nullHint + ")");
            }
            return r;
        } catch (TimeoutException te) {
            call.cancel(true);
            failed(name, "did not answer within " + timeout.toMillis() + " ms; " + subject + " goes on without it");
            return null;
        } catch (ExecutionException ee) {
            failed(name, "threw " + ee.getCause());
            return null;
        } catch (InterruptedException ie) {
            call.cancel(true);
            throw ie;
        }
    }

    void failed(String name, String why) {
        stats.get(name).failed.increment();
        AtomicLong last = lastLog.computeIfAbsent(name, n -> new AtomicLong(Long.MIN_VALUE / 2));
        long now = System.currentTimeMillis();
        long prev = last.get();
        if (now - prev >= FAILURE_LOG_INTERVAL_MILLIS && last.compareAndSet(prev, now)) {
            LOG.warn("{} {} {} (logged at most every {} s; counted in {})", what, name, why,
                    FAILURE_LOG_INTERVAL_MILLIS / 1000, failedMetric);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
