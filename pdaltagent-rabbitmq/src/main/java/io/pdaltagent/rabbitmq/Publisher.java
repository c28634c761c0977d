package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import io.pdaltagent.queue.StoreUnavailableException;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Publishes with asynchronous publisher confirms and a bounded window: at most {@code window}
 * publishes wait for their confirm at once. Each publish's future completes when the broker
 * confirmed it (the message is on a quorum of the queue's replicas), and fails on a nack, on a
 * return (no such queue), when the channel closes before the confirm came, and when no confirm came
 * within {@link #CONFIRM_TIMEOUT_SECONDS}: no confirm, no success. While a publish has waited that
 * long the publisher counts as down, so that callers answer "unavailable" at once instead of waiting
 * on a broker that has stopped answering without closing the connection (seen while RabbitMQ stops).
 * The publisher is also down while the broker has blocked the connection (a memory or disk alarm:
 * RabbitMQ stops reading from publishing connections until it clears), so that callers are told at
 * once rather than after the confirm timeout.
 */
final class Publisher {
    static final String SEQ_HEADER = "pdaltagent-seq";
    static final long CONFIRM_TIMEOUT_SECONDS = 5;

    private record Pending(CompletableFuture<Void> future, long itemSeq, long sentAt) {
    }

    private final Connection connection;
    private final Semaphore window;
    private final ReentrantLock publishLock = new ReentrantLock();
    private final ConcurrentSkipListMap<Long, Pending> outstanding = new ConcurrentSkipListMap<>();
    private final Set<Long> returned = ConcurrentHashMap.newKeySet();
    private volatile Channel channel;
    private final BrokerBlock block;

    Publisher(Connection connection, int window) throws IOException {
        this.connection = connection;
        this.window = new Semaphore(window);
        this.block = BrokerBlock.watch(connection);
        openChannel();
    }

    /** Why the broker blocks publishing (a resource alarm), or null when it does not. */
    String blockedReason() {
        return block.reason();
    }

    /** What a caller is told while {@link #isUp} is false. */
    StoreUnavailableException unavailable() {
        String blocked = block.reason();
        return new StoreUnavailableException(blocked != null
                ? "the broker blocks publishing (" + blocked + ")" : "the broker is not connected");
    }

    private void openChannel() throws IOException {
        Channel ch = connection.createChannel();
        ch.confirmSelect();
        ch.addConfirmListener(new ConfirmListener() {
            @Override
            public void handleAck(long tag, boolean multiple) {
                settle(tag, multiple, null);
            }

            @Override
            public void handleNack(long tag, boolean multiple) {
                settle(tag, multiple, new StoreUnavailableException("the broker refused the message (nack)"));
            }
        });
        ch.addReturnListener(r -> {
            Object s = r.getProperties().getHeaders() == null ? null : r.getProperties().getHeaders().get(SEQ_HEADER);
            if (s instanceof Number n) {
                returned.add(n.longValue());
            }
        });
        ch.addShutdownListener(this::failAll);
        channel = ch;
    }

    private void settle(long tag, boolean multiple, RuntimeException failure) {
        if (multiple) {
            ConcurrentNavigableMap<Long, Pending> head = outstanding.headMap(tag, true);
            for (Map.Entry<Long, Pending> e : head.entrySet()) {
                if (outstanding.remove(e.getKey(), e.getValue())) {
                    finish(e.getValue(), failure);
                }
            }
        } else {
            Pending p = outstanding.remove(tag);
            if (p != null) {
                finish(p, failure);
            }
        }
    }

    private void finish(Pending p, RuntimeException failure) {
        if (failure == null && returned.remove(p.itemSeq)) {
            failure = new StoreUnavailableException("the broker has no queue for the message (returned)");
        }
        if (failure == null) {
            p.future.complete(null);
        } else {
            p.future.completeExceptionally(failure);
        }
    }

    private void failAll(ShutdownSignalException cause) {
        publishLock.lock();
        try {
            StoreUnavailableException e = new StoreUnavailableException("broker connection lost before the confirm", cause);
            for (Long tag : outstanding.keySet()) {
                Pending p = outstanding.remove(tag);
                if (p != null) {
                    p.future.completeExceptionally(e);
                }
            }
        } finally {
            publishLock.unlock();
        }
    }

    boolean isUp() {
        Channel ch = channel;
        if (!connection.isOpen() || ch == null || !ch.isOpen() || block.reason() != null) {
            return false;
        }
        Map.Entry<Long, Pending> oldest = outstanding.firstEntry();
        return oldest == null
                || System.nanoTime() - oldest.getValue().sentAt() < TimeUnit.SECONDS.toNanos(CONFIRM_TIMEOUT_SECONDS);
    }

    /** Publishes to a queue through the default exchange; completes once the broker confirmed. */
    CompletableFuture<Void> publish(String queue, AMQP.BasicProperties props, byte[] body, long itemSeq) {
        if (!isUp()) {
            return CompletableFuture.failedFuture(unavailable());
        }
        try {
            if (!window.tryAcquire(CONFIRM_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                return CompletableFuture.failedFuture(new StoreUnavailableException(
                        "the broker did not confirm earlier messages within " + CONFIRM_TIMEOUT_SECONDS + " s"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new StoreUnavailableException("interrupted", e));
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        publishLock.lock();
        try {
            Channel ch = channel;
            long tag = ch.getNextPublishSeqNo();
            Pending pending = new Pending(f, itemSeq, System.nanoTime());
            outstanding.put(tag, pending);
            f.orTimeout(CONFIRM_TIMEOUT_SECONDS, TimeUnit.SECONDS).whenComplete((v, t) -> {
                window.release();
                if (t != null) {
                    outstanding.remove(tag, pending);
                }
            });
            try {
                ch.basicPublish("", queue, true, props, body);
            } catch (IOException | AlreadyClosedException e) {
                Pending p = outstanding.remove(tag);
                if (p != null) {
                    p.future.completeExceptionally(new StoreUnavailableException("publish failed: " + e.getMessage(), e));
                }
            }
        } finally {
            publishLock.unlock();
        }
        return f;
    }

    int outstanding() {
        return outstanding.size();
    }
}
