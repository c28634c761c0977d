package io.pdaltagent.api;

import java.util.Map;
import java.util.Objects;

/**
 * What an {@link EventFilter} decided. {@link #unchanged()}; {@link #changed} with a new body;
 * {@link #drop} (the event is kept as suppressed under the plugin's name, never delivered; the
 * client was answered with success already); {@link #reroute} to another routing key, optionally
 * with a new body. A re-route to a key that is no routing key (32 characters on the typed routes) is
 * refused and counted as the plugin's failure, and the event goes on as it was. The agent validates
 * a changed event again after all transforms: a body a filter made invalid (a required field
 * removed) is answered 400 to the client, naming the problem, as PagerDuty would refuse it.
 *
 * @param body the new body, or null to keep the event's
 * @param routingKey the new routing key, or null to keep it
 * @param dropped true to suppress the event
 */
public record FilterResult(Map<String, Object> body, String routingKey, boolean dropped) {
    private static final FilterResult UNCHANGED = new FilterResult(null, null, false);
    private static final FilterResult DROP = new FilterResult(null, null, true);

    public static FilterResult unchanged() {
        return UNCHANGED;
    }

    public static FilterResult changed(Map<String, Object> body) {
        return new FilterResult(Objects.requireNonNull(body, "body"), null, false);
    }

    public static FilterResult drop() {
        return DROP;
    }

    public static FilterResult reroute(String routingKey) {
        return new FilterResult(null, Objects.requireNonNull(routingKey, "routingKey"), false);
    }

    public static FilterResult reroute(String routingKey, Map<String, Object> body) {
        return new FilterResult(Objects.requireNonNull(body, "body"), Objects.requireNonNull(routingKey, "routingKey"),
                false);
    }
}
