package io.pdaltagent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One request that {@link FakePagerDuty} received, with the answer it chose.
 *
 * <p>The routing key comes from {@code routing_key} (v2), {@code service_key} (v1), the path
 * ({@code /integration/{key}/enqueue}, {@code /x-ere/{key}}) or {@code CONTACTPAGER} (Nagios form);
 * the dedup key from {@code dedup_key} or {@code incident_key} as sent (null when the client sent
 * none; the fake then makes one up for its answer). {@code seq} is the integer (or integer string) at
 * {@code payload.custom_details.seq} (v2) or {@code details.seq} (v1), the field load tests use to
 * check ordering.
 *
 * <p>When the fake was built with {@code keepBodies(false)}, {@link #headers()} is empty and
 * {@link #body()} is null; every parsed field is still there.
 *
 * @param index      0-based arrival index across all requests since the last clear
 * @param receivedAt when the request's head arrived
 * @param method     HTTP method
 * @param path       request path, without the query
 * @param endpoint   which PagerDuty path it was
 * @param headers    request headers, names in lower case, in arrival order
 * @param body       the body bytes, or null when bodies are not kept
 * @param routingKey the routing / service / integration key, or null
 * @param dedupKey   {@code dedup_key} / {@code incident_key} as sent, or null
 * @param eventAction {@code event_action} (v2) or {@code event_type} (v1), or null
 * @param seq        {@code payload.custom_details.seq} / {@code details.seq}, or null
 * @param status     the status the fake chose; 0 when it dropped the connection or hung
 * @param accepted   true when the status was 2xx: the fake counted the event as taken by PagerDuty
 */
public record ReceivedEvent(
        long index,
        Instant receivedAt,
        String method,
        String path,
        EventEndpoint endpoint,
        Map<String, List<String>> headers,
        byte[] body,
        String routingKey,
        String dedupKey,
        String eventAction,
        Long seq,
        int status,
        boolean accepted) {

    /** The first value of a request header (name case-insensitive), or null. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The body as UTF-8 text. */
    public String bodyAsString() {
        return new String(requireBody(), StandardCharsets.UTF_8);
    }

    /** The body parsed as JSON. */
    public JsonNode json() {
        try {
            return PagerDutyBodies.MAPPER.readTree(requireBody());
        } catch (IOException e) {
            throw new UncheckedIOException("body of " + this + " is not JSON", e);
        }
    }

    /** The body parsed as an {@code application/x-www-form-urlencoded} form (the Nagios path). */
    public Map<String, String> form() {
        return parseForm(requireBody());
    }

    /** True when the fake closed the connection or never answered. */
    public boolean unanswered() {
        return status == 0;
    }

    ReceivedEvent withAnswer(long newIndex, int newStatus) {
        return new ReceivedEvent(newIndex, receivedAt, method, path, endpoint, headers, body, routingKey, dedupKey,
                eventAction, seq, newStatus, newStatus >= 200 && newStatus < 300);
    }

    static Map<String, String> parseForm(byte[] bytes) {
        Map<String, String> form = new LinkedHashMap<>();
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        for (String pair : text.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                form.putIfAbsent(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException badEscape) {
                form.putIfAbsent(name, value);
            }
        }
        return form;
    }

    private byte[] requireBody() {
        if (body == null) {
            throw new IllegalStateException("the fake was built with keepBodies(false): no body kept for " + this);
        }
        return body;
    }

    @Override
    public String toString() {
        return "ReceivedEvent[#" + index + " " + method + " " + path
                + (routingKey == null ? "" : " key=" + routingKey)
                + (dedupKey == null ? "" : " dedup=" + dedupKey)
                + (eventAction == null ? "" : " action=" + eventAction)
                + (seq == null ? "" : " seq=" + seq)
                + (body == null ? "" : " body=" + body.length + "B")
                + " status=" + (status == 0 ? "none" : status) + "]";
    }
}
