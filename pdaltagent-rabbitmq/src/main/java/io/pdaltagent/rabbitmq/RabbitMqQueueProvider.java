package io.pdaltagent.rabbitmq;

import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.EventQueueProvider;
import java.time.Clock;
import java.util.Locale;

/** Opens {@link RabbitMqEventQueue} for {@code amqp://}, {@code amqps://} and {@code pyamqp://} URLs. */
public final class RabbitMqQueueProvider implements EventQueueProvider {
    @Override
    public boolean handles(String url) {
        String u = url.trim().toLowerCase(Locale.ROOT);
        return u.startsWith("amqp://") || u.startsWith("amqps://") || u.startsWith("pyamqp://")
                || u.startsWith("pyamqps://");
    }

    @Override
    public EventQueue open(String url, int partitions, long maxOpen, Clock clock) {
        return RabbitMqEventQueue.open(new RabbitMqEventQueue.Settings(BrokerUrl.parse(url), "pdaltagent", partitions,
                maxOpen, RabbitMqEventQueue.DEFAULT_PREFETCH, RabbitMqEventQueue.DEFAULT_CONFIRM_WINDOW, false), clock);
    }
}
