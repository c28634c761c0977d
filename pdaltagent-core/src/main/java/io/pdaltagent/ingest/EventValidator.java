package io.pdaltagent.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Checks a JSON event the way PagerDuty checks it, and finds its ordering key and dedup key. It
 * rejects only what PagerDuty is documented to reject (required fields, their JSON types, the
 * enumerations and the length limits): unknown fields, custom details of any type, links, images
 * and timestamps pass untouched, because an event refused here is an event lost, while one that
 * PagerDuty refuses later is kept as dead with PagerDuty's reason.
 *
 * <p>A trigger without a dedup key (v2) or incident key (v1) gets one, so that a retried delivery
 * cannot open a second incident; the event's tree is then changed in place and handed back for
 * re-serialisation. Stateless apart from the key supplier; thread-safe.
 */
final class EventValidator {
    static final int ROUTING_KEY_LENGTH = 32;
    static final int MAX_SUMMARY_LENGTH = 1024;
    static final int MAX_DEDUP_KEY_LENGTH = 255;

    private static final Set<String> ACTIONS = Set.of("trigger", "acknowledge", "resolve");
    private static final Set<String> SEVERITIES = Set.of("critical", "error", "warning", "info");
    private static final String TRIGGER = "trigger";

    /** The outcome of a check. */
    sealed interface Verdict {
    }

    /**
     * @param errors every problem found, in PagerDuty's wording where it is known
     * @param keyForLog the routing key if one was read (for a masked log line), or null
     */
    record Invalid(List<String> errors, String keyForLog) implements Verdict {
    }

    /**
     * @param orderingKey the queue's ordering key for the event
     * @param dedupKey the event's dedup / incident key (given or assigned), or null
     * @param changed true when a key was added to the tree, which must then be re-serialised
     */
    record Valid(String orderingKey, String dedupKey, boolean changed) implements Verdict {
    }

    private final Supplier<String> newKey;

    /** Assigns random UUIDs as dedup keys. */
    EventValidator() {
        this(() -> UUID.randomUUID().toString());
    }

    EventValidator(Supplier<String> newKey) {
        this.newKey = newKey;
    }

    /**
     * Checks {@code event} for {@code route}; may add a key to {@code event}.
     *
     * @param pathKey the key from the path for the path-keyed routes, else ignored
     */
    Verdict check(Route route, String pathKey, ObjectNode event) {
        return switch (route) {
            case V2_ENQUEUE -> checkV2(event);
            case V2_CHANGE -> checkChange(event);
            case V1_GENERIC -> checkV1(event);
            case INTEGRATION, X_ERE -> checkPathKeyed(pathKey, event);
            case NAGIOS -> throw new IllegalArgumentException("the Nagios route has no JSON body");
        };
    }

    private Verdict checkV2(ObjectNode event) {
        List<String> errors = new ArrayList<>();
        String routingKey = routingKey(event, errors);
        String action = requiredString(event, "event_action", "'event_action'", errors);
        if (action != null && !ACTIONS.contains(action)) {
            errors.add("'event_action' is invalid (must be one of: trigger acknowledge resolve)");
            action = null;
        }
        Key dedup = optionalKey(event, "dedup_key", "'dedup_key'", errors);
        if (action != null && !action.equals(TRIGGER) && dedup == Key.ABSENT) {
            errors.add("'dedup_key' is missing or blank");
        }
        if (TRIGGER.equals(action)) {
            checkV2Payload(event.get("payload"), errors);
        }
        if (!errors.isEmpty()) {
            return new Invalid(errors, routingKey);
        }
        if (dedup == Key.ABSENT) {
            String assigned = newKey.get();
            event.put("dedup_key", assigned);
            return new Valid(routingKey, assigned, true);
        }
        return new Valid(routingKey, event.get("dedup_key").textValue(), false);
    }

    private static void checkV2Payload(JsonNode payload, List<String> errors) {
        if (isAbsent(payload)) {
            errors.add("'payload.summary' is missing or blank");
            errors.add("'payload.source' is missing or blank");
            errors.add("'payload.severity' is missing or blank");
            return;
        }
        if (!payload.isObject()) {
            errors.add("'payload' must be an object");
            return;
        }
        summary(payload, errors);
        requiredString(payload, "source", "'payload.source'", errors);
        String severity = requiredString(payload, "severity", "'payload.severity'", errors);
        if (severity != null && !SEVERITIES.contains(severity)) {
            errors.add("'payload.severity' is invalid (must be one of: critical error warning info)");
        }
    }

    private static Verdict checkChange(ObjectNode event) {
        List<String> errors = new ArrayList<>();
        String routingKey = routingKey(event, errors);
        if (routingKey != null && routingKey.startsWith("R")) {
            errors.add("'routing_key' is a ruleset key (starting with 'R'), which cannot take change events");
        }
        JsonNode payload = event.get("payload");
        if (isAbsent(payload)) {
            errors.add("'payload.summary' is missing or blank");
        } else if (!payload.isObject()) {
            errors.add("'payload' must be an object");
        } else {
            summary(payload, errors);
        }
        return errors.isEmpty() ? new Valid(routingKey, null, false) : new Invalid(errors, routingKey);
    }

