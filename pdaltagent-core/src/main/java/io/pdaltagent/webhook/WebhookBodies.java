package io.pdaltagent.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Turns one log entry (with its included incident and service) into the body of one webhook, in
 * PagerDuty's V3 shape or the legacy V2 {@code messages} shape PDaltagent sent.
 *
 * <p>V3: {@code {"event":{"id","event_type","resource_type":"incident","occurred_at","agent","client","data"}}},
 * {@code data} the incident as the entry's included incident gives it, plus the V3 names of its
 * fields ({@code type:"incident"}, {@code number}, {@code assignees}). With
 * {@code PDAGENTD_WEBHOOK_CONFIG_JSON} set, a top-level {@code "webhook":{"config":…}} sits beside
 * {@code event} (V3 has no place for it; receivers that read {@code event} are not disturbed).
 *
 * <p>V2: {@code {"messages":[{"id","event","created_on","incident","log_entries":[entry],"webhook"}]}},
 * one message per POST as PagerDuty did in practice.
 *
 * <p>The webhook id is a name-based UUID of the entry id: the same entry gives the same id on every
 * poll, in every agent, so a receiver can de-duplicate by {@code X-Webhook-Id}. Immutable, thread-safe.
 */
public final class WebhookBodies {
    /** PagerDuty's V2 generic webhook extension schema, named in every V2 body. */
    static final String V2_OUTBOUND_INTEGRATION = "PJFWPEP";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final boolean v2;
    private final JsonNode config;
    private final String destUrl;

    /** @param configJson a JSON object text, or null */
    public WebhookBodies(String format, String configJson, String destUrl) {
        this.v2 = "v2".equals(format);
        try {
            this.config = configJson == null ? null : JSON.readTree(configJson);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("config is not JSON", e);
        }
        this.destUrl = destUrl;
    }

    /** The webhook id of a log entry: stable across polls, restarts and agents. */
    public static String webhookId(String entryId) {
        return UUID.nameUUIDFromBytes(("pdaltagent-log-entry:" + entryId).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** The incident id of an entry, or null when it has none (then it is not an incident's entry). */
    public static String incidentId(JsonNode entry) {
        JsonNode id = entry.path("incident").path("id");
        return id.isTextual() && !id.asText().isBlank() ? id.asText() : null;
    }

    public byte[] body(JsonNode entry) {
        return bytes(tree(entry));
    }

    /** The body of an entry's webhook as a tree, for the webhook filters to see before it is written. */
    public ObjectNode tree(JsonNode entry) {
        return v2 ? v2(entry) : v3(entry);
    }

    /** A body tree as the bytes that are staged and posted. */
    public static byte[] bytes(ObjectNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of JSON values always writes", e);
        }
    }

    private ObjectNode v3(JsonNode entry) {
        String type = entry.path("type").asText();
        ObjectNode event = JSON.createObjectNode();
        event.put("id", webhookId(entry.path("id").asText()));
        event.put("event_type", LogEntryTypes.v3EventType(type));
        event.put("resource_type", "incident");
        event.set("occurred_at", entry.path("created_at").isMissingNode() ? NullNode.instance : entry.get("created_at"));
        event.set("agent", entry.hasNonNull("agent") ? entry.get("agent") : NullNode.instance);
        event.set("client", client(entry));
        event.set("data", v3Incident(entry));
        ObjectNode root = JSON.createObjectNode();
        root.set("event", event);
        if (config != null) {
            root.putObject("webhook").set("config", config);
        }
        return root;
    }

    private static ObjectNode v3Incident(JsonNode entry) {
        JsonNode inc = entry.path("incident");
        ObjectNode data = inc.isObject() ? ((ObjectNode) inc).deepCopy() : JSON.createObjectNode();
        boolean reference = !data.has("status") && "incident_reference".equals(data.path("type").asText());
        data.put("type", "incident");
        if (reference && data.has("summary") && !data.has("title")) {
            data.set("title", data.get("summary"));
        }
        if (!data.has("number") && data.has("incident_number")) {
            data.set("number", data.get("incident_number"));
        }
        if (!data.has("assignees") && data.path("assignments").isArray()) {
            ArrayNode assignees = data.putArray("assignees");
            for (JsonNode a : data.get("assignments")) {
                if (a.hasNonNull("assignee")) {
                    assignees.add(a.get("assignee"));
                }
            }
        }
        return data;
    }

    /** The client an event came through ({@code channel.client} of API triggers), or null. */
    private static JsonNode client(JsonNode entry) {
        JsonNode ch = entry.path("channel");
        if (!ch.path("client").isTextual()) {
            return NullNode.instance;
        }
        ObjectNode c = JSON.createObjectNode();
        c.put("name", ch.get("client").asText());
        if (ch.path("client_url").isTextual()) {
            c.put("url", ch.get("client_url").asText());
        }
        return c;
    }

    private ObjectNode v2(JsonNode entry) {
        String type = entry.path("type").asText();
        ObjectNode message = JSON.createObjectNode();
        message.put("id", webhookId(entry.path("id").asText()));
        message.put("event", LogEntryTypes.v2Event(type));
        message.set("created_on", entry.path("created_at").isMissingNode() ? NullNode.instance : entry.get("created_at"));
        JsonNode inc = entry.path("incident");
        ObjectNode incident = inc.isObject() ? ((ObjectNode) inc).deepCopy() : JSON.createObjectNode();
        JsonNode service = entry.path("service");
        if (service.isObject() && service.has("name")) {
            incident.set("service", service); // include[]=services: the full service, as V2 carried it
        }
        message.set("incident", incident);
        ObjectNode logEntry = ((ObjectNode) entry).deepCopy();
        if (inc.isObject()) {
            ObjectNode ref = logEntry.putObject("incident");
            ref.set("id", inc.path("id"));
            ref.put("type", "incident_reference");
            copy(inc, ref, "summary");
            copy(inc, ref, "self");
            copy(inc, ref, "html_url");
        }
        message.putArray("log_entries").add(logEntry);
        ObjectNode webhook = message.putObject("webhook");
        webhook.put("endpoint_url", destUrl);
        webhook.put("name", "pdaltagent");
        ObjectNode object = webhook.putObject("webhook_object");
        object.set("id", service.path("id").isTextual() ? service.get("id") : NullNode.instance);
        object.put("type", "service_reference");
        webhook.set("config", config == null ? JSON.createObjectNode() : config);
        ObjectNode outbound = webhook.putObject("outbound_integration");
        outbound.put("id", V2_OUTBOUND_INTEGRATION);
        outbound.put("type", "outbound_integration_reference");
        webhook.put("id", "pdaltagent");
        webhook.put("type", "webhook");
        ObjectNode root = JSON.createObjectNode();
        root.putArray("messages").add(message);
        return root;
    }

    private static void copy(JsonNode from, ObjectNode to, String field) {
        if (from.has(field)) {
            to.set(field, from.get(field));
        }
    }
}
