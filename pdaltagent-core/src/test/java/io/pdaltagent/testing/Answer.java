package io.pdaltagent.testing;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link FakePagerDuty} does with one request: answer it (a status, headers, a body), close the
 * connection without answering, or never answer. Immutable; every modifier returns a copy, so
 * {@code Answer.status(429).header("Retry-After", "2")} reads as one value.
 *
 * <p>Anything left unset takes PagerDuty's shape for the path and status: {@code Answer.status(202)}
 * on {@code /v2/enqueue} answers {@code {"status":"success","message":"Event processed",
 * "dedup_key":...}}, {@code Answer.status(500)} answers a JSON error body. A delay set with
 * {@link #after(Duration)} replaces the fake's default latency for this one answer.
 *
 * <pre>{@code
 * fake.enqueue(Answer.status(500), Answer.status(429).header("Retry-After", "2"));
 * fake.enqueueFor(key, Answer.invalidEvent("Invalid routing key"));
 * fake.enqueue(Answer.dropConnection(), Answer.hang(), Answer.delay(Duration.ofSeconds(2)));
 * }</pre>
 */
public final class Answer {

    /** What the fake does with the connection. */
    enum Kind {
        RESPOND, DROP, HANG
    }

    /** Status used when the answer leaves the status to the path: PagerDuty's success for it. */
    static final int PATH_SUCCESS = -1;

    private final Kind kind;
    private final int status;
    private final String body;
    private final Map<String, String> headers;
    private final Duration delay;

    private Answer(Kind kind, int status, String body, Map<String, String> headers, Duration delay) {
        this.kind = kind;
        this.status = status;
        this.body = body;
        this.headers = headers;
        this.delay = delay;
    }

    /** PagerDuty's success answer for the path: 202 on the v2 paths, 200 on the v1 paths. */
    public static Answer success() {
        return new Answer(Kind.RESPOND, PATH_SUCCESS, null, Map.of(), null);
    }

    /** An answer with this status and PagerDuty's body shape for it (a JSON body in every case). */
    public static Answer status(int status) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("HTTP status out of range: " + status);
        }
        return new Answer(Kind.RESPOND, status, null, Map.of(), null);
    }

    /**
     * PagerDuty's 400 for an event it rejects:
     * {@code {"status":"invalid event","message":"Event object is invalid","errors":[...]}}.
     */
    public static Answer invalidEvent(String... errors) {
        StringBuilder json = new StringBuilder("{\"status\":\"invalid event\",\"message\":\"Event object is invalid\",\"errors\":[");
        for (int i = 0; i < errors.length; i++) {
            json.append(i == 0 ? "" : ",").append(PagerDutyBodies.quote(errors[i]));
        }
        return status(400).body(json.append("]}").toString());
    }

    /** The success answer, sent after {@code delay} instead of the default latency. */
    public static Answer delay(Duration delay) {
        return success().after(delay);
    }

    /** Closes the connection without sending a byte of an answer: a network failure to the client. */
    public static Answer dropConnection() {
        return new Answer(Kind.DROP, 0, null, Map.of(), null);
    }

    /**
     * Never answers: the client sees a timeout. The connection is closed when the fake stops, or
     * when the fake's idle timeout passes without the client giving up first.
     */
    public static Answer hang() {
        return new Answer(Kind.HANG, 0, null, Map.of(), null);
    }

    /** A copy that also sends this header (replacing an earlier value of the same name). */
    public Answer header(String name, String value) {
        requireRespond("header");
        Map<String, String> copy = new LinkedHashMap<>(headers);
        copy.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return new Answer(kind, status, body, Map.copyOf(copy), delay);
    }

    /** A copy with this body (sent as {@code application/json} unless a Content-Type header is set). */
    public Answer body(String body) {
        requireRespond("body");
        return new Answer(kind, status, Objects.requireNonNull(body, "body"), headers, delay);
    }

    /**
     * A copy carried out after {@code delay} instead of the fake's default latency. Applies to
     * {@link #dropConnection()} too (the connection dies after the delay).
     */
    public Answer after(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("negative delay: " + delay);
        }
        return new Answer(kind, status, body, headers, delay);
    }

    Kind kind() {
        return kind;
    }

    /** The status, or {@link #PATH_SUCCESS}; 0 for answers that send nothing. */
    int status() {
        return status;
    }

    /** The body, or null to use PagerDuty's shape for the path and status. */
    String body() {
        return body;
    }

    Map<String, String> headers() {
        return headers;
    }

    /** The answer's own delay, or null to use the fake's default latency. */
    Duration delay() {
        return delay;
    }

    private void requireRespond(String what) {
        if (kind != Kind.RESPOND) {
            throw new IllegalStateException("a " + kind + " answer sends no " + what);
        }
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Answer[");
        switch (kind) {
            case DROP -> s.append("dropConnection");
            case HANG -> s.append("hang");
            case RESPOND -> s.append(status == PATH_SUCCESS ? "success" : String.valueOf(status));
        }
        if (!headers.isEmpty()) {
            s.append(' ').append(headers);
        }
        if (body != null) {
            s.append(" body=").append(body.length() > 60 ? body.substring(0, 60) + "..." : body);
        }
        if (delay != null) {
            s.append(" after ").append(delay.toMillis()).append("ms");
        }
        return s.append(']').toString();
    }
}
