package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.queue.StoreUnavailableException;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A durable quorum queue of items that are kept but not delivered: the dead letters
 * ({@code <prefix>.dead}) or the suppressed events ({@code <prefix>.suppressed}). Items go in at
 * the tail in the order they were parked; people read them back with {@link #scan}, one at a time.
 *
 * <p><b>Message layout.</b> The body is the item's body; its fields travel in headers (the same
 * names as on the partitions, plus status, reason, attempts and the time it was parked), so any
 * agent on the broker can list, retry or purge what another parked.
 *
 * <p><b>Threads.</b> {@link #park} may be called from any thread (it goes through the shared
 * {@link Publisher}). {@link #scan} runs one scan at a time (a lock) on a channel of its own: it
 * reads the queue with basic.get, the visitor acknowledges what it takes, and closing the channel
 * at the end puts everything else back in its place.
 */
final class ParkedQueue {
    static final String H_STATUS = "pdaltagent-status";
    static final String H_REASON = "pdaltagent-reason";
    static final String H_ATTEMPTS = "pdaltagent-attempts";
    /** When the item was parked (the header's name predates suppressed items). */
    static final String H_PARKED_AT = "pdaltagent-dead-at";

    /** What one item carries into the queue. */
    record Parked(long seq, String key, Destination destination, String contentType, byte[] body, String dedupKey,
                  Instant acceptedAt, int status, String reason, int attempts, Instant parkedAt, String agentId) { }

    interface Visitor {
        /** Sees one parked message. To take the message, acknowledge it on {@code ch}. */
        void visit(Channel ch, GetResponse r, QueuedItem item) throws IOException;
    }

    private final String name;
    private final DeliveryState state;
    private final Connection connection;
    private final Publisher publisher;
    private final ReentrantLock scanLock = new ReentrantLock();

    ParkedQueue(String name, DeliveryState state, Connection connection, Publisher publisher) {
        this.name = name;
        this.state = state;
        this.connection = connection;
        this.publisher = publisher;
    }

    String name() {
        return name;
    }

    void declare(Channel ch) throws IOException {
        ch.queueDeclare(name, true, false, false, Map.of("x-queue-type", "quorum"));
    }

    /** Publishes the item at the tail; completes on the broker's confirm. */
    CompletableFuture<Void> park(Parked p) {
        Map<String, Object> h = new HashMap<>();
        h.put(Publisher.SEQ_HEADER, p.seq());
        h.put(RabbitMqEventQueue.H_KEY, p.key());
        h.put(RabbitMqEventQueue.H_KIND, p.destination().kind());
        h.put(RabbitMqEventQueue.H_TARGET, p.destination().target());
        if (p.dedupKey() != null) {
            h.put(RabbitMqEventQueue.H_DEDUP, p.dedupKey());
        }
        h.put(RabbitMqEventQueue.H_ACCEPTED, p.acceptedAt().toString());
        h.put(H_STATUS, p.status());
        h.put(H_REASON, p.reason() == null ? "" : p.reason());
        h.put(H_ATTEMPTS, p.attempts());
        h.put(H_PARKED_AT, p.parkedAt().toString());
        h.put(RabbitMqEventQueue.H_AGENT, p.agentId());
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().deliveryMode(2)
                .contentType(p.contentType()).messageId(Long.toString(p.seq())).headers(h).build();
        return publisher.publish(name, props, p.body(), p.seq());
    }

    /**
     * Reads the whole queue, from its head to its end; see {@link Visitor}. A scan never stops half
     * way: a quorum queue puts the messages given back when the channel closes behind those the scan
     * never took, so a partial scan would reorder the queue (and a retry of a key's dead events would
     * then send them out of order).
     */
    void scan(Visitor v) {
        scanLock.lock();
        Channel ch = null;
        try {
            ch = connection.createChannel();
            while (true) {
                GetResponse r = ch.basicGet(name, false);
                if (r == null) {
                    break;
                }
                v.visit(ch, r, item(r));
            }
        } catch (IOException | RuntimeException e) {
            throw new StoreUnavailableException("cannot read " + name + ": " + e, e);
        } finally {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException | TimeoutException | RuntimeException ignored) {
                    // closing requeues what was not acknowledged
                }
            }
            scanLock.unlock();
        }
    }

    /** A scan that sees every message and takes none. */
    void forEach(java.util.function.Consumer<QueuedItem> each) {
        scan((ch, r, item) -> each.accept(item));
    }

    QueuedItem item(GetResponse r) {
        Map<String, Object> h = r.getProps().getHeaders();
        String accepted = RabbitMqEventQueue.str(h, RabbitMqEventQueue.H_ACCEPTED);
        String parkedAt = RabbitMqEventQueue.str(h, H_PARKED_AT);
        Instant acc = accepted == null ? Instant.EPOCH : Instant.parse(accepted);
        return new QueuedItem(RabbitMqEventQueue.num(h, Publisher.SEQ_HEADER, 0),
                String.valueOf(RabbitMqEventQueue.str(h, RabbitMqEventQueue.H_KEY)),
                new Destination(String.valueOf(RabbitMqEventQueue.str(h, RabbitMqEventQueue.H_KIND)),
                        String.valueOf(RabbitMqEventQueue.str(h, RabbitMqEventQueue.H_TARGET))),
                r.getProps().getContentType(), r.getBody(), RabbitMqEventQueue.str(h, RabbitMqEventQueue.H_DEDUP), acc, state,
                (int) RabbitMqEventQueue.num(h, H_ATTEMPTS, 0), parkedAt == null ? acc : Instant.parse(parkedAt),
                (int) RabbitMqEventQueue.num(h, H_STATUS, 0), RabbitMqEventQueue.str(h, H_REASON));
    }

    /**
     * The item's headers as they were, marked as retried at {@code atMillis} (a new incarnation for
     * the retry log), for publishing it back to its partition.
     */
    static AMQP.BasicProperties retried(GetResponse r, long atMillis) {
        Map<String, Object> h = new HashMap<>(r.getProps().getHeaders());
        h.put(RabbitMqEventQueue.H_RETRIED, true);
        h.put(RabbitMqEventQueue.H_RETRIED_AT, Math.max(1, atMillis));
        return r.getProps().builder().headers(h).deliveryMode(2).build();
    }
}
