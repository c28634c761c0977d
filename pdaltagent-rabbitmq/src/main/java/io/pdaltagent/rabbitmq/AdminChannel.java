package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.io.IOException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The channel for passive declares (counts of messages and consumers) and declaring the queues.
 * A passive declare of a missing queue closes its channel, so it is opened again when needed.
 *
 * <p><b>Threads.</b> Use it only under {@link #lock}: callers hold it around {@link #channel} and
 * what they do with it.
 */
final class AdminChannel {
    final ReentrantLock lock = new ReentrantLock();
    private final Connection connection;
    private Channel channel;

    AdminChannel(Connection connection) throws IOException {
        this.connection = connection;
        this.channel = connection.createChannel();
    }

    /** Under {@link #lock}: the channel, opened again when a failed passive declare closed it. */
    Channel channel() throws IOException {
        if (!channel.isOpen() && connection.isOpen()) {
            channel = connection.createChannel();
        }
        return channel;
    }
}
