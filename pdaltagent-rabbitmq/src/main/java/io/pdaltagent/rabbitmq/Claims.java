package io.pdaltagent.rabbitmq;

import io.pdaltagent.queue.ClaimScheduler;
import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.queue.StoreUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims and outcomes on RabbitMQ: serves {@link io.pdaltagent.queue.EventQueue#claim} through the
 * shared {@link ClaimScheduler} (a key's head goes out when its partition is served here, its retry
 * log is read and every acknowledgement of the key is confirmed), and ends attempts: delivered items
 * are acknowledged, retries written to the retry log, dead ones parked in the dead letters first.
 *
 * <p><b>Threads.</b> Any thread may claim and complete; state is guarded by the consumer's lock
 * ({@link ConsumerState}), never held while publishing or waiting for a confirm; the completion of a
 * retry or a dead letter continues on the thread that completes the confirm.
 */
final class Claims {
    private static final Logger LOG = LoggerFactory.getLogger(Claims.class);

    private final ConsumerState s;
    private final PartitionConsumer consumer;
    private final ParkedQueue dead;
    private final String agentId;
    private final RabbitHeads heads = new RabbitHeads();

    Claims(ConsumerState s, PartitionConsumer consumer, ParkedQueue dead, String agentId) {
        this.s = s;
        this.consumer = consumer;
        this.dead = dead;
        this.agentId = agentId;
    }

    List<QueuedItem> claim(int max, Duration maxWait) throws InterruptedException {
        if (s.closed) {
            return List.of();
        }
        return s.schedule.claim(max, maxWait, heads);
    }

    /**
     * The claim scheduler's view of the held messages: a key's head may go out when its partition is
     * served here (not draining, its retry log read, its channel current) and every acknowledgement
     * of the key is confirmed; otherwise the key is held back and released when that changes.
     */
    private final class RabbitHeads implements ClaimScheduler.Heads {
            @Override
            public List<ClaimScheduler.Head> read(List<String> claimedKeys) {
            List<ClaimScheduler.Head> out = new ArrayList<>(claimedKeys.size());
            s.lock.lock();
            try {
                for (String key : claimedKeys) {
                    out.add(head(key));
                }
            } finally {
                s.lock.unlock();
            }
            return out;
        }

        /** Under the consumer's lock. */
        private ClaimScheduler.Head head(String key) {
            KeyState ks = s.keys.get(key);
            Held head = ks == null ? null : ks.head();
            if (ks != null && (ks.inFlight != null || ks.awaitingConfirm)) {
                return ClaimScheduler.Skip.HELD;  // its completion, or the marker's confirm, releases the key
            }
            if (head == null) {
                if (ks != null) {
                    s.keys.remove(key, ks);
                }
                return ClaimScheduler.Skip.NONE;
            }
            Part part = s.parts[ks.partition];
            if (part.draining || !part.logLoaded) {
                part.heldBack.add(key);
                return ClaimScheduler.Skip.HELD;
            }
            if (head.gen != part.gen || !head.channel.isOpen()) {
                // its channel is gone or going: the loss forgets the key, the broker gives the partition out again
                return ClaimScheduler.Skip.HELD;
            }
            if (ks.mustConfirm > part.acksConfirmed) {
                ks.awaitingConfirm = true;
                part.awaiting.addLast(key);
                consumer.requestMarker(part);
                return ClaimScheduler.Skip.HELD;
            }
            return ClaimScheduler.Head.open(head.snapshot());
        }

            @Override
            public List<QueuedItem> take(List<QueuedItem> due) {
            List<QueuedItem> out = new ArrayList<>(due.size());
            s.lock.lock();
            try {
                for (QueuedItem item : due) {
                    KeyState ks = s.keys.get(item.orderingKey());
                    Held head = ks == null ? null : ks.head();
                    if (head == null || head.seq != item.seq() || ks.inFlight != null || head.gen != s.parts[ks.partition].gen) {
                        // changed since it was read: looked at again
                        s.schedule.released(item.orderingKey(), 0, null);
                        continue;
                    }
                    DeliveryState.checkTransition(head.state, DeliveryState.IN_FLIGHT);
                    head.state = DeliveryState.IN_FLIGHT;
                    head.attempts++;
                    ks.inFlight = head;
                    out.add(head.snapshot());
                }
            } finally {
                s.lock.unlock();
            }
            return out;
        }
    }

    CompletableFuture<Void> complete(QueuedItem claimed, Completion c) {
        Held held;
        KeyState ks;
        s.lock.lock();
        try {
            ks = s.keys.get(claimed.orderingKey());
            held = ks == null ? null : ks.inFlight;
            if (held == null || held.seq != claimed.seq() || held.state != DeliveryState.IN_FLIGHT) {
                return CompletableFuture.failedFuture(new IllegalStateException("item " + claimed.seq() + " is not in flight"));
            }
            DeliveryState.checkTransition(held.state, c.targetState());
            if (held.gen != s.parts[held.partition].gen) {
                // the channel that delivered it is gone: the broker has it again and redelivers it
                s.drop(held, ks, null);
                return CompletableFuture.completedFuture(null);
            }
            switch (c) {
                case Completion.Delivered d -> {
                    held.state = DeliveryState.DELIVERED;
                    held.lastStatus = d.status();
                    ArrayDeque<Instant> times = s.delivered.computeIfAbsent(held.key, k -> new ArrayDeque<>());
                    times.addLast(s.clock.instant());
                    if (times.size() > ConsumerState.DELIVERED_PER_KEY_LIMIT) {
                        times.pollFirst();
                    }
                    s.recent.put(held.seq, held.snapshot());
                    // leaves the key's FIFO now; the key stays claimed until the acknowledgement is sent
                    s.bySeq.remove(held.seq, held);
                    ks.remove(held);
                }
                case Completion.Retry r -> {
                    held.state = DeliveryState.RETRY_SCHEDULED;
                    held.nextAttemptAt = r.at();
                    held.lastStatus = r.status();
                    held.lastError = r.error();
                }
                case Completion.Released r -> {
                    held.state = DeliveryState.PENDING;
                    held.attempts = Math.max(0, held.attempts - 1);
                    s.release(held.key, ks, r.keyDueAt());
                    return CompletableFuture.completedFuture(null);
                }
                case Completion.Dead d -> {
                    // the key stays held until the dead letter is confirmed
                }
            }
        } finally {
            s.lock.unlock();
        }
        if (c instanceof Completion.Delivered d) {
            consumer.acknowledge(held, ks, d.keyDueAt());
            return CompletableFuture.completedFuture(null);
        }
        if (c instanceof Completion.Retry r) {
            return recordRetry(held, ks, r);
        }
        Completion.Dead d = (Completion.Dead) c;
        KeyState fks = ks;
        return dead.park(new ParkedQueue.Parked(held.seq, held.key, held.destination, held.contentType, held.body,
                held.dedupKey, held.acceptedAt, d.status(), d.reason(), held.attempts, s.clock.instant(), agentId)).handle((v, t) -> {
            if (t != null) {
                s.lock.lock();
                try {
                    // not dead-lettered: the item stays at the head and is tried again
                    held.state = DeliveryState.PENDING;
                    if (held.gen == s.parts[held.partition].gen) {
                        s.release(held.key, fks, d.keyDueAt());
                    } else {
                        s.drop(held, fks, null);
                    }
                } finally {
                    s.lock.unlock();
                }
                Throwable cause = t.getCause() != null ? t.getCause() : t;
                throw cause instanceof RuntimeException re ? re : new StoreUnavailableException(cause.toString(), cause);
            }
            s.lock.lock();
            try {
                held.state = DeliveryState.DEAD;
                held.lastStatus = d.status();
                held.lastError = d.reason();
                s.recent.put(held.seq, held.snapshot());
                s.bySeq.remove(held.seq, held);
                fks.remove(held);
            } finally {
                s.lock.unlock();
            }
            consumer.acknowledge(held, fks, d.keyDueAt());
            return null;
        });
    }

    /**
     * Writes the retry to the partition's retry log; the key stays claimed until the broker confirmed
     * it (so that a hand-over never leaves a record behind), then waits for the retry. A record the
     * broker did not take costs only that the next agent to serve the partition counts this attempt
     * again: the retry goes on either way.
     */
    CompletableFuture<Void> recordRetry(Held held, KeyState ks, Completion.Retry r) {
        return s.retryLog.record(held.partition, held.id(), held.attempts, r.at(), r.status(), r.error())
                .handle((v, t) -> {
                    if (t != null) {
                        LOG.warn("queue: the retry of Event(seq={}) was not recorded on the broker ({}); another agent "
                                + "taking its partition over would count its attempts from the last record", held.seq,
                                t.toString());
                    }
                    s.lock.lock();
                    try {
                        if (held.gen == s.parts[held.partition].gen) {
                            s.release(held.key, ks, r.at());
                        } else {
                            s.drop(held, ks, null);
                        }
                    } finally {
                        s.lock.unlock();
                    }
                    return null;
                });
    }
}
