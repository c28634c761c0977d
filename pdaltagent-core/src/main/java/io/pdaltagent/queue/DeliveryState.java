package io.pdaltagent.queue;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The life of a queued item. Every state change goes through {@link #checkTransition}; the table of
 * allowed transitions below is the only place that says which changes are legal.
 *
 * <pre>
 *   PENDING ──claim──▶ IN_FLIGHT ──2xx──▶ DELIVERED
 *      ▲                 │   │
 *      │ restart         │   └──4xx / expired──▶ DEAD ──retry by a person──▶ PENDING
 *      └─────────────────┤
 *                        └──429 / 5xx / network──▶ RETRY_SCHEDULED ──due──▶ IN_FLIGHT
 *
 *   (append of a suppressed event) ──▶ SUPPRESSED     (final; pruned like DELIVERED)
 *   (append of an event imported dead) ──▶ DEAD
 * </pre>
 *
 * The numeric {@link #code} is what the embedded store persists; it never changes for a state.
 */
public enum DeliveryState {
    PENDING(0),
    IN_FLIGHT(1),
    RETRY_SCHEDULED(2),
    DELIVERED(3),
    DEAD(4),
    /**
     * Kept, never delivered: a rule, maintenance window or plugin suppressed the event at ingest. It
     * is stored in this state from the start (no transition leads here) and pruned with the
     * delivered records.
     */
    SUPPRESSED(5);

    private static final Map<DeliveryState, Set<DeliveryState>> ALLOWED = Map.of(
            PENDING, EnumSet.of(IN_FLIGHT, DEAD),
            // IN_FLIGHT -> PENDING: the agent stopped or crashed while the attempt was under way
            IN_FLIGHT, EnumSet.of(DELIVERED, RETRY_SCHEDULED, DEAD, PENDING),
            RETRY_SCHEDULED, EnumSet.of(IN_FLIGHT, DEAD, PENDING),
            DELIVERED, EnumSet.noneOf(DeliveryState.class),
            // DEAD -> PENDING: a person asked for the dead event to be tried again
            DEAD, EnumSet.of(PENDING),
            SUPPRESSED, EnumSet.noneOf(DeliveryState.class));

    public final int code;

    DeliveryState(int code) {
        this.code = code;
    }

    /** Open states still hold their ordering key: the next item of the key waits behind them. */
    public boolean isOpen() {
        return this == PENDING || this == IN_FLIGHT || this == RETRY_SCHEDULED;
    }

    public boolean canMoveTo(DeliveryState to) {
        return ALLOWED.get(this).contains(to);
    }

    public static void checkTransition(DeliveryState from, DeliveryState to) {
        if (!from.canMoveTo(to)) {
            throw new IllegalStateTransitionException(from, to);
        }
    }

    public static DeliveryState ofCode(int code) {
        for (DeliveryState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown delivery state code " + code);
    }
}
