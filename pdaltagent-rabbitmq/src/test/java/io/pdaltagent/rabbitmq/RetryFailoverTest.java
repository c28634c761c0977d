package io.pdaltagent.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Attempts, last error and next attempt time on RabbitMQ survive the partition changing hands: two
 * agents' queues on the real broker (a virtual host of the test's own), the first fails an event a
 * few times and goes away, the second takes the partition over and goes on where the first stopped:
 * the same attempts and error, and no attempt before the back-off the first one set is over.
 */
class RetryFailoverTest {
    private final ManualClock clock = new ManualClock();
    private final List<RabbitMqEventQueue> open = new ArrayList<>();
    private String vhost;
    private String prefix;

    @BeforeEach
    void vhost() throws Exception {
        vhost = Broker.newVhost();
        prefix = "failover";
    }

    @AfterEach
    void cleanUp() throws Exception {
        open.forEach(RabbitMqEventQueue::close);
        Broker.deleteVhost(vhost);
    }

    private RabbitMqEventQueue agent() {
        RabbitMqEventQueue q = RabbitMqEventQueue.open(new RabbitMqEventQueue.Settings(BrokerUrl.parse(Broker.url(vhost)),
                prefix, 2, 1_000, RabbitMqEventQueue.DEFAULT_PREFETCH, RabbitMqEventQueue.DEFAULT_CONFIRM_WINDOW, false),
                clock);
        open.add(q);
        return q;
    }

    private NewItem item(String key, String body) {
        return new NewItem(key, Destination.events("/v2/enqueue"), "application/json",
                body.getBytes(StandardCharsets.UTF_8), "dk-" + body, clock.instant());
    }

    private static QueuedItem claimOne(RabbitMqEventQueue q) throws InterruptedException {
        List<QueuedItem> got = q.claim(1, Duration.ofSeconds(10));
        assertThat(got).hasSize(1);
        return got.get(0);
    }

    private long appendVisible(RabbitMqEventQueue q, String key, String body) throws InterruptedException {
        long seq = q.append(item(key, body)).join();
        assertThat(q.awaitVisible(seq, Duration.ofSeconds(10))).isTrue();
        return seq;
    }

