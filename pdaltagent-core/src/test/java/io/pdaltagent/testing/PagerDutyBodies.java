package io.pdaltagent.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import java.util.UUID;
import org.eclipse.jetty.http.HttpStatus;

/**
 * Request parsing and PagerDuty's answer bodies for {@link FakePagerDuty}. Shapes follow
 * {@code docs/pagerduty-api.md}; the 403/429/5xx bodies are made up in PagerDuty's error shape
 * (their wording is UNCONFIRMED there), but every answer is JSON, as pdjs needs.
 */
final class PagerDutyBodies {
    static final ObjectMapper MAPPER = new ObjectMapper();

    static final String UNPARSEABLE = "{\"status\":\"Unrecognized object\",\"message\":\"Event object format is unrecognized\","
            + "\"errors\":[\"JSON parse error\"]}";

    private PagerDutyBodies() {
    }

    /** What the fake reads out of a request body. */
    record Parsed(String routingKey, String dedupKey, String eventAction, Long seq, boolean json) {
        static final Parsed NOTHING = new Parsed(null, null, null, null, false);
    }

    static Parsed parse(EventEndpoint endpoint, String path, byte[] body) {
        String pathKey = endpoint.keyInPath(path);
        if (endpoint == EventEndpoint.NAGIOS) {
            Map<String, String> form = ReceivedEvent.parseForm(body);
            return new Parsed(form.get("CONTACTPAGER"), null, form.get("NOTIFICATIONTYPE"), null, false);
        }
        JsonNode root = null;
        if (body.length > 0) {
            try {
                root = MAPPER.readTree(body);
            } catch (IOException notJson) {
                root = null;
            }
        }
        if (root == null || !root.isObject()) {
            return new Parsed(pathKey, null, null, null, root != null);
        }
        String key = pathKey != null ? pathKey : firstText(root, "routing_key", "service_key");
        String dedup = firstText(root, "dedup_key", "incident_key");
        String action = firstText(root, "event_action", "event_type");
        Long seq = integer(root.path("payload").path("custom_details").path("seq"));
        if (seq == null) {
            seq = integer(root.path("details").path("seq"));
        }
        return new Parsed(key, dedup, action, seq, true);
    }

    /** PagerDuty's success body for the endpoint; {@code dedupKey} null makes one up as PagerDuty does. */
    static String success(EventEndpoint endpoint, String dedupKey) {
        String key = dedupKey != null ? dedupKey : UUID.randomUUID().toString().replace("-", "");
        return switch (endpoint) {
            case CHANGE_EVENTS -> "{\"status\":\"success\",\"message\":\"Change event processed\"}";
            case EVENTS_V1, NAGIOS -> "{\"status\":\"success\",\"message\":\"Event processed\",\"incident_key\":" + quote(key) + "}";
            default -> "{\"status\":\"success\",\"message\":\"Event processed\",\"dedup_key\":" + quote(key) + "}";
        };
    }

    /** PagerDuty-shaped JSON body for a non-2xx status. */
    static String error(int status, String path) {
        return switch (status) {
            case 400 -> "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\",\"errors\":[\"Event object is invalid\"]}";
            case 403, 429 -> "{\"status\":\"throttle event\",\"message\":\"Requests for this service are arriving too quickly."
                    + " Please retry later.\",\"errors\":[\"Too many requests\"]}";
            case 404 -> "{\"status\":\"Not Found\",\"message\":\"Not Found\",\"errors\":[" + quote(path + " is not a PagerDuty events path") + "]}";
            default -> {
                String reason = HttpStatus.getMessage(status);
                yield "{\"status\":\"error\",\"message\":" + quote(reason) + ",\"errors\":[" + quote(reason) + "]}";
            }
        };
    }

    static String quote(String s) {
        try {
            return MAPPER.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String firstText(JsonNode root, String... names) {
        for (String name : names) {
            JsonNode n = root.get(name);
            if (n != null && n.isTextual() && !n.asText().isEmpty()) {
                return n.asText();
            }
        }
        return null;
    }

    private static Long integer(JsonNode n) {
        if (n.isIntegralNumber() && n.canConvertToLong()) {
            return n.longValue();
        }
        if (n.isTextual()) {
            try {
                return Long.parseLong(n.asText().trim());
            } catch (NumberFormatException notAnInteger) {
                return null;
            }
        }
        return null;
    }
}
