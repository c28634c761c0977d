package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ReceivedEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The delivery promise under a crash: bin/pdagentd as its own process, clients posting
 * concurrently, SIGKILL mid-stream, a restart; every event that got a 202 reaches PagerDuty, in
 * per-key order.
 */
@Timeout(300)
class CrashRecoveryIT {
    static final int KEYS = 24;
    static final int EVENTS_PER_KEY = 120;

    @TempDir
    Path dir;

    static String key(int k) {
        return String.format("crash%027d", k);
    }

    static String event(int k, int seq) {
        return "{\"routing_key\":\"" + key(k) + "\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\"crash test "
                + seq + "\",\"source\":\"host-" + k + "\",\"severity\":\"error\",\"custom_details\":{\"seq\":" + seq + "}}}";
    }

    @Test
    void everyAcknowledgedEventIsDeliveredInPerKeyOrderAcrossASigkill() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(15)).start()) {
            Map<String, String> env = Map.of(
                    "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                    "PDAGENTD_EVENTS_BASE_URL", pd.baseUrl(),
                    "PDAGENTD_DELIVERY_CONCURRENCY", "8",
                    "PDAGENTD_KEY_RATE_PER_MINUTE", "0", // a load test: PagerDuty's pace would take minutes
                    "PDAGENTD_RETRY_BASE_MILLIS", "50",
                    "PDAGENTD_RETRY_MAX_MILLIS", "500");
            AgentProcess agent = new AgentProcess(env, dir.resolve("agent.log")).startAndAwaitHealthy();
            String url = agent.baseUrl() + "/v2/enqueue";
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

            // per key: the highest seq that got a 202 (posts of one key are sequential, as a
            // monitoring system sends them)
            Map<Integer, List<Integer>> acked = new ConcurrentHashMap<>();
            AtomicInteger total = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
            List<Future<?>> running = new ArrayList<>();
            for (int k = 0; k < KEYS; k++) {
                int key = k;
                acked.put(key, new ArrayList<>());
                running.add(clients.submit(() -> {
                    int seq = 0;
                    while (seq < EVENTS_PER_KEY) {
                        try {
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                                            .timeout(Duration.ofSeconds(5))
                                            .POST(HttpRequest.BodyPublishers.ofString(event(key, seq))).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 202) {
                                acked.get(key).add(seq);
                                total.incrementAndGet();
                                seq++;
                            } else if (r.statusCode() != 503) {
                                failure.set(new AssertionError("unexpected " + r.statusCode() + ": " + r.body()));
                                return null;
                            }
                        } catch (java.io.IOException e) {
                            // the agent is down: a client retries the same event, as Alertmanager would
                            Thread.sleep(20);
                        }
                    }
                    return null;
                }));
            }

            // kill it while events are still arriving and while a backlog is being delivered
            await().atMost(Duration.ofSeconds(60)).until(() -> total.get() >= KEYS * EVENTS_PER_KEY / 3);
            int ackedBeforeKill = total.get();
            agent.kill();
            int deliveredAtKill = pd.acceptedCount();
            assertThat(deliveredAtKill).as("the kill came while events were still queued").isLessThan(ackedBeforeKill);

            AgentProcess again = new AgentProcess(Map.of(
                    "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                    "PDAGENTD_EVENTS_BASE_URL", pd.baseUrl(),
                    "PDAGENTD_HTTP_PORT", String.valueOf(agent.httpPort()),
                    "PDAGENTD_DELIVERY_CONCURRENCY", "8",
                    "PDAGENTD_KEY_RATE_PER_MINUTE", "0", // a load test: PagerDuty's pace would take minutes
                    "PDAGENTD_RETRY_BASE_MILLIS", "50",
                    "PDAGENTD_RETRY_MAX_MILLIS", "500"), dir.resolve("agent2.log")).startAndAwaitHealthy();
            try {
                for (Future<?> f : running) {
                    f.get();
                }
                assertThat(failure.get()).isNull();
                await().atMost(Duration.ofSeconds(120)).until(() -> {
                    for (int k = 0; k < KEYS; k++) {
                        if (pd.accepted(key(k)).stream().map(ReceivedEvent::seq).distinct().count() < EVENTS_PER_KEY) {
                            return false;
                        }
                    }
                    return true;
                });
                int duplicates = 0;
                for (int k = 0; k < KEYS; k++) {
                    List<Long> seqs = pd.accepted(key(k)).stream().map(ReceivedEvent::seq).toList();
                    assertThat(seqs).as("delivery order of key %d", k).isSorted();
                    assertThat(seqs.stream().distinct().count()).isEqualTo(EVENTS_PER_KEY);
                    duplicates += seqs.size() - EVENTS_PER_KEY;
                }
                // duplicates only for events in flight at the kill (at most one per key) or
                // re-posted by a client whose 202 was lost in the kill (at most one per key)
                assertThat(duplicates).isLessThanOrEqualTo(2 * KEYS);
            } finally {
                clients.shutdownNow();
                again.stop();
            }
        }
    }
}
