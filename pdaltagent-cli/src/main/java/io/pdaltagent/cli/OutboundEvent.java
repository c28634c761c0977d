package io.pdaltagent.cli;

import java.util.Objects;

/**
 * An event a command hands to the agent.
 *
 * @param path the path on PagerDuty's events host, e.g. {@code /v2/enqueue}: the agent accepts the
 *     same paths and delivers the event to the same path at PagerDuty
 * @param contentType {@code application/json}, or {@code application/x-www-form-urlencoded} for the
 *     Nagios form path
 * @param body the exact body
 * @param dedupKey the event's dedup / incident key when the command knows it, else null (the agent
 *     assigns one to a trigger without one and answers with it)
 */
public record OutboundEvent(String path, String contentType, String body, String dedupKey) {
    public static final String JSON = "application/json";

    public OutboundEvent {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
    }

    public static OutboundEvent json(String path, String body, String dedupKey) {
        return new OutboundEvent(path, JSON, body, dedupKey);
    }
}
