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
 * @param deadBecause why the item arrives dead (an event another agent had given up on, imported with
 *     its verdict): it is stored {@link DeliveryState#DEAD} with this as its last error, listed and
 *     retried like any dead item; null for an item to deliver
 */
public record NewItem(String orderingKey, Destination destination, String contentType, byte[] body,
                      String dedupKey, Instant acceptedAt, String suppressedBy, String deadBecause) {
    public NewItem(String orderingKey, Destination destination, String contentType, byte[] body, String dedupKey,
                   Instant acceptedAt) {
        this(orderingKey, destination, contentType, body, dedupKey, acceptedAt, null, null);
    }

    public NewItem(String orderingKey, Destination destination, String contentType, byte[] body, String dedupKey,
                   Instant acceptedAt, String suppressedBy) {
        this(orderingKey, destination, contentType, body, dedupKey, acceptedAt, suppressedBy, null);
    }

    /** This item, suppressed by {@code by}. */
    public NewItem suppressed(String by) {
        return new NewItem(orderingKey, destination, contentType, body, dedupKey, acceptedAt, by, null);
    }

    /** This item, arriving dead for {@code reason}. */
    public NewItem dead(String reason) {
        return new NewItem(orderingKey, destination, contentType, body, dedupKey, acceptedAt, null,
                Objects.requireNonNull(reason, "reason"));
    }

    /** The state the item is stored in when appended. */
    public DeliveryState arrivalState() {
        return suppressedBy != null ? DeliveryState.SUPPRESSED : deadBecause != null ? DeliveryState.DEAD : DeliveryState.PENDING;
    }

    /** The last error it is stored with: null for an item to deliver. */
    public String arrivalNote() {
        return suppressedBy != null ? SUPPRESSED_PREFIX + suppressedBy : deadBecause;
    }

    /** How a suppressed item's last error begins; the rest names the suppressor. */
    public static final String SUPPRESSED_PREFIX = "suppressed by ";

    public NewItem {
        Objects.requireNonNull(orderingKey, "orderingKey");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(acceptedAt, "acceptedAt");
        if (suppressedBy != null && deadBecause != null) {
            throw new IllegalArgumentException("an item arrives suppressed or dead, not both");
        }
    }
}
