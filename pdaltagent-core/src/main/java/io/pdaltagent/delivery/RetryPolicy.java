package io.pdaltagent.delivery;

import io.pdaltagent.queue.Destination;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Decides what an attempt's result means, per destination kind: the Events API's rules for
 * {@link Destination#EVENTS}, PagerDuty's own webhook delivery rules for {@link Destination#WEBHOOK}.
 * Each rule is a guard clause with the reason for it. Stateless and thread-safe.
 */
public final class RetryPolicy {
    /** A Retry-After longer than this is not believed: wait this long and ask again. */
    static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

    /** What to do with an item after an attempt. */
    public sealed interface Outcome {
        /** Delivered: the destination took it. */
        record Delivered(int status) implements Outcome {
        }

        /**
         * Try again later.
         *
         * @param after the wait the destination asked for, or null to use the backoff
         * @param throttled the destination asked us to slow down (as opposed to failing)
         */
        record Retry(int status, String error, Duration after, boolean throttled) implements Outcome {
        }

        /** Never deliverable as it is: the destination rejected it. */
        record Rejected(int status, String reason) implements Outcome {
        }
    }

    public Outcome classify(Destination destination, HttpResult r, Instant now) {
        return switch (destination.kind()) {
            case Destination.WEBHOOK -> classifyWebhook(r, now);
            default -> classifyEvent(destination, r, now);
        };
    }

    /**
     * A webhook's receiver is not PagerDuty: PagerDuty's own webhook rules apply (retry timeouts, 5xx,
     * 429 and connection failures; drop other 4xx), so a 403 is a refusal, never a throttle.
     */
    private Outcome classifyWebhook(HttpResult r, Instant now) {
        int s = r.status();
        // 2xx: the receiver took it
        if (s >= 200 && s < 300) {
            return new Outcome.Delivered(s);
        }
        // 429: the receiver asks us to slow down
        if (s == 429) {
            return new Outcome.Retry(s, describe(r), retryAfter(r.retryAfter(), now), true);
        }
        // 408 and 5xx: the receiver (or a proxy) failed; the webhook may be fine
        if (s == 408 || s >= 500) {
            return new Outcome.Retry(s, describe(r), retryAfter(r.retryAfter(), now), false);
        }
        // 1xx/3xx: not an answer of a webhook receiver (a redirect is not followed); keep it
        if (s < 400) {
            return new Outcome.Retry(s, describe(r), null, false);
        }
        // any other 4xx (403 for a bad signature among them): sending it again cannot help
        return new Outcome.Rejected(s, describe(r));
    }

    private Outcome classifyEvent(Destination destination, HttpResult r, Instant now) {
        int s = r.status();
        // 2xx: accepted (202 on v2, 200 on v1)
        if (s >= 200 && s < 300) {
            return new Outcome.Delivered(s);
        }
        // 429: Events API v2 rate limit; the event was not taken; wait as long as we are told
        if (s == 429) {
            return new Outcome.Retry(s, describe(r), retryAfter(r.retryAfter(), now), true);
        }
        // 403 on Events API v1 paths means "throttled" (v1 has no 429); PagerDuty Agent treats it so
        if (s == 403 && isV1(destination)) {
            return new Outcome.Retry(s, describe(r), retryAfter(r.retryAfter(), now), true);
        }
        // 408 and 5xx: the server or something in between failed; the event may be fine
        if (s == 408 || s >= 500) {
            return new Outcome.Retry(s, describe(r), retryAfter(r.retryAfter(), now), false);
        }
        // 1xx/3xx: not an answer from the events API (a proxy or a wrong base URL); keep the event
        if (s < 400) {
            return new Outcome.Retry(s, describe(r), null, false);
        }
        // any other 4xx: PagerDuty rejected the event itself; sending it again cannot help
        return new Outcome.Rejected(s, describe(r));
    }

    /** No HTTP answer at all: connection refused or reset, DNS failure, timeout. Always retried. */
    public Outcome classify(IOException e) {
        String what = e instanceof HttpTimeoutException ? "timed out" : e.getClass().getSimpleName();
        String msg = e.getMessage() == null || e instanceof HttpTimeoutException ? "" : ": " + e.getMessage();
        return new Outcome.Retry(0, what + msg, null, false);
    }

    private static boolean isV1(Destination d) {
        return Destination.EVENTS.equals(d.kind())
                && (d.target().startsWith("/generic/") || d.target().startsWith("/nagios/"));
    }

    private static String describe(HttpResult r) {
        String body = r.body() == null ? "" : r.body().strip();
        return body.isEmpty() ? "HTTP " + r.status() : "HTTP " + r.status() + ": " + body;
    }

    /** Seconds or an HTTP date, as RFC 9110 allows; null when absent or unreadable. */
    static Duration retryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.trim();
        Duration d;
        try {
            d = Duration.ofSeconds(Long.parseLong(h));
        } catch (NumberFormatException notSeconds) {
            try {
                d = Duration.between(now, ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
        if (d.isNegative()) {
            return Duration.ZERO;
        }
        return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
    }
}
