package io.pdaltagent.queue;

import java.time.Clock;
import java.util.ServiceLoader;

/**
 * A queue backend that lives in another module (RabbitMQ), found through {@link ServiceLoader} so
 * that core does not depend on it at compile time. A provider is listed in its jar's
 * {@code META-INF/services/io.pdaltagent.queue.EventQueueProvider}.
 */
public interface EventQueueProvider {

    /** Whether this provider opens queues for the URL's scheme (e.g. {@code amqp}). */
    boolean handles(String url);

    /**
     * Opens the queue; connects and declares what it needs before returning.
     *
     * @throws IllegalArgumentException for a URL, credentials or settings the broker refuses: a
     *     message a person can act on, without secrets
     * @throws StoreUnavailableException when the broker cannot be reached
     */
    EventQueue open(String url, int partitions, long maxOpen, Clock clock);

    /**
     * The provider for the URL, from the class path.
     *
     * @throws IllegalStateException naming the missing artifact when none is on the class path
     */
    static EventQueueProvider forUrl(String url) {
        for (EventQueueProvider p : ServiceLoader.load(EventQueueProvider.class)) {
            if (p.handles(url)) {
                return p;
            }
        }
        throw new IllegalStateException("no queue backend for this broker URL on the class path: the RabbitMQ "
                + "queue needs pdaltagent-rabbitmq/target/pdaltagent-rabbitmq.jar and its target/lib/amqp-client-*.jar "
                + "(build with bin/mvnw install)");
    }
}
