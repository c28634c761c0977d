package io.pdaltagent.api;

import java.util.Map;

/**
 * Changes or drops the webhooks the relay posts to {@code PDAGENTD_WEBHOOK_DEST_URL}, one call per
 * webhook before it is queued for delivery. Found and bounded in time like {@link EventFilter}.
 *
 * @see WebhookFilter.Result
 */
public interface WebhookFilter {
    /**
     * A webhook about to be queued.
     *
     * @param eventType the V3 event type, e.g. {@code incident.triggered}
     * @param incidentId the incident it is about (the webhook's ordering key)
     * @param body the webhook body as plain values (V3 {@code {"event":…}} or the V2 {@code messages} shape)
     */
    record Webhook(String eventType, String incidentId, Map<String, Object> body) {
    }

    /** Keep the webhook as it is ({@code body} null), send a changed body, or drop it. */
    record Result(Map<String, Object> body, boolean dropped) {
        public static Result unchanged() {
            return new Result(null, false);
        }

        public static Result changed(Map<String, Object> body) {
            return new Result(java.util.Objects.requireNonNull(body, "body"), false);
        }

        public static Result drop() {
            return new Result(null, true);
        }
    }

    default String name() {
        return getClass().getName();
    }

    Result filter(Webhook webhook) throws Exception;
}
