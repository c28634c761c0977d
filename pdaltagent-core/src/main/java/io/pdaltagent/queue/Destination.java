package io.pdaltagent.queue;

import java.util.Objects;

/**
 * Where a queued item goes. {@code kind} names the outbound channel and {@code target} is read by
 * that channel: for {@link #EVENTS} it is the path on the PagerDuty events host (the base URL comes
 * from the agent's configuration at delivery time, so a queued event follows a changed
 * {@code PDAGENTD_EVENTS_BASE_URL}); for {@link #WEBHOOK} it is a whole URL.
 */
public record Destination(String kind, String target) {
    public static final String EVENTS = "events";
    public static final String WEBHOOK = "webhook";

    public Destination {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(target, "target");
    }

    public static Destination events(String path) {
        return new Destination(EVENTS, path);
    }
}
