package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.AMQP;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueueFullException;
import io.pdaltagent.queue.StoreUnavailableException;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Appends on RabbitMQ: a persistent message per item, published to its partition with confirms (or
 * parked at once when it arrives suppressed or dead), after a check of the queue's maximum against
 * what this agent holds plus the partitions' ready counts, which it refreshes from the broker.
 *
 * <p><b>Threads.</b> Any thread may append; publishes are ordered by {@code appendLock} so that
 * sequence numbers follow the order the partitions hold the items in. The ready counts are written
 * under the admin channel's lock (by the background thread every second, or by an append at the
 * maximum) and read without it.
 */
final class Appender {
    private static final long IN_TRANSIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final ConsumerState s;
    private final Publisher publisher;
    private final ParkedQueue dead;
    private final ParkedQueue suppressed;
    private final AdminChannel admin;
    private final String agentId;
    private final ReentrantLock appendLock = new ReentrantLock();
    volatile long cachedReady;
    volatile long[] readyPerPartition = new long[0];
    private final AtomicLong appendsSinceRefresh = new AtomicLong();

    Appender(ConsumerState s, Publisher publisher, ParkedQueue dead, ParkedQueue suppressed, AdminChannel admin,
             String agentId) {
        this.s = s;
        this.publisher = publisher;
        this.dead = dead;
        this.suppressed = suppressed;
        this.admin = admin;
        this.agentId = agentId;
    }

    CompletableFuture<Long> append(NewItem n) {
        if (s.closed) {
            return CompletableFuture.failedFuture(new StoreUnavailableException("queue closed"));
        }
        if (!publisher.isUp()) {
            return CompletableFuture.failedFuture(publisher.unavailable());
        }
        if (n.arrivalState() != DeliveryState.PENDING) {
            // suppressed or dead on arrival: parked at once, no open slot, no place in its key's order
            long seq = s.nextSeq();
            ParkedQueue to = n.arrivalState() == DeliveryState.DEAD ? dead : suppressed;
            return to.park(new ParkedQueue.Parked(seq, n.orderingKey(), n.destination(), n.contentType(), n.body(),
                    n.dedupKey(), n.acceptedAt(), 0, n.arrivalNote(), 0, s.clock.instant(), agentId))
                    .handle((v, t) -> {
                        if (t != null) {
                            throw confirmFailure(t);
                        }
                        return seq;
                    });
        }
        long max = s.settings.maxOpen();
        // the broker's ready counts are refreshed every second in the background; only an estimate at
        // the maximum asks the broker now
        long estimate = s.heldOpen() + Math.max(cachedReady + appendsSinceRefresh.get(), inTransitCount());
        if (estimate >= max) {
            try {
                refreshReady();
            } catch (IOException | RuntimeException e) {
                return CompletableFuture.failedFuture(new StoreUnavailableException("the broker does not answer: " + e, e));
            }
            pruneInTransit();
            long open = s.heldOpen() + Math.max(cachedReady, inTransitCount());
            if (open >= max) {
                return CompletableFuture.failedFuture(new QueueFullException(open, max));
            }
        }
        Map<String, Object> h = new HashMap<>();
        h.put(RabbitMqEventQueue.H_KEY, n.orderingKey());
        h.put(RabbitMqEventQueue.H_KIND, n.destination().kind());
        h.put(RabbitMqEventQueue.H_TARGET, n.destination().target());
        if (n.dedupKey() != null) {
            h.put(RabbitMqEventQueue.H_DEDUP, n.dedupKey());
        }
        h.put(RabbitMqEventQueue.H_ACCEPTED, n.acceptedAt().toString());
        h.put(RabbitMqEventQueue.H_AGENT, agentId);
        int partition = RabbitMqEventQueue.partitionOf(n.orderingKey(), s.settings.partitions());
        long seq;
        CompletableFuture<Void> published;
        // sequence numbers follow publish order: the order the partitions hold the items in
        appendLock.lock();
        try {
            seq = s.nextSeq();
            h.put(Publisher.SEQ_HEADER, seq);
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .deliveryMode(2).contentType(n.contentType()).messageId(Long.toString(seq)).headers(h).build();
            s.inTransit.put(seq, System.nanoTime());
            appendsSinceRefresh.incrementAndGet();
            published = publisher.publish(s.partitionQueue(partition), props, n.body(), seq);
        } finally {
            appendLock.unlock();
        }
        return published.handle((v, t) -> {
            if (t != null) {
                s.inTransit.remove(seq);
                throw confirmFailure(t);
            }
            return seq;
        });
    }

    private static RuntimeException confirmFailure(Throwable t) {
        Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
        if (c instanceof TimeoutException) {
            return new StoreUnavailableException("the broker did not confirm within "
                    + Publisher.CONFIRM_TIMEOUT_SECONDS + " s", c);
        }
        return c instanceof RuntimeException re ? re : new StoreUnavailableException(c.toString(), c);
    }

    /** Own appends not seen by this agent's consumer yet; those older than 5 s were taken by another agent. */
    long inTransitCount() {
        return s.inTransit.size();
    }

    void pruneInTransit() {
        long now = System.nanoTime();
        s.inTransit.values().removeIf(t -> now - t > IN_TRANSIT_NANOS);
    }

    void refreshReady() throws IOException {
        admin.lock.lock();
        try {
            long before = appendsSinceRefresh.get();
            long sum = 0;
            long[] perPartition = new long[s.settings.partitions()];
            for (int p = 0; p < s.settings.partitions(); p++) {
                perPartition[p] = admin.channel().queueDeclarePassive(s.partitionQueue(p)).getMessageCount();
                sum += perPartition[p];
            }
            readyPerPartition = perPartition;
            cachedReady = sum;
            appendsSinceRefresh.addAndGet(-before);
        } finally {
            admin.lock.unlock();
        }
    }
}
