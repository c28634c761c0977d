package io.pdaltagent.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.observe.AgentListener;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.queue.SqliteEventQueue;
import io.pdaltagent.testing.Answer;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ReceivedEvent;
import java.net.ProxySelector;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DispatcherTest {
    static final String KEY_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static final String KEY_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    FakePagerDuty pd;
    EventQueue queue;
    Dispatcher dispatcher;

    @BeforeEach
    void startFake() {
        pd = FakePagerDuty.builder().start();
    }

    @AfterEach
    void stopAll() {
        if (dispatcher != null) {
            dispatcher.close();
        }
        if (queue != null) {
            queue.close();
        }
        pd.close();
    }

    private AgentConfig.DeliveryConfig config(int concurrency, Duration timeout) {
        return new AgentConfig.DeliveryConfig(URI.create(pd.baseUrl()), concurrency, timeout, Duration.ofMillis(10),
                Duration.ofMillis(100), Duration.ofDays(7), Duration.ofSeconds(2));
    }

    private void start(int concurrency, Duration timeout, Clock clock, Backoff backoff) {
        queue = SqliteEventQueue.open(dir, clock, 100_000);
        AgentConfig.DeliveryConfig c = config(concurrency, timeout);
        dispatcher = new Dispatcher(queue, new HttpSender(c.eventsBaseUrl(), c.timeout(), ProxySelector.of(null), null, "test"),
                new RetryPolicy(), backoff, AgentListener.NONE, clock, c);
        dispatcher.start();
    }

    private void start() {
        start(32, Duration.ofSeconds(5), Clock.systemUTC(), attempts -> Duration.ofMillis(20));
    }

    private long post(String key, int seq) {
        return post(key, seq, "/v2/enqueue");
    }

    private long post(String key, int seq, String path) {
        String body = "{\"routing_key\":\"" + key + "\",\"event_action\":\"trigger\",\"dedup_key\":\"d" + seq
                + "\",\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\",\"custom_details\":{\"seq\":"
                + seq + "}}}";
        return queue.append(new NewItem(key, Destination.events(path), "application/json",
                body.getBytes(StandardCharsets.UTF_8), "d" + seq, Instant.now())).join();
    }

    private static List<Long> seqs(List<ReceivedEvent> events) {
        return events.stream().map(ReceivedEvent::seq).toList();
    }

    @Test
    void deliversEventsForTheSameKeyInOrderWhileKeysRunConcurrently() {
        start();
        pd.answerWith(e -> ThreadLocalRandom.current().nextInt(10) == 0
                ? Answer.status(503)
                : Answer.success().after(Duration.ofMillis(ThreadLocalRandom.current().nextInt(5))));
        int keys = 20;
        int perKey = 40;
        for (int i = 0; i < perKey; i++) {
            for (int k = 0; k < keys; k++) {
                post(String.format("%032d", k), i);
            }
        }
        await().atMost(WAIT).until(() -> pd.acceptedCount() == keys * perKey);
        for (int k = 0; k < keys; k++) {
            String key = String.format("%032d", k);
            // every attempt, failed or not, comes in key order: a retried head is never overtaken
            assertThat(seqs(pd.received(key))).isSorted();
            assertThat(seqs(pd.accepted(key))).hasSize(perKey).doesNotHaveDuplicates().isSorted();
        }
        await().atMost(WAIT).until(() -> queue.openCount() == 0);
        assertThat(queue.stats().delivered()).isEqualTo(keys * perKey);
    }

    @Test
    void onlyOneEventPerKeyIsInFlightAtATime() {
        start();
        pd.latency(Duration.ofMillis(30));
        for (int i = 0; i < 10; i++) {
            post(KEY_A, i);
        }
        await().atMost(WAIT).until(() -> pd.acceptedCount() == 10);
        List<ReceivedEvent> got = pd.received(KEY_A);
        for (int i = 1; i < got.size(); i++) {
            // the next request of the key arrives only after the previous answer (30 ms later)
            assertThat(Duration.between(got.get(i - 1).receivedAt(), got.get(i).receivedAt()))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(25));
        }
    }

    @Test
    void retriesAfter429HonouringRetryAfter() {
        start();
        pd.enqueueFor(KEY_A, Answer.status(429).header("Retry-After", "2"));
        post(KEY_A, 1);
        post(KEY_B, 1);
        await().atMost(WAIT).until(() -> pd.acceptedCount(KEY_A) == 1);
        List<ReceivedEvent> a = pd.received(KEY_A);
        assertThat(a).hasSize(2);
        assertThat(a.get(0).status()).isEqualTo(429);
        assertThat(Duration.between(a.get(0).receivedAt(), a.get(1).receivedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        // the other key did not wait
        assertThat(pd.accepted(KEY_B).get(0).receivedAt()).isBefore(a.get(1).receivedAt());
    }

    @Test
    void retries5xxAndNetworkFailuresUntilDelivered() {
        start();
        pd.enqueueFor(KEY_A, Answer.status(500), Answer.status(502), Answer.dropConnection(), Answer.status(503));
        long seq = post(KEY_A, 1);
        post(KEY_A, 2);
        await().atMost(WAIT).until(() -> pd.acceptedCount(KEY_A) == 2);
        assertThat(seqs(pd.received(KEY_A))).containsExactly(1L, 1L, 1L, 1L, 1L, 2L);
        await().atMost(WAIT).until(() -> queue.get(seq).state() == DeliveryState.DELIVERED);
        assertThat(queue.get(seq).attempts()).isEqualTo(5);
    }

    @Test
    void aTimedOutAttemptIsRetried() {
        start(8, Duration.ofMillis(500), Clock.systemUTC(), attempts -> Duration.ofMillis(20));
        pd.enqueueFor(KEY_A, Answer.hang());
        post(KEY_A, 1);
        await().atMost(WAIT).until(() -> pd.acceptedCount(KEY_A) == 1);
        assertThat(pd.received(KEY_A)).hasSize(2);
    }

    @Test
    void a400MakesTheEventDeadWithTheAnswerKeptAndTheKeyGoesOn() {
        start();
        pd.enqueueFor(KEY_A, Answer.invalidEvent("'payload.source' is missing or blank"));
        long bad = post(KEY_A, 1);
        post(KEY_A, 2);
        await().atMost(WAIT).until(() -> pd.acceptedCount(KEY_A) == 1);
        assertThat(seqs(pd.accepted(KEY_A))).containsExactly(2L);
        await().atMost(WAIT).until(() -> queue.get(bad).state() == DeliveryState.DEAD);
        QueuedItem dead = queue.get(bad);
        assertThat(dead.lastStatus()).isEqualTo(400);
        assertThat(dead.lastError()).contains("'payload.source' is missing or blank");
        assertThat(dead.attempts()).isEqualTo(1);
    }

    @Test
    void a403IsThrottlingOnV1ButARejectionOnV2() {
        start();
        pd.enqueueFor(KEY_A, Answer.status(403));
        pd.enqueueFor(KEY_B, Answer.status(403));
        long v1 = post(KEY_A, 1, "/generic/2010-04-15/create_event.json");
        long v2 = post(KEY_B, 1);
        await().atMost(WAIT).until(() -> queue.get(v1).state() == DeliveryState.DELIVERED
                && queue.get(v2).state() == DeliveryState.DEAD);
        assertThat(queue.get(v1).attempts()).isEqualTo(2);
    }

    @Test
    void eventsGoToThePathTheyCameInOnUnderTheBaseUrl() {
        start();
        post(KEY_A, 1, "/x-ere/" + KEY_A + "?source=sns");
        await().atMost(WAIT).until(() -> pd.acceptedCount() == 1);
        ReceivedEvent e = pd.received().get(0);
        assertThat(e.path()).isEqualTo("/x-ere/" + KEY_A);
        assertThat(e.header("Content-Type")).startsWith("application/json");
        assertThat(e.header("User-Agent")).startsWith("pdaltagent/");
    }

    @Test
    void anEventOlderThanTheMaximumAgeBecomesDeadAsExpired() {
        start();
        long seq = queue.append(new NewItem(KEY_A, Destination.events("/v2/enqueue"), "application/json",
                "{}".getBytes(StandardCharsets.UTF_8), null, Instant.now().minus(Duration.ofDays(8)))).join();
        await().atMost(WAIT).until(() -> queue.get(seq).state() == DeliveryState.DEAD);
        assertThat(queue.get(seq).lastError()).startsWith("expired");
        assertThat(pd.count()).isZero();
    }

    @Test
    void stoppingPutsAttemptsStillUnderWayBackToPendingWithoutCountingThem() {
        start(8, Duration.ofSeconds(60), Clock.systemUTC(), attempts -> Duration.ofMillis(20));
        pd.enqueueFor(KEY_A, Answer.hang());
        long seq = post(KEY_A, 1);
        await().atMost(WAIT).until(() -> pd.count(KEY_A) == 1);
        dispatcher.close();
        dispatcher = null;
        QueuedItem item = queue.get(seq);
        assertThat(item.state()).isEqualTo(DeliveryState.PENDING);
        assertThat(item.attempts()).isZero();
    }

    @Test
    void deliversThroughTheProxyNamedInTheEnvironment() throws Exception {
        try (io.pdaltagent.testing.ForwardProxy proxy = io.pdaltagent.testing.ForwardProxy.start()) {
            queue = SqliteEventQueue.open(dir, Clock.systemUTC(), 1000);
            AgentConfig.DeliveryConfig c = config(4, Duration.ofSeconds(5));
            EnvProxySelector proxies = EnvProxySelector.fromEnv(Map.of("HTTP_PROXY", "http://127.0.0.1:" + proxy.port()));
            dispatcher = new Dispatcher(queue, new HttpSender(c.eventsBaseUrl(), c.timeout(), proxies, null, "test"),
                    new RetryPolicy(), a -> Duration.ofMillis(20), AgentListener.NONE, Clock.systemUTC(), c);
            dispatcher.start();
            post(KEY_A, 1);
            await().atMost(WAIT).until(() -> pd.acceptedCount() == 1);
            assertThat(proxy.relayed()).isGreaterThanOrEqualTo(1);
        }
    }
}
