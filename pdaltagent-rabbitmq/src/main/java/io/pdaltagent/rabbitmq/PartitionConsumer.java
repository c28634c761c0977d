package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.Destination;
import java.io.IOException;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This agent's consumer of the partitions: subscribes each on a channel of its own, takes the
 * messages the broker delivers into {@link ConsumerState}, reads a partition's retry log when it
 * becomes active on it, forgets what it held when a channel goes, and acknowledges finished items
 * with the markers that tell when the broker has applied an acknowledgement (see the class comment
 * of {@link RabbitMqEventQueue}).
 *
 * <p><b>Threads.</b> Deliveries arrive on the connection's consumer threads ({@link #received});
 * confirms are handed to the single {@code rabbitmq-markers} thread, which publishes markers and so
 * never waits for the consumer's lock on a connection thread. The retry log is read on its own
 * worker; a failed read is tried again on the queue's background thread. State is guarded as
 * {@link ConsumerState} says.
 */
final class PartitionConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionConsumer.class);
    private static final byte[] NO_BODY = new byte[0];

    private final ConsumerState s;
    private final Connection conConnection;
    private final String agentId;
    private final ScheduledExecutorService background;
    /** Markers: publishing one never waits for the consumer's lock. */
    private final ScheduledExecutorService markers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "rabbitmq-markers");
        t.setDaemon(true);
        return t;
    });

    PartitionConsumer(ConsumerState s, Connection conConnection, String agentId, ScheduledExecutorService background) {
        this.s = s;
        this.conConnection = conConnection;
        this.agentId = agentId;
        this.background = background;
    }

    void close() {
        markers.shutdownNow();
    }

    /**
     * A new channel for the partition, in confirm mode (for markers), consuming it. The channel of an
     * earlier subscription, if any, is forgotten and closed: the broker gets back what it held.
     */
    void subscribe(int partition) throws IOException {
        Part part = s.parts[partition];
        Channel old = part.channel;
        if (old != null) {
            partitionLost(part, old);
        }
        Channel ch = conConnection.createChannel();
        ch.basicQos(s.settings.prefetch());
        ch.confirmSelect();
        long gen;
        s.lock.lock();
        try {
            gen = ++part.gen;
            part.channel = ch;
            part.acksConfirmed = part.acksSent;
            part.active = false;
            part.logLoaded = false;
        } finally {
            s.lock.unlock();
        }
        ch.addConfirmListener(new ConfirmListener() {
                    @Override
                    public void handleAck(long tag, boolean multiple) {
                // off the connection's thread: it must never wait for a the consumer's lock
                markers.execute(() -> markerConfirmed(part, gen, tag, multiple, true));
            }

                    @Override
                    public void handleNack(long tag, boolean multiple) {
                markers.execute(() -> markerConfirmed(part, gen, tag, multiple, false));
            }
        });
        ch.addShutdownListener(cause -> partitionLost(part, ch));
        ch.basicConsume(s.partitionQueue(partition), false, "pdaltagent-" + agentId + "-" + partition, new DefaultConsumer(ch) {
                    @Override
                    public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) {
                received(part, getChannel(), env.getDeliveryTag(), props, body);
            }
        });
    }

    private void received(Part part, Channel channel, long tag, AMQP.BasicProperties props, byte[] body) {
        Map<String, Object> h = props.getHeaders();
        if (h != null && h.containsKey(RabbitMqEventQueue.H_MARKER)) {
            // its confirm was all it was for
            try {
                channel.basicAck(tag, false);
            } catch (IOException | RuntimeException e) {
                LOG.debug("queue: could not acknowledge a marker: {}", e.toString());
            }
            return;
        }
        long seq = RabbitMqEventQueue.num(h, Publisher.SEQ_HEADER, -1);
        if (seq < 0) {
            seq = s.nextSeq();
        }
        s.inTransit.remove(seq);
        String key = RabbitMqEventQueue.str(h, RabbitMqEventQueue.H_KEY);
        if (key == null) {
            key = "";
        }
        String kind = RabbitMqEventQueue.str(h, RabbitMqEventQueue.H_KIND);
        String target = RabbitMqEventQueue.str(h, RabbitMqEventQueue.H_TARGET);
        String accepted = RabbitMqEventQueue.str(h, RabbitMqEventQueue.H_ACCEPTED);
        Instant acceptedAt;
        try {
            acceptedAt = accepted == null ? s.clock.instant() : Instant.parse(accepted);
        } catch (RuntimeException e) {
            acceptedAt = s.clock.instant();
        }
        boolean retried = h != null && Boolean.TRUE.equals(h.get(RabbitMqEventQueue.H_RETRIED));
        s.lock.lock();
        try {
            if (channel != part.channel || part.draining) {
                // an earlier channel, or being handed over: the broker gets it back when the channel closes
                return;
            }
            if (!part.active) {
                // the partition is this agent's now: read its retry log before anything of it is claimed
                part.active = true;
                loadRetryLog(part, part.gen);
            }
            Held held = new Held(seq, key, new Destination(kind == null ? Destination.EVENTS : kind,
                    target == null ? "/v2/enqueue" : target), props.getContentType() == null ? "application/json"
                    : props.getContentType(), body, RabbitMqEventQueue.str(h, RabbitMqEventQueue.H_DEDUP), acceptedAt, part.index, channel, tag, part.gen,
                    RabbitMqEventQueue.num(h, RabbitMqEventQueue.H_RETRIED_AT, retried ? 1 : 0));
            if (retried) {
                held.lastStatus = (int) RabbitMqEventQueue.num(h, RabbitMqEventQueue.H_STATUS, 0);
                held.lastError = RabbitMqEventQueue.str(h, RabbitMqEventQueue.H_REASON);
            }
            if (part.logLoaded) {
                held.restore(s.retryLog.lookup(part.index, held.id()));
            }
            Held old = s.bySeq.put(seq, held);
            KeyState ks = s.keys.get(key);
            if (ks == null) {
                ks = new KeyState(part.index);
                // an acknowledgement of this key may be among those not confirmed yet
                ks.mustConfirm = part.acksSent;
                s.keys.put(key, ks);
            }
            if (old != null) {
                // redelivered while an older copy is still known (e.g. in flight across a reconnect)
                ks.remove(old);
            }
            s.recent.remove(seq);
            if (retried) {
                ks.retried.addLast(held);
            } else {
                ks.fifo.addLast(held);
            }
            long count = ks.count();
            // a person's retry may sit before the key's head: the scheduler looks at the key again
            s.schedule.opened(key, count - ks.counted, retried);
            ks.counted = count;
            s.changed.signalAll();
        } finally {
            s.lock.unlock();
        }
    }

    /** Under the consumer's lock: reads the partition's retry log on its worker, then lets the partition's keys be claimed. */
    private void loadRetryLog(Part part, long gen) {
        s.retryLog.load(part.index).whenComplete((entries, err) -> {
            s.lock.lock();
            try {
                if (s.closed || part.gen != gen) {
                    return;
                }
                if (err != null) {
                    LOG.warn("queue: could not read the retry log {} (trying again in a second): {}",
                            s.retryQueue(part.index), err.toString());
                    background.schedule(() -> {
                        s.lock.lock();
                        try {
                            if (!s.closed && part.gen == gen) {
                                loadRetryLog(part, gen);
                            }
                        } finally {
                            s.lock.unlock();
                        }
                    }, 1, TimeUnit.SECONDS);
                    return;
                }
                part.logLoaded = true;
                int restored = 0;
                for (Held held : s.bySeq.values()) {
                    RetryLog.Entry e = held.partition == part.index ? entries.get(held.id()) : null;
                    if (e != null && held.state == DeliveryState.PENDING) {
                        held.restore(e);
                        restored++;
                    }
                }
                if (restored > 0) {
                    LOG.info("queue: {} event(s) of {} go on with the attempts and back-off recorded before",
                            restored, s.partitionQueue(part.index));
                }
                releaseHeldBack(part);
                s.changed.signalAll();
            } finally {
                s.lock.unlock();
            }
        });
    }

    /** Under the consumer's lock: the keys of the partition held back (draining, log unread) may be claimed again. */
    void releaseHeldBack(Part part) {
        if (part.draining || !part.logLoaded) {
            return;
        }
        for (String key : part.heldBack) {
            if (s.keys.containsKey(key)) {
                s.schedule.released(key, 0, null);
            } else {
                s.schedule.forget(key);
            }
        }
        part.heldBack.clear();
    }

    /**
     * The partition's channel is gone (closed by the broker, the connection lost, or replaced): the
     * broker requeues every message it held, so they are forgotten, except attempts under way, which
     * end normally but are not acknowledged.
     */
    void partitionLost(Part part, Channel ch) {
        s.lock.lock();
        try {
            if (part.channel != ch) {
                return;
            }
            part.gen++;
            part.channel = null;
            part.acksConfirmed = part.acksSent;
            part.active = false;
            part.awaiting.clear();
            for (Iterator<Map.Entry<String, KeyState>> it = s.keys.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, KeyState> entry = it.next();
                KeyState ks = entry.getValue();
                if (ks.partition != part.index) {
                    continue;
                }
                for (Held held : ks.retried) {
                    s.bySeq.remove(held.seq, held);
                }
                for (Held held : ks.fifo) {
                    if (held != ks.inFlight) {
                        s.bySeq.remove(held.seq, held);
                    }
                }
                ks.retried.clear();
                ks.fifo.clear();
                ks.awaitingConfirm = false;
                ks.mustConfirm = 0;
                String key = entry.getKey();
                if (ks.inFlight == null) {
                    it.remove();
                    s.schedule.forget(key);
                } else {
                    // the attempt under way ends normally; its completion releases the key
                    long count = ks.count();
                    s.schedule.closedWithoutClaim(key, ks.counted - count);
                    ks.counted = count;
                }
            }
            part.heldBack.clear();
            part.logLoaded = false;
            s.retryLog.forget(part.index);
            s.changed.signalAll();
        } finally {
            s.lock.unlock();
        }
        if (!s.closed && conConnection.isOpen() && ch.isOpen()) {
            LOG.info("queue: stopped consuming {}; its held messages go back to the broker", s.partitionQueue(part.index));
        }
        // a channel of a lost connection would be reopened by the connection's recovery: it is done with
        try {
            ch.abort();
        } catch (IOException | RuntimeException e) {
            LOG.debug("queue: aborting a channel: {}", e.toString());
        }
    }

    /** Under the consumer's lock: publishes a marker for the partition unless one is outstanding (on the markers' thread). */
    void requestMarker(Part part) {
        long gen = part.gen;
        markers.execute(() -> publishMarker(part, gen));
    }

    private void publishMarker(Part part, long gen) {
        part.writeLock.lock();
        try {
            Channel ch = part.channel;
            if (s.closed || part.gen != gen || ch == null || (part.markerTag >= 0 && part.markerGen == gen)
                    || part.acksConfirmed >= part.acksSent) {
                return;
            }
            long covers = part.acksSent;
            long tag = ch.getNextPublishSeqNo();
            part.markerTag = tag;
            part.markerGen = gen;
            part.markerCovers = covers;
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .headers(Map.of(RabbitMqEventQueue.H_MARKER, agentId)).deliveryMode(1).build();
            try {
                ch.basicPublish("", s.partitionQueue(part.index), false, props, NO_BODY);
            } catch (IOException | RuntimeException e) {
                // the channel is going: the loss resets the partition
                part.markerTag = -1;
                LOG.debug("queue: could not publish a marker to {}: {}", s.partitionQueue(part.index), e.toString());
            }
        } finally {
            part.writeLock.unlock();
        }
    }

    /** A confirm (or nack) on a partition's channel: the outstanding marker's, or an older one's. */
    private void markerConfirmed(Part part, long gen, long tag, boolean multiple, boolean ok) {
        long covers;
        part.writeLock.lock();
        try {
            if (part.markerGen != gen || part.markerTag < 0 || (multiple ? tag < part.markerTag : tag != part.markerTag)) {
                return;
            }
            covers = part.markerCovers;
            part.markerTag = -1;
        } finally {
            part.writeLock.unlock();
        }
        s.lock.lock();
        try {
            if (part.gen != gen) {
                return;
            }
            if (ok) {
                part.acksConfirmed = Math.max(part.acksConfirmed, covers);
            }
            boolean more = false;
            for (int n = part.awaiting.size(); n > 0; n--) {
                String key = part.awaiting.pollFirst();
                KeyState ks = s.keys.get(key);
                if (ks == null || !ks.awaitingConfirm) {
                    continue;
                }
                if (ks.mustConfirm <= part.acksConfirmed) {
                    ks.awaitingConfirm = false;
                    s.schedule.released(key, 0, null);
                } else {
                    part.awaiting.addLast(key);
                    more = true;
                }
            }
            if (more) {
                // a nack, or acknowledgements sent after the marker: another marker
                requestMarker(part);
            }
            s.changed.signalAll();
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * Acknowledges a finished item on its channel, then frees its key; the key's next claim waits for
     * the confirm of a marker sent after this acknowledgement.
     */
    void acknowledge(Held held, KeyState ks, Instant keyDueAt) {
        Part part = s.parts[held.partition];
        long index = 0;
        boolean failed = false;
        part.writeLock.lock();
        try {
            if (held.gen == part.gen && held.channel == part.channel && held.channel.isOpen()) {
                held.channel.basicAck(held.deliveryTag, false);
                index = ++part.acksSent;
            }
        } catch (IOException | RuntimeException e) {
            // the message comes back after the reconnect: delivered once more, right after itself
            LOG.warn("queue: could not acknowledge a message ({}); it will be delivered again", e.toString());
            failed = true;
        } finally {
            part.writeLock.unlock();
        }
        if (failed || index == 0) {
            // the channel is going: nothing more of it may be claimed, or the key's next event would
            // go out before this one comes back
            partitionLost(part, held.channel);
        }
        if (index > 0) {
            s.retryLog.done(held.partition, held.id());
        }
        s.lock.lock();
        try {
            if (index > 0 && held.gen == part.gen) {
                ks.mustConfirm = Math.max(ks.mustConfirm, index);
            }
            s.drop(held, ks, keyDueAt);
        } finally {
            s.lock.unlock();
        }
    }
}
