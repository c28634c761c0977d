package io.pdaltagent.rabbitmq;

import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.testing.EventQueueContract;
import io.pdaltagent.testing.ManualClock;
import java.time.Duration;
import java.util.UUID;

/**
 * The queue contract on the real RabbitMQ at 127.0.0.1:5672 (guest/guest; {@code bin/test} starts
 * it). Each queue gets queues of its own (a unique name prefix), deleted when it closes.
 *
 * <p>One narrow difference, and why {@link #append} is overridden: on RabbitMQ an appended item
 * becomes claimable when the broker has delivered it to the partition's active consumer, a few
 * milliseconds after the append's confirm. The contract's tests that append several items and then
 * expect one claim to return all of their heads would race with that delivery; the helper waits
 * until the appended item is visible to this agent before the test goes on. The contract's
 * assertions are unchanged.
 */
class RabbitMqEventQueueTest extends EventQueueContract {
    static final String URL = System.getProperty("pdaltagent.test.broker", "amqp://guest:guest@127.0.0.1:5672/");

    @Override
    protected EventQueue newQueue(ManualClock clock, long maxOpen) {
        String prefix = "test-" + UUID.randomUUID().toString().substring(0, 8);
        return RabbitMqEventQueue.open(new RabbitMqEventQueue.Settings(BrokerUrl.parse(URL), prefix, 4, maxOpen,
                RabbitMqEventQueue.DEFAULT_PREFETCH, RabbitMqEventQueue.DEFAULT_CONFIRM_WINDOW, true), clock);
    }

    @Override
    protected long append(String key, String body) {
        long seq = super.append(key, body);
        try {
            if (!((RabbitMqEventQueue) queue).awaitVisible(seq, Duration.ofSeconds(10))) {
                throw new AssertionError("appended item " + seq + " never reached the consumer");
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return seq;
    }

    @org.junit.jupiter.api.Test
    void suppressedAndDeadArrivalsLiveOnTheBrokerForEveryAgentAndSuppressedOnesArePrunedLikeDelivered() throws Exception {
        RabbitMqEventQueue first = (RabbitMqEventQueue) queue;
        String prefix = first.deadQueue().substring(0, first.deadQueue().length() - ".dead".length());
        long old = first.append(item("k1", "old").suppressed("night-window")).get(5, java.util.concurrent.TimeUnit.SECONDS);
        clock.advance(Duration.ofHours(2));
        long recent = first.append(item("k1", "recent").suppressed("night-window")).get(5, java.util.concurrent.TimeUnit.SECONDS);
        long dead = first.append(item("k2", "imported").dead("dead in PagerDuty Agent")).get(5, java.util.concurrent.TimeUnit.SECONDS);
        try (RabbitMqEventQueue other = RabbitMqEventQueue.open(new RabbitMqEventQueue.Settings(BrokerUrl.parse(URL), prefix, 4,
                1_000, RabbitMqEventQueue.DEFAULT_PREFETCH, RabbitMqEventQueue.DEFAULT_CONFIRM_WINDOW, false), clock)) {
            org.assertj.core.api.Assertions.assertThat(other.listSuppressed(null, 10)).extracting(QueuedItem::seq)
                    .as("another agent on the broker sees them").containsExactly(old, recent);
            org.assertj.core.api.Assertions.assertThat(other.get(dead).lastError()).isEqualTo("dead in PagerDuty Agent");
            org.assertj.core.api.Assertions.assertThat(other.pruneDelivered(clock.instant().minus(Duration.ofHours(1))))
                    .as("only the suppressed record older than the cutoff").isEqualTo(1);
        }
        org.assertj.core.api.Assertions.assertThat(first.listSuppressed(null, 10)).extracting(QueuedItem::seq).containsExactly(recent);
        org.assertj.core.api.Assertions.assertThat(first.suppressedCounts("k1"))
                .containsExactly(new io.pdaltagent.queue.SuppressedCount("k1", "night-window", 1));
        org.assertj.core.api.Assertions.assertThat(first.listDead(null, 10)).extracting(QueuedItem::seq).containsExactly(dead);
    }

    @org.junit.jupiter.api.Test
    void lookingAtDeadEventsLeavesTheirOrderSoARetryOfTheKeySendsThemInOrder() throws Exception {
        long a = append("k1", "a");
        queue.complete(claimAll().get(0), new io.pdaltagent.queue.Completion.Dead(400, "bad")).join();
        long b = append("k1", "b");
        queue.complete(claimAll().get(0), new io.pdaltagent.queue.Completion.Dead(400, "bad")).join();
        // a listing that stops at its limit, and a lookup that finds the first: both read part of the queue
        org.assertj.core.api.Assertions.assertThat(queue.listDead(null, 1)).extracting(QueuedItem::seq).containsExactly(a);
        org.assertj.core.api.Assertions.assertThat(queue.get(a).state()).isEqualTo(io.pdaltagent.queue.DeliveryState.DEAD);
        org.assertj.core.api.Assertions.assertThat(queue.listDead(null, 10)).extracting(QueuedItem::seq).containsExactly(a, b);
        org.assertj.core.api.Assertions.assertThat(queue.retryDead("k1")).isEqualTo(2);
        QueuedItem first = claimAll().get(0);
        org.assertj.core.api.Assertions.assertThat(first.seq()).isEqualTo(a);
        queue.complete(first, new io.pdaltagent.queue.Completion.Delivered(202)).join();
        org.assertj.core.api.Assertions.assertThat(claimAll()).extracting(QueuedItem::seq).containsExactly(b);
    }
}
