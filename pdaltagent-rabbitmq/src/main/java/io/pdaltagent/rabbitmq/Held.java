package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.Channel;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.QueuedItem;
import java.time.Instant;

/** One message held by this agent's consumer; its mutable fields are guarded by the consumer's lock. */
final class Held {
    final long seq;
    final String key;
    final Destination destination;
    final String contentType;
    final byte[] body;
    final String dedupKey;
    final Instant acceptedAt;
    final int partition;
    final long deliveryTag;
    final Channel channel;
    /** The partition's generation when it arrived: another generation means the broker has it again. */
    final long gen;
    /** 0, or when a person retried it from the dead letters: names its retry record with seq. */
    final long incarnation;
    DeliveryState state = DeliveryState.PENDING;
    int attempts;
    Instant nextAttemptAt;
    int lastStatus;
    String lastError;

    Held(long seq, String key, Destination destination, String contentType, byte[] body, String dedupKey,
         Instant acceptedAt, int partition, Channel channel, long deliveryTag, long gen, long incarnation) {
        this.seq = seq;
        this.key = key;
        this.destination = destination;
        this.contentType = contentType;
        this.body = body;
        this.dedupKey = dedupKey;
        this.acceptedAt = acceptedAt;
        this.partition = partition;
        this.channel = channel;
        this.deliveryTag = deliveryTag;
        this.gen = gen;
        this.incarnation = incarnation;
        this.nextAttemptAt = acceptedAt;
    }

    RetryLog.Id id() {
        return new RetryLog.Id(seq, incarnation);
    }

    /** Takes over what the retry log says about it (another agent's attempts, or an earlier run's). */
    void restore(RetryLog.Entry e) {
        if (e == null || e.done() || state != DeliveryState.PENDING) {
            return;
        }
        state = DeliveryState.RETRY_SCHEDULED;
        attempts = e.attempts();
        nextAttemptAt = e.nextAttemptAt();
        lastStatus = e.status();
        lastError = e.error();
    }

    QueuedItem snapshot() {
        return new QueuedItem(seq, key, destination, contentType, body, dedupKey, acceptedAt, state, attempts,
                nextAttemptAt, lastStatus, lastError);
    }
}
