package io.pdaltagent.queue;

import java.time.Instant;
import java.util.Objects;

/**
 * An outbound delivery to be appended to the queue.
 *
 * @param orderingKey items with the same key are delivered one at a time, in append order (for
 *     PagerDuty events: the routing key; for webhooks: the incident)
 * @param destination where the body is delivered
 * @param contentType the body's media type, sent as is
 * @param body the exact bytes to deliver
 * @param dedupKey the event's dedup / incident key where it has one, for people and tools; may be null
 * @param acceptedAt when the agent accepted the item (the maximum age counts from here)
 * @param suppressedBy the rule, window or plugin that suppressed the event at ingest: the item is
 *     stored {@link DeliveryState#SUPPRESSED}, never delivered; null for an item to deliver
 */
public record NewItem(String orderingKey, Destination destination, String contentType, byte[] body,
                      String dedupKey, Instant acceptedAt, String suppressedBy) {
    public NewItem(String orderingKey, Destination destination, String contentType, byte[] body, String dedupKey,
                   Instant acceptedAt) {
        this(orderingKey, destination, contentType, body, dedupKey, acceptedAt, null);
    }

    /** This item, suppressed by {@code by}. */
    public NewItem suppressed(String by) {
        return new NewItem(orderingKey, destination, contentType, body, dedupKey, acceptedAt, by);
    }

    public NewItem {
        Objects.requireNonNull(orderingKey, "orderingKey");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(acceptedAt, "acceptedAt");
    }
}
