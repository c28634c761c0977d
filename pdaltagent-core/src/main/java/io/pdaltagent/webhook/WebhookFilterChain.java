package io.pdaltagent.webhook;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What the poller runs on each webhook body it built from a log entry, before the body is staged:
 * the plugins' webhook filters ({@code transform/WebhookPluginStage}), or {@link #NONE}. It runs
 * before staging so that the body kept in the activity store, and re-appended after a crash, is
 * the filtered one: a recovery never runs the filters again and never sends a different body.
 *
 * <p><b>Threads.</b> Called by the poller's one thread; implementations bound each call in time.
 */
@FunctionalInterface
public interface WebhookFilterChain {
    /** No filters: every body goes on as built. */
    WebhookFilterChain NONE = (eventType, incidentId, body) -> body;

    /**
     * @param eventType the V3 event type of the entry, e.g. {@code incident.triggered} (V2 bodies too)
     * @param incidentId the incident, the webhook's ordering key
     * @param body the body as built; implementations may change it in place
     * @return the body to send (the same object or another), or null when a filter dropped the webhook
     */
    ObjectNode apply(String eventType, String incidentId, ObjectNode body);
}
