package io.pdaltagent.example;

import io.pdaltagent.api.EventFilter;
import io.pdaltagent.api.FilterResult;
import io.pdaltagent.api.PluginEvent;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An example event filter: drops the heartbeats some monitoring tools send as alerts (a v2 event
 * whose {@code payload.class} is {@code heartbeat}; the agent keeps it as suppressed), and marks
 * every other v2 event with {@code payload.custom_details.relayed_by}. Stateless, so safe to call
 * from many threads at once, and fast, as a filter must be.
 */
public final class HeartbeatFilter implements EventFilter {
    static final String HEARTBEAT_CLASS = "heartbeat";

    @Override
    public String name() {
        return "example.heartbeat";
    }

    @Override
    public FilterResult filter(PluginEvent event) {
        if (!event.kind().equals("v2") || !(event.body().get("payload") instanceof Map<?, ?> p)) {
            return FilterResult.unchanged();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> payload = (Map<String, Object>) p;
        if (HEARTBEAT_CLASS.equals(payload.get("class"))) {
            return FilterResult.drop();
        }
        Object details = payload.get("custom_details");
        Map<String, Object> d;
        if (details instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, Object> cast = (Map<String, Object>) m;
            d = cast;
        } else if (details == null) {
            d = new LinkedHashMap<>();
            payload.put("custom_details", d);
        } else {
            return FilterResult.unchanged(); // custom details of another shape are the sender's business
        }
        d.put("relayed_by", "pdaltagent example plugin");
        return FilterResult.changed(event.body());
    }
}