    /** Waits until {@code q} holds the item with the retry state another agent recorded. */
    private static void awaitRecord(RabbitMqEventQueue q, long seq, int attempts, String error, Instant due) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            QueuedItem seen = q.get(seq);
            assertThat(seen).isNotNull();
            assertThat(seen.state()).isEqualTo(DeliveryState.RETRY_SCHEDULED);
            assertThat(seen.attempts()).isEqualTo(attempts);
            assertThat(seen.lastError()).isEqualTo(error);
            assertThat(seen.nextAttemptAt()).isEqualTo(due);
        });
    }

    /** Fails the item {@code times} times, each with a back-off of a minute; returns when the last one is due. */
    private Instant failTimes(RabbitMqEventQueue q, int times) throws InterruptedException {
        Instant due = null;
        for (int i = 1; i <= times; i++) {
            QueuedItem claimed = claimOne(q);
            assertThat(claimed.attempts()).isEqualTo(i);
            due = clock.instant().plus(Duration.ofMinutes(i));
            q.complete(claimed, new Completion.Retry(due, 503, "PagerDuty down (" + i + ")")).join();
            if (i < times) {
                clock.advance(Duration.ofMinutes(i).plusSeconds(1));
            }
        }
        return due;
    }

    @Test
    void theNextAgentGoesOnWithTheAttemptsAndBackOffOfTheOneThatFailed() throws Exception {
        RabbitMqEventQueue first = agent();
        long seq = first.append(item("svc-1", "e1")).join();
        long other = first.append(item("svc-2", "e2")).join();
        assertThat(first.awaitVisible(seq, Duration.ofSeconds(10))).isTrue();
        // svc-2 is delivered at once: only what waits for a retry has a record
        first.awaitVisible(other, Duration.ofSeconds(10));
        Instant due = null;
        for (int handled = 0; handled < 2; ) {
            for (QueuedItem i : first.claim(10, Duration.ofSeconds(10))) {
                handled++;
                if (i.seq() == other) {
                    first.complete(i, new Completion.Delivered(202)).join();
                } else {
                    due = clock.instant().plus(Duration.ofMinutes(1));
                    first.complete(i, new Completion.Retry(due, 503, "PagerDuty down (1)")).join();
                }
            }
        }
        clock.advance(Duration.ofMinutes(1).plusSeconds(1));
        QueuedItem second = claimOne(first);
        assertThat(second.attempts()).isEqualTo(2);
        due = clock.instant().plus(Duration.ofMinutes(2));
        first.complete(second, new Completion.Retry(due, 503, "PagerDuty down (2)")).join();
        clock.advance(Duration.ofMinutes(2).plusSeconds(1));
        QueuedItem third = claimOne(first);
        due = clock.instant().plus(Duration.ofMinutes(5));
        first.complete(third, new Completion.Retry(due, 429, "PagerDuty down (3)")).join();
        first.close();
        open.remove(first);

        RabbitMqEventQueue next = agent();
        awaitRecord(next, seq, 3, "PagerDuty down (3)", due);
        assertThat(next.get(seq).lastStatus()).isEqualTo(429);
        assertThat(next.keyStats("svc-1")).singleElement().satisfies(k -> assertThat(k.throttled()).isTrue());

        clock.advance(Duration.ofMinutes(4));
        assertThat(next.claim(10, Duration.ofMillis(500))).as("the back-off is not over").isEmpty();
        clock.advance(Duration.ofMinutes(1));
        QueuedItem fourth = claimOne(next);
        assertThat(fourth.seq()).isEqualTo(seq);
        assertThat(fourth.attempts()).isEqualTo(4);
        assertThat(fourth.lastError()).isEqualTo("PagerDuty down (3)");
        next.complete(fourth, new Completion.Delivered(202)).join();
    }

    @Test
    void anAgentThatDiesLeavesItsCountAndBackOffToTheNext() throws Exception {
        RabbitMqEventQueue first = agent();
        long seq = appendVisible(first, "svc-1", "e1");
        Instant due = failTimes(first, 3);
        first.abortAsIfKilled();
        open.remove(first);

        RabbitMqEventQueue next = agent();
        awaitRecord(next, seq, 3, "PagerDuty down (3)", due);
        clock.advance(Duration.between(clock.instant(), due).minusSeconds(1));
        assertThat(next.claim(10, Duration.ofMillis(500))).as("a second of back-off left").isEmpty();
        clock.advance(Duration.ofSeconds(1));
        assertThat(claimOne(next).attempts()).isEqualTo(4);
    }

    @Test
    void aThirdAgentSeesTheCountOfBothBeforeIt() throws Exception {
        RabbitMqEventQueue first = agent();
        long seq = appendVisible(first, "svc-1", "e1");
        Instant due = failTimes(first, 2);
        clock.advance(Duration.between(clock.instant(), due).plusSeconds(1));
        first.close();
        open.remove(first);

        RabbitMqEventQueue second = agent();
        QueuedItem claimed = claimOne(second);
        assertThat(claimed.attempts()).isEqualTo(3);
        Instant again = clock.instant().plusSeconds(30);
        second.complete(claimed, new Completion.Retry(again, 503, "still down")).join();
        second.close();
        open.remove(second);

        RabbitMqEventQueue third = agent();
        awaitRecord(third, seq, 3, "still down", again);
        clock.advance(Duration.ofSeconds(31));
        assertThat(claimOne(third).attempts()).isEqualTo(4);
    }

    @Test
    void aDeadEventRetriedByAPersonStartsItsCountAgainEvenAfterAFailover() throws Exception {
        RabbitMqEventQueue first = agent();
        long seq = appendVisible(first, "svc-1", "e1");
        Instant due = failTimes(first, 2);
        clock.advance(Duration.between(clock.instant(), due).plusSeconds(1));
        first.complete(claimOne(first), new Completion.Dead(400, "bad event")).join();
        assertThat(first.retryDead(null)).isEqualTo(1);
        QueuedItem again = claimOne(first);
        assertThat(again.attempts()).as("a new life").isEqualTo(1);
        first.complete(again, new Completion.Retry(clock.instant().plusSeconds(10), 503, "down")).join();
        first.close();
        open.remove(first);

        RabbitMqEventQueue next = agent();
        clock.advance(Duration.ofSeconds(11));
        QueuedItem claimed = claimOne(next);
        assertThat(claimed.seq()).isEqualTo(seq);
        assertThat(claimed.attempts()).isEqualTo(2);
        assertThat(claimed.lastError()).isEqualTo("down");
    }

    @Test
    void theRetryLogStaysSmallWhileOneAgentRetriesAnEventManyTimes() throws Exception {
        RabbitMqEventQueue q = agent();
        long seq = q.append(item("svc-1", "e1")).join();
        assertThat(q.awaitVisible(seq, Duration.ofSeconds(10))).isTrue();
        for (int i = 1; i <= RetryLog.COMPACT_MIN + 50; i++) {
            QueuedItem claimed = claimOne(q);
            q.complete(claimed, new Completion.Retry(clock.instant(), 503, "down")).join();
        }
        int partition = RabbitMqEventQueue.partitionOf("svc-1", 2);
        try (var conn = newConnection(); var ch = conn.createChannel()) {
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    ch.queueDeclarePassive(q.retryQueue(partition)).getMessageCount() < RetryLog.COMPACT_MIN);
        }
        q.complete(claimOne(q), new Completion.Delivered(202)).join();
    }

    private com.rabbitmq.client.Connection newConnection() throws Exception {
        com.rabbitmq.client.ConnectionFactory f = new com.rabbitmq.client.ConnectionFactory();
        BrokerUrl.parse(Broker.url(vhost)).configure(f);
        return f.newConnection("retry-log-test");
    }
}
