package io.pdaltagent.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Produces events on a schedule, as PDaltagent's {@code fetch_events} did: poll a system that
 * cannot send events itself, and return what should be sent. Each event returned goes through the
 * agent's one intake path (validation, rules, filters, PII scrubber, durable store), exactly as if
 * it had been posted to {@link Event#path}. Found by {@link java.util.ServiceLoader} like
 * {@link EventFilter}.
 *
 * <p><b>Threads and time.</b> {@link #fetchEvents} is called on its own thread, never twice at
 * once for one source; a call is bounded in time ({@link #timeout}); one that throws or times out
 * is logged and counted, and the next run happens on schedule.
 */
public interface EventSource {
    /** When a source runs: every {@code interval}, or when a five-field {@code cron} expression fires. */
    record Schedule(Duration interval, String cron, String timezone) {
        public static Schedule every(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("the interval must be positive");
            }
            return new Schedule(interval, null, null);
        }

        /** @param timezone e.g. {@code Europe/Berlin}; the cron expression is read in it */
        public static Schedule cron(String cron, String timezone) {
            return new Schedule(null, Objects.requireNonNull(cron, "cron"), Objects.requireNonNull(timezone, "timezone"));
        }
    }

    /**
     * An event to queue.
     *
     * @param path the ingest path it is taken as posted to ({@code /v2/enqueue}, {@code /v2/change/enqueue},
     *     {@code /generic/2010-04-15/create_event.json}, {@code /integration/KEY/enqueue})
     * @param body the JSON object as plain values
     */
    record Event(String path, Map<String, Object> body) {
        public static Event v2(Map<String, Object> body) {
            return new Event("/v2/enqueue", body);
        }
    }

    default String name() {
        return getClass().getName();
    }

    Schedule schedule();

    /** The longest one run may take; 30 s by default. */
    default Duration timeout() {
        return Duration.ofSeconds(30);
    }

    List<Event> fetchEvents() throws Exception;
}
