package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import io.pdaltagent.queue.StoreUnavailableException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the RabbitMQ queue's two connections (publishing, consuming) with automatic recovery and
 * timeouts, and turns what the broker refuses at start into a clear error: wrong credentials, a
 * missing virtual host and queues declared with other settings are configuration errors
 * ({@link IllegalArgumentException}); a broker that cannot be reached is
 * {@link StoreUnavailableException}. Called once, on the thread that starts the agent.
 */
final class BrokerConnections {
    private static final Logger LOG = LoggerFactory.getLogger(RabbitMqEventQueue.class);

    private BrokerConnections() {
    }

    /**
     * Connects, declares the queues and starts consuming.
     *
     * @throws IllegalArgumentException for wrong credentials, a missing vhost or queues declared with
     *     other settings
     * @throws StoreUnavailableException when the broker cannot be reached
     */
    static RabbitMqEventQueue open(RabbitMqEventQueue.Settings settings, Clock clock) {
        ConnectionFactory f = new ConnectionFactory();
        settings.url().configure(f);
        f.setAutomaticRecoveryEnabled(true);
        f.setTopologyRecoveryEnabled(true);
        // reconnect after 1, 2, 4, 8 s, then every 15 s: quick after a blip, gentle on a broker that is down
        f.setRecoveryDelayHandler(new com.rabbitmq.client.RecoveryDelayHandler.ExponentialBackoffDelayHandler(
                List.of(1_000L, 2_000L, 4_000L, 8_000L, 15_000L)));
        f.setRequestedHeartbeat(10);
        // a broker that stops mid-answer must not hold a caller (e.g. the thread that subscribes again) for minutes
        f.setChannelRpcTimeout(10_000);
        f.setConnectionTimeout(5000);
        Connection pub = null;
        Connection con = null;
        try {
            pub = f.newConnection("pdaltagent-publish");
            // the consumers' channels are opened again by the queue itself after a loss (new channels,
            // new generation), never resubscribed behind its back
            ConnectionFactory consumers = f.clone();
            consumers.setTopologyRecoveryEnabled(false);
            con = consumers.newConnection("pdaltagent-consume");
            RabbitMqEventQueue q = new RabbitMqEventQueue(settings, clock, pub, con);
            LOG.info("queue: RabbitMQ {} ({} partitions of {}.pNN, prefetch {}, confirm window {})",
                    settings.url().masked(), settings.partitions(), settings.prefix(), settings.prefetch(),
                    settings.confirmWindow());
            return q;
        } catch (com.rabbitmq.client.AuthenticationFailureException e) {
            closeQuietly(pub, con);
            throw new IllegalArgumentException("broker " + settings.url().masked() + " refused the credentials of user '"
                    + settings.url().user() + "'");
        } catch (ConnectException | UnknownHostException | java.net.SocketTimeoutException e) {
            closeQuietly(pub, con);
            throw new StoreUnavailableException("cannot reach the broker at " + settings.url().masked() + ": " + e, e);
        } catch (IOException | TimeoutException e) {
            closeQuietly(pub, con);
            String why = describe(e);
            if (why.contains("vhost") || why.contains("NOT_ALLOWED")) {
                throw new IllegalArgumentException("broker " + settings.url().masked() + ": virtual host '"
                        + settings.url().vhost() + "' does not exist or the user may not use it (" + why + ")");
            }
            if (why.contains("PRECONDITION_FAILED")) {
                throw new IllegalArgumentException("broker " + settings.url().masked() + ": the queues exist with other "
                        + "settings (" + why + ")");
            }
            if (why.contains("ACCESS_REFUSED")) {
                throw new IllegalArgumentException("broker " + settings.url().masked() + " refused access: " + why);
            }
            throw new StoreUnavailableException("cannot open the broker at " + settings.url().masked() + ": " + why, e);
        }
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                if (!sb.isEmpty()) {
                    sb.append(": ");
                }
                sb.append(t.getMessage());
            }
            if (t instanceof ShutdownSignalException s && s.getReason() != null) {
                sb.append(" ").append(s.getReason());
            }
        }
        return sb.isEmpty() ? e.getClass().getSimpleName() : sb.toString();
    }

    private static void closeQuietly(Connection... cs) {
        for (Connection c : cs) {
            if (c != null) {
                try {
                    c.abort(2000);
                } catch (RuntimeException ignored) {
                    // closing after a failure
                }
            }
        }
    }
}
