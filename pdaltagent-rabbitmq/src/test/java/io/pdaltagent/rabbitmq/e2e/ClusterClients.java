package io.pdaltagent.rabbitmq.e2e;

import io.pdaltagent.testing.AgentProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Clients posting to every agent of a cluster: one client per routing key, its events sequential (as
 * a monitoring system sends them), each event to the next agent in turn; an agent that is down or
 * answers 503 makes the client try the next one with the same event. A test can hold the clients at
 * a number of events per key ({@link #allowUpTo}), so that they are known to still have events to
 * send when it stops the broker.
 */
final class ClusterClients implements AutoCloseable {
    final int keys;
    final int eventsPerKey;
    final Map<Integer, List<Integer>> acked = new ConcurrentHashMap<>();
    final AtomicInteger total = new AtomicInteger();
    final AtomicInteger unavailable = new AtomicInteger();
    final AtomicInteger retryAfterSeen = new AtomicInteger();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Future<?>> running = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final Object gate = new Object();
    private int limit;

    ClusterClients(int keys, int eventsPerKey) {
        this.keys = keys;
        this.eventsPerKey = eventsPerKey;
        this.limit = eventsPerKey;
    }

    /** Clients send events below {@code perKey} of each key, then wait until allowed more. */
    void allowUpTo(int perKey) {
        synchronized (gate) {
            limit = Math.min(perKey, eventsPerKey);
            gate.notifyAll();
        }
    }

    private void awaitAllowed(int seq) throws InterruptedException {
        synchronized (gate) {
            while (seq >= limit) {
                gate.wait();
            }
        }
    }

    static String key(int k) {
        return String.format("scale%027d", k);
    }

    static String event(int k, int seq) {
        return "{\"routing_key\":\"" + key(k) + "\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\"scale test "
                + seq + "\",\"source\":\"host-" + k + "\",\"severity\":\"error\",\"custom_details\":{\"seq\":" + seq + "}}}";
    }

    ClusterClients start(List<AgentProcess> agents) {
        for (int k = 0; k < keys; k++) {
            int key = k;
            acked.put(key, new ArrayList<>());
            running.add(pool.submit(() -> {
                int seq = 0;
                int turn = key;
                while (seq < eventsPerKey) {
                    awaitAllowed(seq);
                    AgentProcess a = agents.get(turn++ % agents.size());
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(a.baseUrl() + "/v2/enqueue"))
                                        .timeout(Duration.ofSeconds(10))
                                        .POST(HttpRequest.BodyPublishers.ofString(event(key, seq))).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 202) {
                            acked.get(key).add(seq);
                            total.incrementAndGet();
                            seq++;
                        } else if (r.statusCode() == 503) {
                            unavailable.incrementAndGet();
                            if (r.headers().firstValue("Retry-After").isPresent()) {
                                retryAfterSeen.incrementAndGet();
                            }
                            Thread.sleep(50);
                        } else {
                            failure.set(new AssertionError("unexpected " + r.statusCode() + ": " + r.body()));
                            return null;
                        }
                    } catch (java.io.IOException e) {
                        Thread.sleep(20);
                    }
                }
                return null;
            }));
        }
        return this;
    }

    void awaitDone() throws Exception {
        for (Future<?> f : running) {
            f.get();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