    private Verdict checkV1(ObjectNode event) {
        List<String> errors = new ArrayList<>();
        String serviceKey = requiredString(event, "service_key", "Service key", errors);
        if (serviceKey != null && length(serviceKey) != ROUTING_KEY_LENGTH) {
            errors.add("Service key is the wrong length (should be " + ROUTING_KEY_LENGTH + " characters)");
        }
        // Alertmanager's v1 bodies also carry "event_action":"" and "payload":null: v1 ignores both
        JsonNode typeNode = event.get("event_type");
        String type = typeNode != null && typeNode.isTextual() ? typeNode.textValue() : null;
        if (type == null || !ACTIONS.contains(type)) {
            errors.add("event_type is invalid (must be one of: trigger acknowledge resolve)");
            type = null;
        }
        Key incident = optionalKey(event, "incident_key", "Incident key", errors);
        if (type != null && !type.equals(TRIGGER) && incident == Key.ABSENT) {
            errors.add("Incident key is missing or blank");
        }
        if (TRIGGER.equals(type)) {
            String description = requiredString(event, "description", "Description", errors);
            if (description != null && length(description) > MAX_SUMMARY_LENGTH) {
                errors.add("Description is too long (maximum is " + MAX_SUMMARY_LENGTH + " characters)");
            }
        }
        if (!errors.isEmpty()) {
            return new Invalid(errors, serviceKey);
        }
        if (incident == Key.ABSENT) {
            String assigned = newKey.get();
            event.put("incident_key", assigned);
            return new Valid(serviceKey, assigned, true);
        }
        return new Valid(serviceKey, event.get("incident_key").textValue(), false);
    }

    /**
     * Any JSON object goes; the path gives the ordering key. A body shaped like a v2 or v1 trigger
     * without its key gets one, as on the typed paths.
     */
    private Verdict checkPathKeyed(String pathKey, ObjectNode event) {
        String problem = Route.pathKeyProblem(pathKey == null ? "" : pathKey);
        if (problem != null) {
            return new Invalid(List.of(problem), null);
        }
        boolean changed = false;
        if (isText(event.get("event_action"), TRIGGER) && isBlankOrAbsent(event.get("dedup_key"))) {
            event.put("dedup_key", newKey.get());
            changed = true;
        }
        if (isText(event.get("event_type"), TRIGGER) && isBlankOrAbsent(event.get("incident_key"))) {
            event.put("incident_key", newKey.get());
            changed = true;
        }
        String dedupKey = nonBlankText(event.get("dedup_key"));
        if (dedupKey == null) {
            dedupKey = nonBlankText(event.get("incident_key"));
        }
        return new Valid(pathKey, dedupKey, changed);
    }

    // ---- field helpers ---------------------------------------------------------------------

    /** Reads and checks {@code routing_key}; returns it when it is a non-blank string. */
    private static String routingKey(ObjectNode event, List<String> errors) {
        String key = requiredString(event, "routing_key", "'routing_key'", errors);
        if (key != null && length(key) != ROUTING_KEY_LENGTH) {
            errors.add("Length of 'routing_key' is incorrect (should be " + ROUTING_KEY_LENGTH + " characters)");
        }
        return key;
    }

    private static void summary(JsonNode payload, List<String> errors) {
        String summary = requiredString(payload, "summary", "'payload.summary'", errors);
        if (summary != null && length(summary) > MAX_SUMMARY_LENGTH) {
            errors.add("'payload.summary' is too long (maximum is " + MAX_SUMMARY_LENGTH + " characters)");
        }
    }

    /**
     * A required string field: adds "{label} is missing or blank" when absent, null or blank, and
     * "{label} must be a string" when of another JSON type. Returns the value only when it is fine.
     */
    private static String requiredString(JsonNode parent, String field, String label, List<String> errors) {
        JsonNode n = parent.get(field);
        if (isAbsent(n)) {
            errors.add(label + " is missing or blank");
            return null;
        }
        if (!n.isTextual()) {
            errors.add(label + " must be a string");
            return null;
        }
        if (n.textValue().isBlank()) {
            errors.add(label + " is missing or blank");
            return null;
        }
        return n.textValue();
    }

    /** What an optional key field holds. */
    private enum Key {
        /** Absent, null or blank: to be assigned on a trigger, an error otherwise. */
        ABSENT,
        /** A usable string. */
        PRESENT,
        /** Wrong type or too long (the error is already listed). */
        BAD
    }

    private static Key optionalKey(JsonNode parent, String field, String label, List<String> errors) {
        JsonNode n = parent.get(field);
        if (isBlankOrAbsent(n)) {
            return Key.ABSENT;
        }
        if (!n.isTextual()) {
            errors.add(label + " must be a string");
            return Key.BAD;
        }
        if (length(n.textValue()) > MAX_DEDUP_KEY_LENGTH) {
            errors.add(label + " is too long (maximum is " + MAX_DEDUP_KEY_LENGTH + " characters)");
            return Key.BAD;
        }
        return Key.PRESENT;
    }

    private static boolean isAbsent(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode();
    }

    private static boolean isBlankOrAbsent(JsonNode n) {
        return isAbsent(n) || (n.isTextual() && n.textValue().isBlank());
    }

    private static boolean isText(JsonNode n, String value) {
        return n != null && n.isTextual() && value.equals(n.textValue());
    }

    private static String nonBlankText(JsonNode n) {
        return n != null && n.isTextual() && !n.textValue().isBlank() ? n.textValue() : null;
    }

    /** Length in characters (code points), as a person counts them. */
    static int length(String s) {
        return s.codePointCount(0, s.length());
    }
}
