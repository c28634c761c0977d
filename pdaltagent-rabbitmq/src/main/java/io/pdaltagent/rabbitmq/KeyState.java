package io.pdaltagent.rabbitmq;

import java.util.ArrayDeque;

/**
 * One ordering key as this agent's consumer holds it: its messages in arrival order (dead items a
 * person retried first), the one in flight, and what must be confirmed before its next claim.
 * Guarded by the consumer's lock ({@link ConsumerState}).
 */
final class KeyState {
    final int partition;
    final ArrayDeque<Held> retried = new ArrayDeque<>();
    final ArrayDeque<Held> fifo = new ArrayDeque<>();
    /** Claimed and not finished: being delivered, or its acknowledgement being sent. */
    Held inFlight;
    /** The partition's acknowledgement count that must be confirmed before the next claim. */
    long mustConfirm;
    boolean awaitingConfirm;
    /** The open items the claim scheduler counts for the key (see {@link #count}). */
    long counted;

    KeyState(int partition) {
        this.partition = partition;
    }

    Held head() {
        return retried.isEmpty() ? fifo.peekFirst() : retried.peekFirst();
    }

    boolean isEmpty() {
        return retried.isEmpty() && fifo.isEmpty() && inFlight == null;
    }

    /** The key's items held here: its FIFOs, and the one in flight once it has left them. */
    long count() {
        boolean inQueues = inFlight != null && (inFlight == fifo.peekFirst() || inFlight == retried.peekFirst());
        return retried.size() + fifo.size() + (inFlight != null && !inQueues ? 1 : 0);
    }

    void remove(Held h) {
        if (!retried.remove(h)) {
            fifo.remove(h);
        }
    }
}
