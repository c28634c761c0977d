package io.pdaltagent.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.queue.StoreUnavailableException;
import io.pdaltagent.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * A broker resource alarm (here: the memory watermark set below what the broker uses): RabbitMQ
 * blocks connections that publish. The queue then refuses appends at once, saying why, instead of
 * letting every client wait for a confirm that cannot come; health shows the block; when the alarm
 * clears, appends and claims go on. The watermark is set back to the default whatever happens.
 */
class BrokerAlarmTest {
    private final ManualClock clock = new ManualClock();

    private NewItem item(String body) {
        return new NewItem("alarm-key", Destination.events("/v2/enqueue"), "application/json",
                body.getBytes(StandardCharsets.UTF_8), "dk-" + body, clock.instant());
    }

    private static String failure(RabbitMqEventQueue q, NewItem item) {
        try {
            q.append(item).join();
            return null;
        } catch (CompletionException e) {
            assertThat(e.getCause()).isInstanceOf(StoreUnavailableException.class);
            return e.getCause().getMessage();
        }
    }

    @Test
    void appendsAreRefusedAtOnceWhileTheBrokerBlocksPublishingAndGoOnAfterwards() throws Exception {
        String prefix = "test-" + UUID.randomUUID().toString().substring(0, 8);
        try (RabbitMqEventQueue q = RabbitMqEventQueue.open(new RabbitMqEventQueue.Settings(
                BrokerUrl.parse(RabbitMqEventQueueTest.URL), prefix, 2, 1_000, RabbitMqEventQueue.DEFAULT_PREFETCH,
                RabbitMqEventQueue.DEFAULT_CONFIRM_WINDOW, true), clock)) {
            assertThat(q.append(item("before")).join()).isPositive();
            try {
                Broker.ctl("set_vm_memory_high_watermark", "absolute", "10MB");
                // the broker blocks a connection when it publishes during the alarm: the first append
                // may wait out the confirm timeout, the ones after it are refused at once
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    String why = failure(q, item("during"));
                    return why != null && why.contains("blocks publishing");
                });
                long start = System.nanoTime();
                assertThat(failure(q, item("during"))).contains("blocks publishing");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
                assertThat(q.isHealthy()).isFalse();
                assertThat(q.backendHealth()).containsEntry("publish_connection", "down").containsKey("blocked_by_broker");
            } finally {
                Broker.ctl("set_vm_memory_high_watermark", "0.4");
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> failure(q, item("after")) == null);
            assertThat(q.isHealthy()).isTrue();
            assertThat(q.backendHealth()).doesNotContainKey("blocked_by_broker");
            // everything stored reaches the consumer: "before", "after" (and appends that timed out
            // while the broker stopped reading, if it took them after all)
            List<String> claimed = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (QueuedItem i : q.claim(10, Duration.ofMillis(200))) {
                    claimed.add(new String(i.body(), StandardCharsets.UTF_8));
                    q.complete(i, new Completion.Delivered(202)).join();
                }
                return claimed.contains("after");
            });
            assertThat(claimed).first().isEqualTo("before");
        }
    }
}
