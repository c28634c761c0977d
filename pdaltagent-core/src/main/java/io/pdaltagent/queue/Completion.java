package io.pdaltagent.queue;

import java.time.Instant;

/**
 * How a claimed item's attempt ended; given back to {@link EventQueue#complete}.
 *
 * <p>Each kind may carry {@code keyDueAt}: the destination allows the key's next send only then
 * (the key is paced), so the key's next item is not claimed before it. Null: at once.
 */
public sealed interface Completion {

    /** The destination took it (2xx). The item is DELIVERED and its key moves on. */
    record Delivered(int status, Instant keyDueAt) implements Completion {
        public Delivered(int status) {
            this(status, null);
        }
    }

    /** Try again at {@code at}; the key waits until then, other keys go on. */
    record Retry(Instant at, int status, String error) implements Completion {
    }

    /** Never deliverable: DEAD with the reason kept. The key moves on to its next item. */
    record Dead(int status, String reason, Instant keyDueAt) implements Completion {
        public Dead(int status, String reason) {
            this(status, reason, null);
        }
    }

    /**
     * The attempt was not made or not finished because the agent is stopping: back to PENDING, the
     * attempt not counted; or because its key was not allowed to send yet ({@code keyDueAt}).
     */
    record Released(Instant keyDueAt) implements Completion {
        public Released() {
            this(null);
        }
    }

    /** When the key's next item (or this one, when it stays open) may be claimed; null: at once. */
    default Instant nextClaimAt() {
        return switch (this) {
            case Delivered d -> d.keyDueAt();
            case Retry r -> r.at();
            case Dead d -> d.keyDueAt();
            case Released r -> r.keyDueAt();
        };
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
