package io.pdaltagent.queue;

import java.time.Instant;

/** How a claimed item's attempt ended; given back to {@link EventQueue#complete}. */
public sealed interface Completion {

    /** The destination took it (2xx). The item is DELIVERED and its key moves on. */
    record Delivered(int status) implements Completion {
    }

    /** Try again at {@code at}; the key waits until then, other keys go on. */
    record Retry(Instant at, int status, String error) implements Completion {
    }

    /** Never deliverable: DEAD with the reason kept. The key moves on to its next item. */
    record Dead(int status, String reason) implements Completion {
    }

    /**
     * The attempt was not made or not finished because the agent is stopping: back to PENDING, the
     * attempt not counted.
     */
    record Released() implements Completion {
    }

    default DeliveryState targetState() {
        return switch (this) {
            case Delivered d -> DeliveryState.DELIVERED;
            case Retry r -> DeliveryState.RETRY_SCHEDULED;
            case Dead d -> DeliveryState.DEAD;
            case Released r -> DeliveryState.PENDING;
        };
    }
}
