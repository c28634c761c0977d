package io.pdaltagent.config;

import java.net.URI;
import java.time.Duration;

/**
 * The delivery section: where events go ({@code PDAGENTD_EVENTS_BASE_URL}), how many at once, the
 * timeout, the backoff, the maximum age, the stop's grace and the per-key pacing under PagerDuty's
 * rate limit ({@code PDAGENTD_KEY_RATE_PER_MINUTE}, {@code PDAGENTD_KEY_BURST},
 * {@code PDAGENTD_KEY_RATE_WINDOW_SECONDS}). The proxy is {@link OutboundSettings}'.
 */
final class DeliverySettings {
    static final String DEFAULT_EVENTS_BASE_URL = "https://events.pagerduty.com";
    /** Enough to keep 5,000 events/s moving against a 50 ms answer time, with room to spare. */
    static final int DEFAULT_DELIVERY_CONCURRENCY = 512;
    private static final int MAX_DELIVERY_CONCURRENCY = 100_000;
    static final long DEFAULT_DELIVERY_TIMEOUT_SECONDS = 30;
    static final long DEFAULT_RETRY_BASE_MILLIS = 1_000;
    /** PagerDuty asks for minutes of backoff under throttling; five is the ceiling. */
    static final long DEFAULT_RETRY_MAX_MILLIS = 300_000;
    private static final long MAX_RETRY_BASE_MILLIS = 3_600_000;
    private static final long MAX_RETRY_MAX_MILLIS = 86_400_000;
    static final long DEFAULT_MAX_EVENT_AGE_SECONDS = 7 * 24 * 3600;
    static final long DEFAULT_SHUTDOWN_GRACE_SECONDS = 10;
    /** PagerDuty's documented Events API v2 limit: about 120 calls per minute per integration key. */
    static final int DEFAULT_KEY_RATE_PER_MINUTE = 120;
    /**
     * Sends a quiet key may make at once. PagerDuty counts over a trailing minute, so a burst adds
     * to the minute's count: kept small so that a backlog meets few 429s.
     */
    static final int DEFAULT_KEY_BURST = 10;
    /** An AIOps account can ask for 10,000 events/min per key; a hundred times that is a mistake. */
    private static final int MAX_KEY_RATE_PER_MINUTE = 1_000_000;
    private static final int MAX_KEY_BURST = 100_000;
    /** PagerDuty counts a key's events over a trailing 60 seconds. */
    static final long DEFAULT_KEY_RATE_WINDOW_SECONDS = 60;
    private static final long MAX_KEY_RATE_WINDOW_SECONDS = 3600;

    private DeliverySettings() {
    }

    static AgentConfig.DeliveryConfig read(ConfigReader r) {
        URI events = r.url("PDAGENTD_EVENTS_BASE_URL", DEFAULT_EVENTS_BASE_URL);
        int concurrency = (int) r.number("PDAGENTD_DELIVERY_CONCURRENCY", DEFAULT_DELIVERY_CONCURRENCY, 1,
                MAX_DELIVERY_CONCURRENCY);
        Duration timeout = r.seconds("PDAGENTD_DELIVERY_TIMEOUT_SECONDS", DEFAULT_DELIVERY_TIMEOUT_SECONDS, 1);
        Duration retryBase = r.millis("PDAGENTD_RETRY_BASE_MILLIS", DEFAULT_RETRY_BASE_MILLIS, 1, MAX_RETRY_BASE_MILLIS);
        Duration retryMax = r.millis("PDAGENTD_RETRY_MAX_MILLIS", DEFAULT_RETRY_MAX_MILLIS, 1, MAX_RETRY_MAX_MILLIS);
        if (retryMax.compareTo(retryBase) < 0) {
            throw r.bad("PDAGENTD_RETRY_MAX_MILLIS", "must be at least PDAGENTD_RETRY_BASE_MILLIS (" + retryBase.toMillis() + ")");
        }
        Duration maxAge = r.seconds("PDAGENTD_MAX_EVENT_AGE_SECONDS", DEFAULT_MAX_EVENT_AGE_SECONDS, 1);
        Duration grace = r.seconds("PDAGENTD_SHUTDOWN_GRACE_SECONDS", DEFAULT_SHUTDOWN_GRACE_SECONDS, 0);
        return new AgentConfig.DeliveryConfig(events, concurrency, timeout, retryBase, retryMax, maxAge, grace, pacing(r));
    }

    private static AgentConfig.PacingConfig pacing(ConfigReader r) {
        int rate = (int) r.number("PDAGENTD_KEY_RATE_PER_MINUTE", DEFAULT_KEY_RATE_PER_MINUTE, 0, MAX_KEY_RATE_PER_MINUTE);
        int burst = (int) r.number("PDAGENTD_KEY_BURST", DEFAULT_KEY_BURST, 1, MAX_KEY_BURST);
        long window = r.number("PDAGENTD_KEY_RATE_WINDOW_SECONDS", DEFAULT_KEY_RATE_WINDOW_SECONDS, 1,
                MAX_KEY_RATE_WINDOW_SECONDS);
        return new AgentConfig.PacingConfig(rate, burst, Duration.ofSeconds(window));
    }
}
