package io.pdaltagent.observe;

import io.pdaltagent.queue.QueuedItem;
import java.time.Duration;
import java.util.List;

/**
 * Hears what happens to events on their way through the agent; metrics and logs are listeners, so
 * the pipeline itself knows neither. Methods are called on the thread that did the work, in the
 * order things happen to one item. They must be fast and must not throw: a throwing listener is a
 * bug, and the pipeline does not defend against it.
 */
public interface AgentListener {
    AgentListener NONE = new AgentListener() {
    };

    /** An ingest request was stored and answered with success. {@code path} is the route template. */
    default void accepted(String path) {
    }

    /**
     * An ingest request was answered with an error.
     *
     * @param reason a short stable label: {@code invalid}, {@code malformed}, {@code too_large},
     *     {@code unsupported_media_type}, {@code method_not_allowed}, {@code not_found},
     *     {@code queue_full}, {@code unavailable}
     */
    default void rejected(String path, String reason) {
    }

    /** A delivery attempt is about to be made. */
    default void attempting(QueuedItem item) {
    }

    /** The destination took the item; {@code sinceAccepted} is the time from ingest to delivery. */
    default void delivered(QueuedItem item, int status, Duration sinceAccepted) {
    }

    /** The attempt failed and the item will be tried again after {@code delay}. */
    default void retryScheduled(QueuedItem item, int status, String error, Duration delay) {
    }

    /** The item is dead: it will not be delivered unless a person retries it. */
    default void dead(QueuedItem item, int status, String reason) {
    }

    /** Calls every listener in turn. */
    static AgentListener of(List<AgentListener> listeners) {
        List<AgentListener> all = List.copyOf(listeners);
        return new AgentListener() {
            @Override
            public void accepted(String path) {
                all.forEach(l -> l.accepted(path));
            }

            @Override
            public void rejected(String path, String reason) {
                all.forEach(l -> l.rejected(path, reason));
            }

            @Override
            public void attempting(QueuedItem item) {
                all.forEach(l -> l.attempting(item));
            }

            @Override
            public void delivered(QueuedItem item, int status, Duration sinceAccepted) {
                all.forEach(l -> l.delivered(item, status, sinceAccepted));
            }

            @Override
            public void retryScheduled(QueuedItem item, int status, String error, Duration delay) {
                all.forEach(l -> l.retryScheduled(item, status, error, delay));
            }

            @Override
            public void dead(QueuedItem item, int status, String reason) {
                all.forEach(l -> l.dead(item, status, reason));
            }
        };
    }
}
