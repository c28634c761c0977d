package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spreads the partitions over the agents and keeps this agent subscribed: presence on the agents'
 * queue (its consumer count is the number of agents), subscribing again what has no open channel,
 * and handing over the partitions this agent is active on beyond its share (see the class comment
 * of {@link RabbitMqEventQueue}).
 *
 * <p><b>Threads.</b> Runs on the queue's single {@code rabbitmq-background} thread only, so a
 * rebalance, a hand-over and subscribing again never overlap; a hand-over waits on the consumer's
 * condition, up to a minute, for the partition to go quiet.
 */
final class Rebalancer {
    private static final Logger LOG = LoggerFactory.getLogger(Rebalancer.class);

    private final ConsumerState s;
    private final PartitionConsumer consumer;
    private final Connection conConnection;
    private final AdminChannel admin;
    private final String agentId;
    private Channel presenceChannel;

    Rebalancer(ConsumerState s, PartitionConsumer consumer, Connection conConnection, AdminChannel admin, String agentId) {
        this.s = s;
        this.consumer = consumer;
        this.conConnection = conConnection;
        this.admin = admin;
        this.agentId = agentId;
    }

    /** Presence: every agent consumes this queue, so its consumer count is the number of agents. */
    void subscribePresence() throws IOException {
        Channel ch = conConnection.createChannel();
        ch.queueDeclare(s.agentsQueue(), false, false, true, Map.of());
        ch.basicConsume(s.agentsQueue(), true, "pdaltagent-agent-" + agentId, new DefaultConsumer(ch));
        presenceChannel = ch;
    }

    /** Subscribes the partitions (and presence) that have no open channel: after a loss, or a failed subscribe. */
    void subscribeMissing() {
        if (s.closed || !conConnection.isOpen()) {
            return;
        }
        try {
            if (presenceChannel == null || !presenceChannel.isOpen()) {
                subscribePresence();
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("queue: could not join the agents' presence queue: {}", e.toString());
        }
        for (Part part : s.parts) {
            Channel ch = part.channel;
            if (ch == null || !ch.isOpen()) {
                try {
                    consumer.subscribe(part.index);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("queue: could not subscribe to {} (trying again in a second): {}",
                            s.partitionQueue(part.index), e.toString());
                }
            }
        }
    }

    /**
     * Spreads partitions over agents: an agent active on more than its share (partitions divided by
     * the agents) hands the excess over, see the class comment.
     */
    void rebalance() {
        if (s.closed || !conConnection.isOpen()) {
            return;
        }
        int consumers;
        admin.lock.lock();
        try {
            consumers = admin.channel().queueDeclarePassive(s.agentsQueue()).getConsumerCount();
        } catch (IOException | RuntimeException e) {
            return;
        } finally {
            admin.lock.unlock();
        }
        if (consumers <= 1) {
            return;
        }
        int share = (s.settings.partitions() + consumers - 1) / consumers;
        List<Integer> owned = new ArrayList<>();
        s.lock.lock();
        try {
            for (Part part : s.parts) {
                if (part.active && !part.draining) {
                    owned.add(part.index);
                }
            }
        } finally {
            s.lock.unlock();
        }
        int excess = owned.size() - share;
        for (int i = 0; i < excess && !s.closed; i++) {
            handOver(s.parts[owned.get(owned.size() - 1 - i)]);
        }
    }

    /** Under the consumer's lock: whether the partition has an attempt under way (a delivery, or an acknowledgement being sent). */
    private boolean busy(Part part) {
        for (KeyState ks : s.keys.values()) {
            if (ks.partition == part.index && ks.inFlight != null) {
                return true;
            }
        }
        return false;
    }

    private void handOver(Part part) {
        long gen;
        s.lock.lock();
        try {
            part.draining = true;
            gen = part.gen;
        } finally {
            s.lock.unlock();
        }
        boolean quiet = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try {
            s.lock.lock();
            try {
                // nothing in flight, then every acknowledgement confirmed: the next agent starts where this one stopped
                while (!s.closed && part.gen == gen && busy(part)) {
                    if (!s.changed.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                        return;
                    }
                }
                while (!s.closed && part.gen == gen && part.acksConfirmed < part.acksSent) {
                    consumer.requestMarker(part);
                    if (!s.changed.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                        return;
                    }
                }
                quiet = !s.closed && part.gen == gen;
            } finally {
                s.lock.unlock();
            }
            if (quiet) {
                consumer.subscribe(part.index);  // forgets what the old channel held, closes it, subscribes at the back
                LOG.info("queue: handed partition {} over to another agent", s.partitionQueue(part.index));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.warn("queue: could not subscribe to {} again: {}", s.partitionQueue(part.index), e.toString());
        } finally {
            s.lock.lock();
            try {
                part.draining = false;
                consumer.releaseHeldBack(part);
                s.changed.signalAll();
            } finally {
                s.lock.unlock();
            }
        }
    }
}
