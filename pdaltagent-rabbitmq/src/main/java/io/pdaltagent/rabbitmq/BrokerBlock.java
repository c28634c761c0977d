package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.Connection;

/**
 * Whether the broker has blocked a connection ({@code connection.blocked}: a memory or disk alarm,
 * during which RabbitMQ stops reading from connections that publish), and why. A new connection
 * starts unblocked; the broker says so again if its alarm still holds.
 */
final class BrokerBlock {
    private volatile String reason;

    private BrokerBlock() {
    }

    static BrokerBlock watch(Connection connection) {
        BrokerBlock b = new BrokerBlock();
        connection.addBlockedListener(r -> b.reason = r == null || r.isBlank() ? "no reason given" : r,
                () -> b.reason = null);
        connection.addShutdownListener(cause -> b.reason = null);
        return b;
    }

    /** Why the broker blocks the connection, or null when it does not. */
    String reason() {
        return reason;
    }
}
