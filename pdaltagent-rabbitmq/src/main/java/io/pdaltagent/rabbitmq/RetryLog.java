package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable record of retries on RabbitMQ: attempts, last status and error, and the next attempt
 * time of every item that waits for a retry, kept across a failover and a broker restart.
 *
 * <p><b>Layout.</b> One durable quorum queue per partition, {@code <prefix>.pNN.retries}, written
 * only by the partition's active consumer. Each retry outcome is one small message (headers only,
 * no body) naming the item by sequence number and incarnation (a dead item retried by a person is a
 * new incarnation, counted from zero). An item that leaves the partition (delivered or dead) after a
 * retry gets a tombstone.
 *
 * <p><b>Reading and compacting.</b> An agent that becomes the partition's active consumer reads the
 * whole log before it claims anything of the partition ({@link #load}): it takes every message with
 * basic.get, keeps per item the record with the most attempts (a tombstone wins; a record older
 * than {@link #RETENTION} is dropped), publishes that set again with confirms, and only then
 * acknowledges what it read. A crash at any point leaves at least every record in the queue (the
 * unacknowledged ones come back), so merging by attempts, not by queue order, keeps the result the
 * same. While active, the agent compacts again ({@link #record} schedules it) once the log holds
 * more than twice its live records, from its own memory, which is then the truth.
 *
 * <p><b>What can be lost.</b> The record of an attempt whose outcome was not confirmed by the broker
 * when the agent died: the next agent counts that attempt again, once. Records are published on
 * the publishing connection, the partition is given up on the consuming one; when an agent is killed
 * the two close in either order, so a record sent in the last milliseconds may land after the next
 * agent read the log: the same single attempt.
 *
 * <p><b>Threads.</b> {@link #load} and compactions run on this class's own worker thread, one at a
 * time; {@link #record}, {@link #done} and {@link #lookup} may be called from any thread (the live
 * records of each partition are guarded by their map's monitor) and never wait for the broker.
 */
final class RetryLog {
    private static final Logger LOG = LoggerFactory.getLogger(RetryLog.class);
    static final String H_INCARNATION = "pdaltagent-incarnation";
    static final String H_NEXT_AT = "pdaltagent-next-attempt-at";
    static final String H_DONE = "pdaltagent-done";
    static final String H_WRITTEN_AT = "pdaltagent-written-at";
    /** Older records are garbage (their item left without a tombstone); no event waits for 30 days. */
    static final Duration RETENTION = Duration.ofDays(30);
    /** A log of fewer records than this is never compacted while active: reading it costs nothing. */
    static final int COMPACT_MIN = 256;
    private static final long CONFIRM_SECONDS = 30;
    private static final byte[] NO_BODY = new byte[0];

    /** An item of a partition: its sequence number and incarnation (0, or when a person retried it). */
    record Id(long seq, long incarnation) {
    }

    /** One item's retry state; {@code done}: the item left the partition (a tombstone). */
    record Entry(Id id, int attempts, Instant nextAttemptAt, int status, String error, Instant writtenAt, boolean done) {
        /** Whether this record replaces {@code other} for the same item. */
        boolean supersedes(Entry other) {
            if (done != other.done) {
                return done;
            }
            if (attempts != other.attempts) {
                return attempts > other.attempts;
            }
            return !writtenAt.isBefore(other.writtenAt);
        }
    }

    private final Connection connection;
    private final Publisher publisher;
    private final Clock clock;
    private final IntFunction<String> queueName;
    private final List<Map<Id, Entry>> live;
    private final AtomicInteger[] written;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("rabbitmq-retry-log").daemon(true).factory());

    /**
     * @param connection opens the channels that read the logs
     * @param queueName the log queue of a partition
     */
    RetryLog(Connection connection, Publisher publisher, Clock clock, int partitions, IntFunction<String> queueName) {
        this.connection = connection;
        this.publisher = publisher;
        this.clock = clock;
        this.queueName = queueName;
        this.live = new ArrayList<>(partitions);
        this.written = new AtomicInteger[partitions];
        for (int p = 0; p < partitions; p++) {
            live.add(new HashMap<>());
            written[p] = new AtomicInteger();
        }
    }

    void declare(Channel ch, int partitions) throws IOException {
        for (int p = 0; p < partitions; p++) {
            ch.queueDeclare(queueName.apply(p), true, false, false, Map.of("x-queue-type", "quorum"));
        }
    }

    /**
     * Reads and compacts partition {@code p}'s log on the worker; completes with its live records,
     * which from then on are this agent's to keep (until {@link #forget}).
     */
    CompletableFuture<Map<Id, Entry>> load(int p) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                Map<Id, Entry> entries = compact(p, null);
                Map<Id, Entry> m = live.get(p);
                synchronized (m) {
                    m.clear();
                    m.putAll(entries);
                    written[p].set(entries.size());
                    return Map.copyOf(m);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, worker);
    }

    /** The live record of an item of partition {@code p}, or null. */
    Entry lookup(int p, Id id) {
        Map<Id, Entry> m = live.get(p);
        synchronized (m) {
            return m.get(id);
        }
    }

    /** Stores a retry outcome; completes once the broker confirmed it (fails when it did not). */
    CompletableFuture<Void> record(int p, Id id, int attempts, Instant nextAttemptAt, int status, String error) {
        Entry e = new Entry(id, attempts, nextAttemptAt, status, error, clock.instant(), false);
        Map<Id, Entry> m = live.get(p);
        int liveCount;
        synchronized (m) {
            m.put(id, e);
            liveCount = m.size();
        }
        if (written[p].incrementAndGet() > Math.max(COMPACT_MIN, 2 * liveCount)) {
            written[p].set(liveCount);
            worker.execute(() -> compactLive(p));
        }
        return publisher.publish(queueName.apply(p), props(e), NO_BODY, id.seq());
    }

    /** The item left partition {@code p} (delivered or dead): its record, if it has one, is ended. */
    void done(int p, Id id) {
        Map<Id, Entry> m = live.get(p);
        synchronized (m) {
            if (m.remove(id) == null) {
                return;
            }
        }
        written[p].incrementAndGet();
        Entry tomb = new Entry(id, Integer.MAX_VALUE, clock.instant(), 0, null, clock.instant(), true);
        // not waited for: a lost tombstone leaves a record that ages out (RETENTION)
        publisher.publish(queueName.apply(p), props(tomb), NO_BODY, id.seq()).exceptionally(t -> {
            LOG.debug("queue: a retry record's tombstone was not confirmed: {}", t.toString());
            return null;
        });
    }

    /** This agent no longer consumes partition {@code p}: the next active consumer reads the log. */
    void forget(int p) {
        Map<Id, Entry> m = live.get(p);
        synchronized (m) {
            m.clear();
        }
    }

    void close() {
        worker.shutdownNow();
    }

    private void compactLive(int p) {
        Map<Id, Entry> snapshot;
        Map<Id, Entry> m = live.get(p);
        synchronized (m) {
            snapshot = Map.copyOf(m);
        }
        try {
            compact(p, snapshot);
        } catch (IOException | RuntimeException e) {
            LOG.debug("queue: compacting {} failed (tried again later): {}", queueName.apply(p), e.toString());
        }
    }

    /**
     * Takes every record of the log, publishes the live set again (merged from what was read, or
     * {@code authoritative} when given), confirms it, then acknowledges what was read.
     */
    private Map<Id, Entry> compact(int p, Map<Id, Entry> authoritative) throws IOException {
        String queue = queueName.apply(p);
        Channel ch = connection.createChannel();
        try {
            Map<Id, Entry> merged = new HashMap<>();
            long lastTag = -1;
            int read = 0;
            for (GetResponse r = ch.basicGet(queue, false); r != null; r = ch.basicGet(queue, false)) {
                lastTag = r.getEnvelope().getDeliveryTag();
                read++;
                Entry e = parse(r.getProps().getHeaders());
                if (e != null) {
                    merged.merge(e.id(), e, (a, b) -> b.supersedes(a) ? b : a);
                }
            }
            Instant oldest = clock.instant().minus(RETENTION);
            Map<Id, Entry> keep = new HashMap<>();
            for (Entry e : (authoritative != null ? authoritative : merged).values()) {
                if (!e.done() && e.writtenAt().isAfter(oldest)) {
                    keep.put(e.id(), e);
                }
            }
            List<CompletableFuture<Void>> confirms = new ArrayList<>(keep.size());
            for (Entry e : keep.values()) {
                confirms.add(publisher.publish(queue, props(e), NO_BODY, e.id().seq()));
            }
            CompletableFuture.allOf(confirms.toArray(CompletableFuture[]::new)).get(CONFIRM_SECONDS, TimeUnit.SECONDS);
            if (lastTag >= 0) {
                ch.basicAck(lastTag, true);
            }
            if (read > 0) {
                LOG.debug("queue: {} compacted: {} record(s) read, {} kept", queue, read, keep.size());
            }
            return keep;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("the broker did not confirm the compacted records of " + queue + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while compacting " + queue, e);
        } finally {
            try {
                // what was read and not acknowledged goes back to the queue
                ch.close();
            } catch (IOException | java.util.concurrent.TimeoutException | RuntimeException ignored) {
                // the channel is gone already
            }
        }
    }

    private static AMQP.BasicProperties props(Entry e) {
        Map<String, Object> h = new HashMap<>();
        h.put(Publisher.SEQ_HEADER, e.id().seq());
        h.put(H_INCARNATION, e.id().incarnation());
        h.put(RabbitMqEventQueue.H_ATTEMPTS, e.attempts());
        h.put(RabbitMqEventQueue.H_STATUS, e.status());
        if (e.error() != null) {
            h.put(RabbitMqEventQueue.H_REASON, e.error());
        }
        h.put(H_NEXT_AT, e.nextAttemptAt().toString());
        h.put(H_WRITTEN_AT, e.writtenAt().toString());
        if (e.done()) {
            h.put(H_DONE, true);
        }
        return new AMQP.BasicProperties.Builder().deliveryMode(2).headers(h).build();
    }

    /** A record from its headers; null for one that is not (nothing else is published to a log). */
    static Entry parse(Map<String, Object> h) {
        if (h == null || !(h.get(Publisher.SEQ_HEADER) instanceof Number seq)) {
            return null;
        }
        try {
            long inc = h.get(H_INCARNATION) instanceof Number n ? n.longValue() : 0;
            int attempts = h.get(RabbitMqEventQueue.H_ATTEMPTS) instanceof Number n ? n.intValue() : 0;
            int status = h.get(RabbitMqEventQueue.H_STATUS) instanceof Number n ? n.intValue() : 0;
            Object reason = h.get(RabbitMqEventQueue.H_REASON);
            Instant next = Instant.parse(String.valueOf(h.get(H_NEXT_AT)));
            Instant at = Instant.parse(String.valueOf(h.get(H_WRITTEN_AT)));
            return new Entry(new Id(seq.longValue(), inc), attempts, next, status, reason == null ? null : reason.toString(),
                    at, Boolean.TRUE.equals(h.get(H_DONE)));
        } catch (RuntimeException e) {
            return null;
        }
    }
}
