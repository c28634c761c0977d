package io.pdaltagent.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The JSON bodies ingest answers with, in PagerDuty's shapes: {@code status}, {@code message}, and
 * either the event's key (success) or an {@code errors} list (failure). Every answer has a body,
 * because some clients (pdjs) parse every reply as JSON.
 */
final class Answers {
    static final String MEDIA_TYPE = "application/json";

    /** Seconds a throttled client should wait; PagerDuty's own advice is "a few seconds to minutes". */
    static final int QUEUE_FULL_RETRY_AFTER_SECONDS = 30;

    /** Seconds a client should wait while the store is down: short, the store may be back soon. */
    static final int UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

    /** A status code with its JSON body, plus an optional {@code Retry-After} (0: none). */
    record Answer(int status, byte[] body, int retryAfterSeconds) {
        Answer(int status, byte[] body) {
            this(status, body, 0);
        }
    }

    private Answers() {
    }

    /** The success answer of a route; {@code key} is the dedup / incident key, or null. */
    static Answer success(Route route, String key) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("status", "success");
        o.put("message", route == Route.V2_CHANGE ? "Change event processed" : "Event processed");
        switch (route) {
            case V2_ENQUEUE -> o.put("dedup_key", key);
            case V1_GENERIC -> o.put("incident_key", key);
            case INTEGRATION, X_ERE -> {
                if (key != null) {
                    o.put("dedup_key", key);
                }
            }
            case V2_CHANGE, NAGIOS -> {
            }
        }
        return new Answer(route.successStatus(), write(o));
    }

    /** 400 for an event PagerDuty would reject, with every problem found. */
    static Answer invalid(List<String> errors) {
        return new Answer(400, errorBody("invalid event", "Event object is invalid", errors));
    }

    /** 400 for a body that is no JSON object (or no form), in the OAS example's shape. */
    static Answer unrecognized(String error) {
        return new Answer(400, errorBody("Unrecognized object", "Event object format is unrecognized", List.of(error)));
    }

    /** 413 in the invalid-event shape, naming the limit. */
    static Answer tooLarge(int maxBodyBytes) {
        return new Answer(413, errorBody("invalid event", "Event object is invalid",
                List.of("Request body is larger than the limit of " + maxBodyBytes + " bytes")));
    }

    /** 405 for a known ingest path asked with another method than POST. */
    static Answer methodNotAllowed(String method) {
        return new Answer(405, errorBody("method not allowed", "Only POST is supported on this path",
                List.of("Method " + printable(method) + " is not allowed")));
    }

    /** 415 for a Nagios request that is not form-encoded. */
    static Answer unsupportedMediaType() {
        return new Answer(415, errorBody("unsupported media type", "Event object format is unrecognized",
                List.of("Content-Type must be application/x-www-form-urlencoded")));
    }

    /** 415 for a compressed (or otherwise encoded) body: events are taken as they are sent to PagerDuty. */
    static Answer unsupportedEncoding(String encoding) {
        return new Answer(415, errorBody("unsupported media type", "Event object format is unrecognized",
                List.of("Content-Encoding " + printable(encoding) + " is not supported; send the body uncompressed")));
    }

    /** 429 or 403 (per route) with {@code Retry-After}: the queue holds its maximum. */
    static Answer queueFull(Route route, String detail) {
        return new Answer(route.throttleStatus(), errorBody("throttle event", "Queue full, retry later",
                List.of(detail)), QUEUE_FULL_RETRY_AFTER_SECONDS);
    }

    /** 503 with {@code Retry-After}: the store cannot take the event now. */
    static Answer unavailable(String detail) {
        return new Answer(503, errorBody("unavailable", "Event could not be stored, retry later",
                List.of(detail)), UNAVAILABLE_RETRY_AFTER_SECONDS);
    }

    /** 403: this relay does not take events from that address, or for that routing key. */
    static Answer forbidden(String error) {
        return new Answer(403, errorBody("forbidden", "Event refused by this relay", List.of(error)));
    }

    /** 500: a bug in the agent; the client may retry. */
    static Answer internalError() {
        return new Answer(500, errorBody("internal error", "Event could not be processed, retry later",
                List.of("Internal error in the agent")));
    }

    private static byte[] errorBody(String status, String message, List<String> errors) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("status", status);
        o.put("message", message);
        ArrayNode a = o.putArray("errors");
        errors.forEach(a::add);
        return write(o);
    }

    /** A method name as sent is echoed only when it is a plain token (it comes from the client). */
    /** A method or encoding name echoed only when it is a plain token (never arbitrary client text). */
    private static String printable(String token) {
        return token != null && token.matches("[A-Za-z][A-Za-z0-9-]{0,39}") ? token : "(unprintable)";
    }

    private static byte[] write(ObjectNode o) {
        try {
            return Json.MAPPER.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            // cannot happen for a tree of strings; keep a valid JSON answer all the same
            return "{\"status\":\"internal error\",\"message\":\"Internal error\",\"errors\":[]}"
                    .getBytes(StandardCharsets.US_ASCII);
        }
    }
}
