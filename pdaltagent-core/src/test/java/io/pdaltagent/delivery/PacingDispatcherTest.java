package io.pdaltagent.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.observe.AgentListener;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.SqliteEventQueue;
import io.pdaltagent.testing.Answer;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ManualClock;
import io.pdaltagent.testing.ReceivedEvent;
import io.pdaltagent.testing.WebhookReceiver;
import java.net.ProxySelector;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dispatcher with pacing on, against a fake PagerDuty that enforces a per-key rate limit. */
class PacingDispatcherTest {
    static final String BUSY = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    FakePagerDuty pd = FakePagerDuty.builder().start();
    EventQueue queue;
    Dispatcher dispatcher;

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

    private void start(Clock clock, AgentConfig.PacingConfig pacing, Backoff backoff) {
        queue = SqliteEventQueue.open(dir, clock, 100_000);
        AgentConfig.DeliveryConfig c = new AgentConfig.DeliveryConfig(URI.create(pd.baseUrl()), 64, Duration.ofSeconds(5),
                Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofDays(7), Duration.ofSeconds(2), pacing);
        dispatcher = new Dispatcher(queue, new HttpSender(c.eventsBaseUrl(), c.timeout(), ProxySelector.of(null), null, "test"),
                new RetryPolicy(), backoff, AgentListener.NONE, clock, c);
        dispatcher.start();
    }

    private void post(String key, int seq, Instant acceptedAt) {
        post(key, seq, acceptedAt, Destination.events("/v2/enqueue"));
    }

    private void post(String key, int seq, Instant acceptedAt, Destination to) {
        String body = "{\"routing_key\":\"" + key + "\",\"event_action\":\"trigger\",\"dedup_key\":\"d" + seq
                + "\",\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\",\"custom_details\":{\"seq\":"
                + seq + "}}}";
        queue.append(new NewItem(key, to, "application/json", body.getBytes(StandardCharsets.UTF_8), "d" + seq,
                acceptedAt)).join();
    }

    @Test
    void aBurstForOneKeyGoesOutAtTheAllowedRateWithFew429sWhileOtherKeysAreNotSlowed() {
        // PagerDuty's 120 per trailing minute with time compressed: 10 per trailing second, so the test
        // takes seconds; the agent is set to the same rate (600/min) with a small burst
        pd.rateLimit(10, Duration.ofSeconds(1), true);
        start(Clock.systemUTC(), new AgentConfig.PacingConfig(600, 3), attempts -> Duration.ofMillis(20));
        int burst = 60;
        for (int i = 0; i < burst; i++) {
            post(BUSY, i, Instant.now());
        }
        List<String> others = List.of("b", "c", "d", "e", "f").stream().map(s -> s.repeat(32)).toList();
        for (String k : others) {
            post(k, 0, Instant.now());
        }
        long started = System.nanoTime();
        await().atMost(WAIT).until(() -> others.stream().allMatch(k -> pd.acceptedCount(k) == 1));
        Duration othersTook = Duration.ofNanos(System.nanoTime() - started);
        await().atMost(WAIT).until(() -> pd.acceptedCount(BUSY) == burst);
        Duration busyTook = Duration.ofNanos(System.nanoTime() - started);

        assertThat(pd.accepted(BUSY)).extracting(ReceivedEvent::seq).isSorted().doesNotHaveDuplicates().hasSize(burst);
        assertThat(pd.throttledCount()).as("429s for the burst").isLessThanOrEqualTo(5);
        assertThat(queue.stats().dead()).isZero();
        assertThat(busyTook).as("60 events at 10/s: about 6 s, not all at once").isGreaterThan(Duration.ofSeconds(4));
        assertThat(othersTook).as("other keys are not held behind the busy one").isLessThan(busyTook.dividedBy(2));
        assertThat(dispatcher.pacer().throttles()).isEqualTo(pd.throttledCount());
    }

    @Test
    void a429WithoutRetryAfterSlowsTheKeyDownInsteadOfHammeringIt() {
        pd.rateLimit(5, Duration.ofSeconds(1), false);
        start(Clock.systemUTC(), new AgentConfig.PacingConfig(1200, 10), attempts -> Duration.ofMillis(20));
        for (int i = 0; i < 30; i++) {
            post(BUSY, i, Instant.now());
        }
        await().atMost(WAIT).until(() -> pd.acceptedCount(BUSY) == 30);
        assertThat(pd.accepted(BUSY)).extracting(ReceivedEvent::seq).isSorted().hasSize(30);
        // a 20 ms retry per 429 would have met hundreds of them; the halved pace meets a handful
        assertThat(pd.throttledCount()).isLessThan(15);
        assertThat(queue.stats().dead()).isZero();
    }

    @Test
    void webhooksAreNotPaced() {
        try (WebhookReceiver receiver = WebhookReceiver.start(null)) {
            start(Clock.systemUTC(), new AgentConfig.PacingConfig(1, 1), attempts -> Duration.ofMillis(20));
            for (int i = 0; i < 5; i++) {
                post("hook", i, Instant.now(), new Destination(Destination.WEBHOOK, receiver.url()));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.accepted().size() == 5);
            assertThat(dispatcher.pacer().trackedKeys()).isZero();
        }
    }

    @Test
    void aForwardStepOfTheWallClockDoesNotExpireAnEventWaitingForARetry() {
        ManualClock clock = new ManualClock(Instant.parse("2026-03-01T00:00:00Z"));
        start(clock, AgentConfig.PacingConfig.OFF, attempts -> Duration.ofSeconds(30));
        pd.enqueueFor(BUSY, Answer.status(503));
        post(BUSY, 1, clock.instant());
        await().atMost(WAIT).until(() -> pd.count(BUSY) == 1 && queue.get(1).nextAttemptAt().isAfter(clock.instant()));

        clock.step(Duration.ofDays(8)); // past PDAGENTD_MAX_EVENT_AGE_SECONDS (7 days) at once
        clock.advance(Duration.ofSeconds(30));
        await().atMost(WAIT).until(() -> pd.acceptedCount(BUSY) == 1);
        assertThat(queue.stats().dead()).isZero();

        // an event that really is older than the maximum, step or not, still expires
        post(BUSY, 2, clock.instant().minus(Duration.ofDays(30)));
        await().atMost(WAIT).until(() -> queue.stats().dead() == 1);
        assertThat(queue.get(2).lastError()).startsWith("expired");
    }

    @Test
    void aBackwardStepOfTheWallClockDoesNotFreezeARetry() {
        ManualClock clock = new ManualClock(Instant.parse("2026-03-01T00:00:00Z"));
        start(clock, AgentConfig.PacingConfig.OFF, attempts -> Duration.ofSeconds(30));
        pd.enqueueFor(BUSY, Answer.status(503));
        post(BUSY, 1, clock.instant());
        await().atMost(WAIT).until(() -> pd.count(BUSY) == 1 && queue.get(1).nextAttemptAt().isAfter(clock.instant()));

        clock.step(Duration.ofHours(-2));
        clock.advance(Duration.ofSeconds(30));
        await().atMost(WAIT).until(() -> pd.acceptedCount(BUSY) == 1);
    }
}
