package io.pdaltagent.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The load generator of the fault suite: one client per routing key posting Events API v2 triggers
 * to an agent's {@code /v2/enqueue}, one after another, as a monitoring system sends them. Each event
 * carries {@code custom_details.seq} (0, 1, 2... per key), which {@link FaultReport} checks against
 * what {@link FakePagerDuty} received.
 *
 * <p>A client retries the same event after a {@code 503} or {@code 429} (the agent cannot store it
 * now) and after a connection error (the agent is down), like Alertmanager does, and moves on to the
 * next event only after a {@code 202}. Any other answer stops the run ({@link #failure()}). The URL
 * comes from a supplier, so that a restarted agent on another port is picked up.
 *
 * <pre>{@code
 * try (EventLoad load = EventLoad.start(agent::baseUrl, "sigkill", 8, 200, Duration.ZERO)) {
 *     load.awaitAcknowledged(400, Duration.ofSeconds(30));
 *     ... inject the fault ...
 *     load.awaitFinished(Duration.ofSeconds(120));
 * }
 * }</pre>
 *
 * <p>Threads: one virtual thread per key; every counter may be read from any thread.
 */
public final class EventLoad implements AutoCloseable {
    /** Between two tries of the same event when the agent refused it or could not be reached. */
    private static final long RETRY_PAUSE_MILLIS = 20;

    private final Supplier<String> baseUrl;
    private final String name;
    private final int keys;
    private final int perKey;
    private final Duration gap;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Future<?>> running = new ArrayList<>();
    /** "key/seq" of every event answered 202, with when its (first) 202 came. */
    private final Map<String, Instant> acknowledged = new ConcurrentHashMap<>();
    private final Set<String> sent = ConcurrentHashMap.newKeySet();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong unreachable = new AtomicLong();
    private final AtomicReference<String> failure = new AtomicReference<>();

    private EventLoad(Supplier<String> baseUrl, String name, int keys, int perKey, Duration gap) {
        this.baseUrl = baseUrl;
        this.name = name;
        this.keys = keys;
        this.perKey = perKey;
        this.gap = gap;
    }

    /**
     * Starts the clients.
     *
     * @param name   names the run's routing keys (at most 20 characters)
     * @param gap    pause after each acknowledged event of a key (spreads the load over a fault)
     */
    public static EventLoad start(Supplier<String> baseUrl, String name, int keys, int perKey, Duration gap) {
        if (name.length() > 20) {
            throw new IllegalArgumentException("name longer than 20 characters: " + name);
        }
        EventLoad load = new EventLoad(baseUrl, name, keys, perKey, gap);
        for (int k = 0; k < keys; k++) {
            int key = k;
            load.running.add(load.clients.submit(() -> load.client(key)));
        }
        return load;
    }

    /** The routing key of client {@code k}: 32 characters, like an integration key. */
    public String key(int k) {
        return name + "0".repeat(32 - name.length() - 6) + String.format("%06d", k);
    }

    public List<String> keys() {
        List<String> out = new ArrayList<>(keys);
        for (int k = 0; k < keys; k++) {
            out.add(key(k));
        }
        return out;
    }

    public int perKey() {
        return perKey;
    }

    static String event(String key, int seq) {
        return "{\"routing_key\":\"" + key + "\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\"fault suite "
                + seq + "\",\"source\":\"load\",\"severity\":\"error\",\"custom_details\":{\"seq\":" + seq + "}}}";
    }

    private Void client(int k) throws InterruptedException {
        String key = key(k);
        int seq = 0;
        while (seq < perKey && failure.get() == null) {
            sent.add(key + "/" + seq);
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl.get() + "/v2/enqueue"))
                                .timeout(Duration.ofSeconds(10))
                                .POST(HttpRequest.BodyPublishers.ofString(event(key, seq))).build(),
                        HttpResponse.BodyHandlers.ofString());
                switch (r.statusCode()) {
                    case 202 -> {
                        acknowledged.putIfAbsent(key + "/" + seq, Instant.now());
                        seq++;
                        if (!gap.isZero()) {
                            Thread.sleep(gap.toMillis());
                        }
                    }
                    case 503, 429 -> {
                        // the agent cannot store it now: the same event again, a moment later
                        refused.incrementAndGet();
                        Thread.sleep(RETRY_PAUSE_MILLIS);
                    }
                    default -> failure.compareAndSet(null, "unexpected " + r.statusCode() + " for " + key + "/" + seq
                            + ": " + r.body());
                }
            } catch (IOException e) {
                // the agent is down or restarting: the same event again, as a client would
                unreachable.incrementAndGet();
                Thread.sleep(RETRY_PAUSE_MILLIS);
            }
        }
        return null;
    }

    /** Events tried at least once ("key/seq"). */
    public long sentCount() {
        return sent.size();
    }

    public long acknowledgedCount() {
        return acknowledged.size();
    }

    /** True when {@code key/seq} was answered 202. */
    public boolean acknowledged(String key, long seq) {
        return acknowledged.containsKey(key + "/" + seq);
    }

    /** When {@code key/seq} was answered 202, or null. */
    public Instant acknowledgedAt(String key, long seq) {
        return acknowledged.get(key + "/" + seq);
    }

    /** Answers 503/429 the clients got (each followed by a retry of the same event). */
    public long refusedCount() {
        return refused.get();
    }

    /** Posts that failed to connect or got no answer. */
    public long unreachableCount() {
        return unreachable.get();
    }

    /** The first answer the clients did not expect, or null. */
    public String failure() {
        return failure.get();
    }

    /** Waits until at least {@code n} events were answered 202. */
    public void awaitAcknowledged(long n, Duration atMost) {
        org.awaitility.Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(20))
                .until(() -> failure.get() != null || acknowledged.size() >= n);
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    /** Waits until every client has had each of its events acknowledged. */
    public void awaitFinished(Duration atMost) throws Exception {
        long deadline = System.nanoTime() + atMost.toNanos();
        for (Future<?> f : running) {
            f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    @Override
    public void close() {
        clients.shutdownNow();
    }
}
