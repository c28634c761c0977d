package io.pdaltagent.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The checks the agent's ingest makes on an event, made before it leaves the command, with the
 * agent's (PagerDuty's) wording: so that a mistake is a usage error at once, and so that an event
 * written to the spool is one the agent will take. It checks only what PagerDuty rejects: required
 * fields, their types, the enumerations and the length limits; everything else passes.
 */
final class EventCheck {
    static final String V2_PATH = "/v2/enqueue";
    static final String CHANGE_PATH = "/v2/change/enqueue";
    static final String V1_PATH = "/generic/2010-04-15/create_event.json";

    static final int ROUTING_KEY_LENGTH = 32;
    static final int MAX_SUMMARY_LENGTH = 1024;
    static final int MAX_DEDUP_KEY_LENGTH = 255;

    private EventCheck() {
    }

    /** Every problem the agent would report for {@code event} on {@code path}; empty when it is fine. */
    static List<String> problems(String path, Map<String, Object> event) {
        List<String> errors = new ArrayList<>();
        switch (path) {
            case V2_PATH -> v2(event, errors);
            case CHANGE_PATH -> change(event, errors);
            case V1_PATH -> v1(event, errors);
            default -> {
                // path-keyed routes take any JSON object
            }
        }
        return errors;
    }

    private static void v2(Map<String, Object> e, List<String> errors) {
        routingKey(e, errors);
        String action = required(e, "event_action", "'event_action'", errors);
        if (action != null && !isAction(action)) {
            errors.add("'event_action' is invalid (must be one of: trigger acknowledge resolve)");
            action = null;
        }
        boolean hasKey = optionalKey(e, "dedup_key", "'dedup_key'", errors);
        if (action != null && !action.equals("trigger") && !hasKey) {
            errors.add("'dedup_key' is missing or blank");
        }
        if ("trigger".equals(action)) {
            Object payload = e.get("payload");
            if (payload == null) {
                errors.add("'payload.summary' is missing or blank");
                errors.add("'payload.source' is missing or blank");
                errors.add("'payload.severity' is missing or blank");
            } else if (!(payload instanceof Map<?, ?>)) {
                errors.add("'payload' must be an object");
            } else {
                @SuppressWarnings("unchecked")
                Map<String, Object> p = (Map<String, Object>) payload;
                summary(p, errors);
                required(p, "source", "'payload.source'", errors);
                String severity = required(p, "severity", "'payload.severity'", errors);
                if (severity != null && !isSeverity(severity)) {
                    errors.add("'payload.severity' is invalid (must be one of: critical error warning info)");
                }
            }
        }
    }

    private static void change(Map<String, Object> e, List<String> errors) {
        String key = routingKey(e, errors);
        if (key != null && key.startsWith("R")) {
            errors.add("'routing_key' is a ruleset key (starting with 'R'), which cannot take change events");
        }
        Object payload = e.get("payload");
        if (payload == null) {
            errors.add("'payload.summary' is missing or blank");
        } else if (!(payload instanceof Map<?, ?>)) {
            errors.add("'payload' must be an object");
        } else {
            @SuppressWarnings("unchecked")
            Map<String, Object> p = (Map<String, Object>) payload;
            summary(p, errors);
        }
    }

    private static void v1(Map<String, Object> e, List<String> errors) {
        String key = required(e, "service_key", "Service key", errors);
        if (key != null && length(key) != ROUTING_KEY_LENGTH) {
            errors.add("Service key is the wrong length (should be " + ROUTING_KEY_LENGTH + " characters)");
        }
        String type = e.get("event_type") instanceof String s ? s : null;
        if (type == null || !isAction(type)) {
            errors.add("event_type is invalid (must be one of: trigger acknowledge resolve)");
            type = null;
        }
        boolean hasKey = optionalKey(e, "incident_key", "Incident key", errors);
        if (type != null && !type.equals("trigger") && !hasKey) {
            errors.add("Incident key is missing or blank");
        }
        if ("trigger".equals(type)) {
            String d = required(e, "description", "Description", errors);
            if (d != null && length(d) > MAX_SUMMARY_LENGTH) {
                errors.add("Description is too long (maximum is " + MAX_SUMMARY_LENGTH + " characters)");
            }
        }
    }

    private static String routingKey(Map<String, Object> e, List<String> errors) {
        String key = required(e, "routing_key", "'routing_key'", errors);
        if (key != null && length(key) != ROUTING_KEY_LENGTH) {
            errors.add("Length of 'routing_key' is incorrect (should be " + ROUTING_KEY_LENGTH + " characters)");
        }
        return key;
    }

    private static void summary(Map<String, Object> p, List<String> errors) {
        String s = required(p, "summary", "'payload.summary'", errors);
        if (s != null && length(s) > MAX_SUMMARY_LENGTH) {
            errors.add("'payload.summary' is too long (maximum is " + MAX_SUMMARY_LENGTH + " characters)");
        }
    }

    private static String required(Map<String, Object> parent, String field, String label, List<String> errors) {
        Object v = parent.get(field);
        if (v == null) {
            errors.add(label + " is missing or blank");
            return null;
        }
        if (!(v instanceof String s)) {
            errors.add(label + " must be a string");
            return null;
        }
        if (s.isBlank()) {
            errors.add(label + " is missing or blank");
            return null;
        }
        return s;
    }

    /** True when a usable key is there; false when absent or blank (or bad: the error is listed). */
    private static boolean optionalKey(Map<String, Object> parent, String field, String label, List<String> errors) {
        Object v = parent.get(field);
        if (v == null || (v instanceof String s && s.isBlank())) {
            return false;
        }
        if (!(v instanceof String s)) {
            errors.add(label + " must be a string");
            return true;
        }
        if (length(s) > MAX_DEDUP_KEY_LENGTH) {
            errors.add(label + " is too long (maximum is " + MAX_DEDUP_KEY_LENGTH + " characters)");
        }
        return true;
    }

    static boolean isAction(String s) {
        return s.equals("trigger") || s.equals("acknowledge") || s.equals("resolve");
    }

    static boolean isSeverity(String s) {
        return s.equals("critical") || s.equals("error") || s.equals("warning") || s.equals("info");
    }

    /** Length in characters (code points), as the agent counts them. */
    static int length(String s) {
        return s.codePointCount(0, s.length());
    }
}
