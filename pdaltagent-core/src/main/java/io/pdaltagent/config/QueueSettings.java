package io.pdaltagent.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The queue section: the broker ({@code PDAGENTD_BROKER_URL}, else PDaltagent's
 * {@code CELERY_BROKER_URL}; unset: the embedded queue), {@code PDAGENTD_BROKER_PARTITIONS},
 * {@code PDAGENTD_QUEUE_MAX_EVENTS} and {@code PDAGENTD_DELIVERED_RETENTION_SECONDS}.
 */
final class QueueSettings {
    static final long DEFAULT_QUEUE_MAX_EVENTS = 1_000_000;
    /** Delivered records only feed status counts; a day of them is plenty and keeps the store small. */
    static final long DEFAULT_DELIVERED_RETENTION_SECONDS = 24 * 3600;
    private static final int MAX_BROKER_PARTITIONS = 1000;

    private QueueSettings() {
    }

    static AgentConfig.QueueConfig read(ConfigReader r, Path dataDir) {
        String broker = broker(r, "PDAGENTD_BROKER_URL");
        if (broker == null) {
            broker = broker(r, "CELERY_BROKER_URL");
        } else {
            // PDaltagent's name counts only without ours: with ours set, it may be another program's
            r.string("CELERY_BROKER_URL", null);
        }
        int partitions = (int) r.number("PDAGENTD_BROKER_PARTITIONS", AgentConfig.QueueConfig.DEFAULT_BROKER_PARTITIONS, 1,
                MAX_BROKER_PARTITIONS);
        long maxEvents = r.number("PDAGENTD_QUEUE_MAX_EVENTS", DEFAULT_QUEUE_MAX_EVENTS, 1, Long.MAX_VALUE);
        Duration retention = r.seconds("PDAGENTD_DELIVERED_RETENTION_SECONDS", DEFAULT_DELIVERED_RETENTION_SECONDS, 0);
        return new AgentConfig.QueueConfig(dataDir, maxEvents, retention, broker, partitions);
    }

    /** A RabbitMQ URL, checked; null when unset. */
    private static String broker(ConfigReader r, String name) {
        String url = r.string(name, null);
        if (url == null) {
            return null;
        }
        String lower = url.toLowerCase(Locale.ROOT);
        if (!(lower.startsWith("amqp://") || lower.startsWith("amqps://") || lower.startsWith("pyamqp://")
                || lower.startsWith("pyamqps://"))) {
            throw r.bad(name, "a RabbitMQ URL starts with amqp://, amqps:// or pyamqp://");
        }
        try {
            URI u = new URI(url);
            if (u.getRawAuthority() != null && u.getHost() == null && !u.getRawAuthority().endsWith("@")) {
                throw r.bad(name, "the broker URL has no valid host");
            }
        } catch (URISyntaxException e) {
            throw r.bad(name, "the broker URL does not parse: " + e.getReason());
        }
        return url;
    }
}
