package io.pdaltagent.queue;

/** A state change that the table in {@link DeliveryState} does not allow. */
public final class IllegalStateTransitionException extends IllegalStateException {
    private final DeliveryState from;
    private final DeliveryState to;

    public IllegalStateTransitionException(DeliveryState from, DeliveryState to) {
        super("illegal delivery state transition " + from + " -> " + to);
        this.from = from;
        this.to = to;
    }

    public DeliveryState from() {
        return from;
    }

    public DeliveryState to() {
        return to;
    }
}
