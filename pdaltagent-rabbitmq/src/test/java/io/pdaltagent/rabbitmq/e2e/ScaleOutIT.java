package io.pdaltagent.rabbitmq.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.rabbitmq.Broker;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ReceivedEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several agents on one RabbitMQ, clients posting to all of them: an agent killed with SIGKILL mid
 * stream, or the broker stopped and started again mid stream (three times); every event that got a
 * 202 reaches PagerDuty, in per-key order (an event may repeat only right after itself), nothing
 * dead. The agents' logs stay in the test's directory when it fails.
 */
@Timeout(300)
class ScaleOutIT {
    static final int KEYS = 24;
    static final int EVENTS_PER_KEY = 300;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;
    String vhost;
    final List<AgentProcess> agents = new ArrayList<>();

    @BeforeEach
    void vhost() throws Exception {
        vhost = Broker.newVhost();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AgentProcess a : agents) {
            a.close();
        }
        Broker.ctl("start_app");
        Broker.deleteVhost(vhost);
    }

    private AgentProcess agent(int i, FakePagerDuty pd) throws Exception {
        Map<String, String> env = Map.of(
                "PDAGENTD_DATA_DIR", dir.resolve("data" + i).toString(),
                "PDAGENTD_BROKER_URL", Broker.url(vhost),
                "PDAGENTD_BROKER_PARTITIONS", "8",
                "PDAGENTD_EVENTS_BASE_URL", pd.baseUrl(),
                "PDAGENTD_DELIVERY_CONCURRENCY", "8",
                "PDAGENTD_KEY_RATE_PER_MINUTE", "0", // a load test: PagerDuty's pace would take minutes
                "PDAGENTD_RETRY_BASE_MILLIS", "50",
                "PDAGENTD_RETRY_MAX_MILLIS", "500");
        AgentProcess a = new AgentProcess(env, dir.resolve("agent" + i + ".log")).startAndAwaitHealthy();
        agents.add(a);
        return a;
    }

    private static long delivered(AgentProcess a) throws Exception {
        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(a.baseUrl() + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith("pdaltagent_delivered_total"))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** The keys not fully delivered, with how many of their events PagerDuty has. */
    private static String shortKeys(FakePagerDuty pd) {
        StringBuilder out = new StringBuilder();
        for (int k = 0; k < KEYS; k++) {
            long got = pd.accepted(ClusterClients.key(k)).stream().map(ReceivedEvent::seq).distinct().count();
            if (got < EVENTS_PER_KEY) {
                out.append(out.isEmpty() ? "" : ", ").append("key ").append(k).append(": ").append(got).append(" of ").append(EVENTS_PER_KEY);
            }
        }
        return out.toString();
    }

    /** The agents' ERROR lines (with the line after each: an exception's name), a few per agent. */
    private String errorsLogged() throws java.io.IOException {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < agents.size(); i++) {
            List<String> lines = java.nio.file.Files.readAllLines(dir.resolve("agent" + i + ".log"));
            int shown = 0;
            for (int n = 0; n < lines.size() && shown < 3; n++) {
                if (lines.get(n).contains(" ERROR ")) {
                    out.append("\n  agent").append(i).append(": ").append(lines.get(n));
                    if (n + 1 < lines.size()) {
                        out.append("\n    ").append(lines.get(n + 1));
                    }
                    shown++;
                }
            }
        }
        return out.isEmpty() ? "none" : out.toString();
    }

    private void assertAllDeliveredInOrder(FakePagerDuty pd, ClusterClients clients) throws Exception {
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> {
                for (int k = 0; k < KEYS; k++) {
                    if (pd.accepted(ClusterClients.key(k)).stream().map(ReceivedEvent::seq).distinct().count() < EVENTS_PER_KEY) {
                        return false;
                    }
                }
                return true;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("not every acknowledged event was delivered: " + shortKeys(pd) + "; errors logged: "
                    + errorsLogged() + "; logs in " + dir, e);
        }
        for (int k = 0; k < KEYS; k++) {
            List<Long> seqs = pd.accepted(ClusterClients.key(k)).stream().map(ReceivedEvent::seq).toList();
            assertThat(seqs).as("delivery order of key %d", k).isSorted();
            assertThat(seqs.stream().distinct().count()).isEqualTo(EVENTS_PER_KEY);
        }
        assertThat(Broker.ctl("list_queues", "-q", "-p", vhost, "name", "messages"))
                .as("dead-letter queue").containsPattern("pdaltagent\\.dead\\s+0");
    }

    @Test
    void threeAgentsOneKilledMidStreamEveryAcknowledgedEventDeliveredInPerKeyOrder() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(15)).start()) {
            // one attempt in ten fails (500): retries hold their key, in memory, across the failover
            java.util.Random random = new java.util.Random(42);
            pd.answerWith(e -> random.nextInt(10) == 0 ? io.pdaltagent.testing.Answer.status(500) : null);
            for (int i = 0; i < 3; i++) {
                agent(i, pd);
            }
            try (ClusterClients clients = new ClusterClients(KEYS, EVENTS_PER_KEY).start(List.copyOf(agents))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> clients.total.get() >= KEYS * EVENTS_PER_KEY / 3);
                // partitions spread: every agent delivers some (the first one subscribed to all, and
                // handed the excess over)
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    for (AgentProcess a : agents) {
                        assertThat(delivered(a)).as("deliveries by %s", a.baseUrl()).isPositive();
                    }
                });
                int ackedBeforeKill = clients.total.get();
                agents.get(0).kill();
                assertThat(pd.acceptedCount()).as("the kill came while events were still queued").isLessThan(ackedBeforeKill);
                clients.awaitDone();
                assertAllDeliveredInOrder(pd, clients);
            }
        }
    }

    @Test
    void brokerRestartedMidStreamNoAcknowledgedEventLostClientsToldToRetry() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(15)).start()) {
            for (int i = 0; i < 2; i++) {
                agent(i, pd);
            }
            ClusterClients clients = new ClusterClients(KEYS, EVENTS_PER_KEY);
            // held at a quarter of the events per key, then at a half, three quarters, all: each stop
            // comes after the clients made progress and before they can have sent everything allowed
            clients.allowUpTo(EVENTS_PER_KEY / 4);
            try (clients) {
                clients.start(List.copyOf(agents));
                // acknowledgements sent while the broker stops are lost: the events come back, and
                // must not go out after the key's later events
                for (int restart = 1; restart <= 3; restart++) {
                    int allowed = KEYS * EVENTS_PER_KEY * restart / 4;
                    int midway = allowed - KEYS * EVENTS_PER_KEY / 8;
                    await().atMost(Duration.ofSeconds(60)).until(() -> clients.total.get() >= midway);
                    int ackedBefore = clients.total.get();
                    long stopping = System.nanoTime();
                    Broker.ctl("stop_app");
                    int during = clients.unavailable.get();
                    System.out.printf("restart %d: stop_app took %d ms; events acknowledged %d before it, %d after%n",
                            restart, (System.nanoTime() - stopping) / 1_000_000, ackedBefore, clients.total.get());
                    // events are left to send whatever the clients did while the broker stopped
                    clients.allowUpTo(EVENTS_PER_KEY * (restart + 1) / 4);
                    try {
                        await().atMost(Duration.ofSeconds(30)).until(() -> clients.unavailable.get() > during + 10);
                    } catch (org.awaitility.core.ConditionTimeoutException e) {
                        agents.forEach(AgentProcess::dumpThreads);
                        throw new AssertionError("no 503s while the broker was down (restart " + restart + ", "
                                + clients.total.get() + " events acknowledged); thread dumps in " + dir, e);
                    }
                    assertThat(agents.get(0).healthStatus()).as("health while the broker is down").isEqualTo(503);
                    String health = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                                    java.net.URI.create(agents.get(0).baseUrl() + "/healthz")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                    assertThat(health).contains("\"broker\"").contains("\"publish_connection\":\"down\"");
                    Broker.ctl("start_app");
                }
                clients.awaitDone();
                assertThat(clients.retryAfterSeen.get()).as("503 answers with Retry-After").isPositive();
                assertAllDeliveredInOrder(pd, clients);
                for (AgentProcess a : agents) {
                    assertThat(a.process().isAlive()).isTrue();
                }
            }
        }
    }

    @Test
    void brokerKilledMidStreamNoAcknowledgedEventLost() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(15)).start()) {
            for (int i = 0; i < 2; i++) {
                agent(i, pd);
            }
            ClusterClients clients = new ClusterClients(KEYS, EVENTS_PER_KEY);
            clients.allowUpTo(EVENTS_PER_KEY / 2);
            try (clients) {
                clients.start(List.copyOf(agents));
                await().atMost(Duration.ofSeconds(60)).until(() -> clients.total.get() >= KEYS * EVENTS_PER_KEY / 4);
                int ackedBefore = clients.total.get();
                int[] during = new int[1];
                Broker.killAndRestart(() -> {
                    during[0] = clients.unavailable.get();
                    clients.allowUpTo(EVENTS_PER_KEY);
                    await().atMost(Duration.ofSeconds(30)).until(() -> clients.unavailable.get() > during[0] + 10);
                    assertThat(agents.get(0).healthStatus()).as("health while the broker is down").isEqualTo(503);
                });
                System.out.printf("broker killed: events acknowledged %d before, %d when it was back%n",
                        ackedBefore, clients.total.get());
                clients.awaitDone();
                assertAllDeliveredInOrder(pd, clients);
                for (AgentProcess a : agents) {
                    assertThat(a.process().isAlive()).isTrue();
                }
            }
        }
    }
}
