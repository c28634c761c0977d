package io.pdaltagent.transform;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One event on its way through the {@link TransformChain}: the JSON tree (changed in place by the
 * stages), the kind of event, its current routing key, and what the stages decided. Confined to
 * the thread that runs the chain for it; never shared.
 */
public final class TransformEvent {
    /** The event kinds, after the ingest path they came in on. */
    public enum Kind {
        /** Events API v2 alert event ({@code routing_key}, {@code event_action}, {@code payload}). */
        V2("v2"),
        /** Events API v2 change event. */
        CHANGE("change"),
        /** Events API v1 ({@code service_key}, {@code event_type}, {@code description}). */
        V1("v1"),
        /** Any JSON object posted to an integration or ruleset URL; the key is in the path. */
        PATH_KEYED("path_keyed");

        public final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    private final ObjectNode event;
    private final Kind kind;
    private String routingKey;
    private boolean changed;
    private String suppressedBy;
    private boolean stopped;

    public TransformEvent(ObjectNode event, Kind kind, String routingKey) {
        this.event = Objects.requireNonNull(event, "event");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.routingKey = Objects.requireNonNull(routingKey, "routingKey");
    }

    /** The event's JSON tree; a stage that changes it calls {@link #markChanged}. */
    public ObjectNode event() {
        return event;
    }

    public Kind kind() {
        return kind;
    }

    /** The routing key the event goes to (the path key for {@link Kind#PATH_KEYED}). */
    public String routingKey() {
        return routingKey;
    }

    /** Sends the event to another routing key; the intake writes it into the event or path. */
    public void route(String newKey) {
        Objects.requireNonNull(newKey, "newKey");
        if (!newKey.equals(routingKey)) {
            routingKey = newKey;
            changed = true;
        }
    }

    public void markChanged() {
        changed = true;
    }

    /** True once any stage changed the tree or the routing key. */
    public boolean changed() {
        return changed;
    }

    /** Keeps the event as suppressed (not delivered), naming the rule or plugin that did it. */
    public void suppress(String by) {
        if (suppressedBy == null) {
            suppressedBy = Objects.requireNonNull(by, "by");
        }
    }

    /** The rule, window or plugin that suppressed the event, or null. */
    public String suppressedBy() {
        return suppressedBy;
    }

    /** A rule's {@code stop}: no later rule is evaluated for this event. */
    public void stop() {
        stopped = true;
    }

    public boolean stopped() {
        return stopped;
    }
}
