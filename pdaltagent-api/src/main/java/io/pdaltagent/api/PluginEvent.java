package io.pdaltagent.api;

import java.util.Map;
import java.util.Objects;

/**
 * An event as a filter sees it: a copy, so a filter may change {@link #body} freely and hand it
 * back with {@link FilterResult#changed}.
 *
 * @param kind {@code v2} (Events API v2 alert event), {@code change}, {@code v1}, or {@code path_keyed}
 *     (any JSON object posted to an integration or ruleset URL)
 * @param routingKey the routing key the event goes to
 * @param body the event's JSON object as plain values (see the package documentation)
 */
public record PluginEvent(String kind, String routingKey, Map<String, Object> body) {
    public PluginEvent {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(routingKey, "routingKey");
        Objects.requireNonNull(body, "body");
    }
}
