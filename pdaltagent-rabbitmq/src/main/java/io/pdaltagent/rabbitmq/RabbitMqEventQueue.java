package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import io.pdaltagent.queue.ClaimScheduler;
import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.KeyStats;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.PartitionStats;
import io.pdaltagent.queue.QueueStats;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.queue.StoreUnavailableException;
import io.pdaltagent.queue.SuppressedCount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EventQueue} on RabbitMQ, for several agents sharing one broker.
 *
 * <p><b>Layout.</b> {@code N} durable quorum queues {@code <prefix>.p00 … p<N-1>} with
 * {@code x-single-active-consumer}, and a durable quorum dead-letter queue {@code <prefix>.dead}. An
 * item goes to partition {@code CRC32(UTF-8 ordering key) mod N}. N must be the same on every agent
 * and must not change while events are queued: a key would then have events in two partitions and
 * lose its order.
 *
 * <p><b>Append.</b> A persistent message (delivery mode 2) with the item in headers, published with
 * asynchronous publisher confirms over a bounded window; the append future completes on the
 * broker's confirm and fails on a nack, a return or a lost connection ({@link StoreUnavailableException}).
 *
 * <p><b>Claim.</b> Every agent consumes every partition; the broker makes one consumer per partition
 * active across the cluster, so one agent at a time serves a partition, in queue order, and another
 * takes over when it dies (its unacknowledged messages come back in order). The active consumer holds
 * up to the prefetch of unacknowledged messages per partition in memory as per-key FIFOs; claims are
 * served from them by the claim scheduler every backend shares ({@link ClaimScheduler}: one in
 * flight per key, head first, due keys round-robin). An appended item becomes claimable when the broker has delivered it to
 * the partition's active consumer, a few milliseconds after the append completed.
 *
 * <p><b>Acknowledgements and order.</b> An AMQP acknowledgement gets no answer: when the broker
 * stops, or the connection breaks, an acknowledgement already sent can be lost, and the message comes
 * back. Had the agent gone on to the key's next event, the key would then be delivered out of order
 * (38, 39, 38, 39). So a key's next event is claimed only once the broker is known to have applied
 * the acknowledgement of the one before: the agent publishes a small marker message to the partition
 * on the consumer's channel and waits for its confirm. A quorum queue applies commands in order, so
 * the marker's confirm means every acknowledgement sent before it on that channel is applied. One
 * marker covers every acknowledgement sent before it, at most one is outstanding per partition, and
 * none is sent while no key waits for one. Markers are acknowledged and ignored by whoever receives
 * them. What can still repeat after a broker restart or a failover is the last event delivered on a
 * key, right after itself.
 *
 * <p><b>Outcomes.</b> Delivered: the message is acknowledged. Retry: the message stays
 * unacknowledged in memory and holds its key until due; its attempts, last error and next attempt
 * time are written to the partition's retry log ({@link RetryLog}), which the next active consumer
 * reads before it claims anything of the partition: after a failover or a broker restart the count
 * goes on and the back-off continues where it was. Dead: the message is
 * published to the dead-letter queue with status, reason, attempts and key headers; once that
 * publish is confirmed the original is acknowledged. Released: back to the head, attempt not
 * counted.
 *
 * <p><b>Spreading partitions.</b> The broker keeps a partition with its active consumer as long as
 * that consumer lives, so the first agent to start would serve them all. Every few seconds an agent
 * that is active on more partitions than its share (partitions divided by the agents consuming the
 * presence queue {@code <prefix>.agents}) hands the excess over: it stops claiming from the
 * partition, waits until nothing of it is in flight and every acknowledgement is confirmed, forgets
 * what it holds of it and closes the partition's channel (the broker returns those messages in order
 * and makes the next agent's consumer active), then subscribes again at the back of the line.
 *
 * <p><b>Broker loss.</b> When a consumer channel or the connection goes, everything held from it is
 * forgotten (the broker gives it back); attempts in flight end normally but are not acknowledged.
 * Once the connection is back the agent subscribes again on new channels.
 *
 * <p><b>What is counted where.</b> {@link #openCount} is what this agent holds plus the partitions'
 * ready messages (a passive declare per partition); other agents' unacknowledged messages are not
 * counted. Delivered records (for "succeeded" in {@code pd-queue status} and {@link #get}) are kept
 * in memory by the agent that delivered them, bounded. Dead items live in the dead-letter queue:
 * {@link #listDead}, {@link #retryDead} and {@link #purge} read it with basic.get and leave what they
 * do not take to be requeued when their channel closes; these are for people, one at a time.
 *
 * <p><b>Sequence numbers</b> are unique and increasing per agent (time-based, so roughly increasing
 * across agents) and travel with the message, so {@link #get} finds an item on the agent that holds it.
 */
public final class RabbitMqEventQueue implements EventQueue {
    private static final Logger LOG = LoggerFactory.getLogger(RabbitMqEventQueue.class);
    /** Unacknowledged messages held per partition: with 16 partitions ~8,000 events, ~12 MB of heap for typical events. */
    public static final int DEFAULT_PREFETCH = 500;
    public static final int DEFAULT_CONFIRM_WINDOW = 256;
    private static final int REBALANCE_EVERY = 3;

    static final String H_KEY = "pdaltagent-key";
    static final String H_KIND = "pdaltagent-dest-kind";
    static final String H_TARGET = "pdaltagent-dest-target";
    static final String H_DEDUP = "pdaltagent-dedup-key";
    static final String H_ACCEPTED = "pdaltagent-accepted-at";
    static final String H_AGENT = "pdaltagent-agent";
    static final String H_STATUS = ParkedQueue.H_STATUS;
    static final String H_REASON = ParkedQueue.H_REASON;
    static final String H_ATTEMPTS = ParkedQueue.H_ATTEMPTS;
    static final String H_RETRIED = "pdaltagent-retried";
    /** When a person retried the dead item (epoch ms): a new incarnation, whose attempts start again. */
    static final String H_RETRIED_AT = "pdaltagent-retried-at";
    /** A marker message: confirms that the acknowledgements sent before it are applied; never delivered. */
    static final String H_MARKER = "pdaltagent-marker";

    /**
     * @param prefix queue names start with it (tests use a unique one)
     * @param partitions N, the same on every agent
     * @param prefetch unacknowledged messages held per partition
     * @param confirmWindow publishes waiting for a confirm at once
     * @param deleteQueuesOnClose for tests: remove the queues when closing
     */
    public record Settings(BrokerUrl url, String prefix, int partitions, long maxOpen, int prefetch, int confirmWindow,
                           boolean deleteQueuesOnClose) {
        public Settings {
            if (partitions < 1 || partitions > 1000) {
                throw new IllegalArgumentException("partitions must be between 1 and 1000, not " + partitions);
            }
        }
    }

    private final Settings settings;
    private final Connection pubConnection;
    private final Connection conConnection;
    private final Publisher publisher;
    private final BrokerBlock consumerBlock;
    private final String agentId = UUID.randomUUID().toString();
    private final AdminChannel admin;
    /** Dead letters, and the events suppressed at ingest: kept, never delivered. */
    private final ParkedQueue dead;
    private final ParkedQueue suppressed;
    private final ConsumerState state;
    private final PartitionConsumer consumer;
    private final Claims claims;
    private final Rebalancer rebalancer;
    private final DeadLetters deadLetters;
    private final Appender appender;
    private final Stats stats;
    private long refreshes;
    /** Counts, rebalancing and subscribing again after a loss: one thread, so these never overlap. */
    private final ScheduledExecutorService background = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "rabbitmq-background");
        t.setDaemon(true);
        return t;
    });

    /** Takes over two open connections (see {@link BrokerConnections#open}). */
    RabbitMqEventQueue(Settings settings, Clock clock, Connection pub, Connection con) throws IOException {
        this.settings = settings;
        this.pubConnection = pub;
        this.conConnection = con;
        this.publisher = new Publisher(pub, settings.confirmWindow());
        this.dead = new ParkedQueue(settings.prefix() + ".dead", DeliveryState.DEAD, pub, publisher);
        this.suppressed = new ParkedQueue(settings.prefix() + ".suppressed", DeliveryState.SUPPRESSED, pub, publisher);
        this.state = new ConsumerState(settings, clock, pub, publisher);
        this.admin = new AdminChannel(pub);
        this.consumer = new PartitionConsumer(state, con, agentId, background);
        this.claims = new Claims(state, consumer, dead, agentId);
        this.rebalancer = new Rebalancer(state, consumer, con, admin, agentId);
        this.deadLetters = new DeadLetters(state, dead, suppressed, publisher);
        this.appender = new Appender(state, publisher, dead, suppressed, admin, agentId);
        this.stats = new Stats(state, appender, deadLetters, dead, suppressed, admin, () -> publisher.blockedReason() != null);
        admin.lock.lock();
        try {
            declareQueues(admin.channel());
        } finally {
            admin.lock.unlock();
        }
        if (con instanceof Recoverable r) {
            r.addRecoveryListener(new RecoveryListener() {
                @Override
                public void handleRecovery(Recoverable recoverable) {
                    LOG.info("queue: the consumers' broker connection is back; subscribing again");
                    background.execute(rebalancer::subscribeMissing);
                }

                @Override
                public void handleRecoveryStarted(Recoverable recoverable) {
                    // nothing to do before the connection is back
                }
            });
        }
        // a resource alarm: RabbitMQ stops reading from connections that publish, and markers are
        // publishes, so deliveries pause until it clears (ingest answers 503 meanwhile)
        pub.addBlockedListener(reason -> LOG.warn("queue: the broker blocks publishing ({}): events are answered 503 "
                        + "and deliveries pause until the broker's alarm clears", reason),
                () -> LOG.info("queue: the broker takes messages again (its alarm cleared)"));
        this.consumerBlock = BrokerBlock.watch(con);
        con.addShutdownListener(cause -> {
            if (!state.closed) {
                LOG.warn("queue: lost the consumers' broker connection ({}); held messages go back to the broker",
                        cause.getMessage());
            }
        });
        background.scheduleWithFixedDelay(() -> {
            try {
                appender.pruneInTransit();
                if (publisher.isUp()) {
                    appender.refreshReady();
                    if (conConnection.isOpen()) {
                        rebalancer.subscribeMissing();
                        if (++refreshes % REBALANCE_EVERY == 0) {
                            rebalancer.rebalance();
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("queue: refreshing the partitions' counts failed: {}", e.toString());
            }
        }, 1, 1, TimeUnit.SECONDS);
        rebalancer.subscribePresence();
        for (int p = 0; p < settings.partitions(); p++) {
            consumer.subscribe(p);
        }
    }

    String agentsQueue() {
        return state.agentsQueue();
    }

    /**
     * Connects, declares the queues and starts consuming.
     *
     * @throws IllegalArgumentException for wrong credentials, a missing vhost or queues declared with
     *     other settings
     * @throws StoreUnavailableException when the broker cannot be reached
     */
    public static RabbitMqEventQueue open(Settings settings, Clock clock) {
        return BrokerConnections.open(settings, clock);
    }

    String partitionQueue(int p) {
        return state.partitionQueue(p);
    }

    String deadQueue() {
        return dead.name();
    }

    String suppressedQueue() {
        return suppressed.name();
    }

    /** The partition of an ordering key: CRC32 of its UTF-8 bytes, mod N. */
    public static int partitionOf(String key, int partitions) {
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % partitions);
    }

    private void declareQueues(Channel ch) throws IOException {
        Map<String, Object> args = Map.of("x-queue-type", "quorum", "x-single-active-consumer", true);
        for (int p = 0; p < settings.partitions(); p++) {
            ch.queueDeclare(partitionQueue(p), true, false, false, args);
        }
        dead.declare(ch);
        suppressed.declare(ch);
        state.retryLog.declare(ch, settings.partitions());
    }

    /** The retry log of a partition (see {@link RetryLog}). */
    String retryQueue(int p) {
        return state.retryQueue(p);
    }

    // ---------------------------------------------------------------- message headers

    static String str(Map<String, Object> h, String name) {
        Object v = h == null ? null : h.get(name);
        return v == null ? null : v.toString();
    }

    static long num(Map<String, Object> h, String name, long dflt) {
        Object v = h == null ? null : h.get(name);
        if (v instanceof Number n) {
            return n.longValue();
        }
        if (v != null) {
            try {
                return Long.parseLong(v.toString());
            } catch (NumberFormatException ignored) {
                return dflt;
            }
        }
        return dflt;
    }

    // ---------------------------------------------------------------- the EventQueue, by section

    @Override
    public CompletableFuture<Long> append(NewItem n) {
        return appender.append(n);
    }

    /** For tests: waits until this agent's consumer holds the item and may claim it (or it was completed). */
    boolean awaitVisible(long seq, Duration timeout) throws InterruptedException {
        return state.awaitVisible(seq, timeout);
    }

    @Override
    public List<QueuedItem> claim(int max, Duration maxWait) throws InterruptedException {
        return claims.claim(max, maxWait);
    }

    @Override
    public CompletableFuture<Void> complete(QueuedItem claimed, Completion c) {
        return claims.complete(claimed, c);
    }

    @Override
    public int retryDead(String keyOrNull) {
        return deadLetters.retryDead(keyOrNull);
    }

    @Override
    public int retryDeadItems(Collection<Long> seqs) {
        return deadLetters.retryDeadItems(seqs);
    }

    @Override
    public int purgeDeadItems(Collection<Long> seqs) {
        return deadLetters.purgeDeadItems(seqs);
    }

    @Override
    public int purge(DeliveryState s, String keyOrNull) {
        return deadLetters.purge(s, keyOrNull);
    }

    @Override
    public List<QueuedItem> listDead(String keyOrNull, int limit) {
        return deadLetters.listDead(keyOrNull, limit);
    }

    @Override
    public List<QueuedItem> listSuppressed(String keyOrNull, int limit) {
        return deadLetters.listSuppressed(keyOrNull, limit);
    }

    @Override
    public List<SuppressedCount> suppressedCounts(String keyOrNull) {
        return deadLetters.suppressedCounts(keyOrNull);
    }

    @Override
    public QueuedItem get(long seq) {
        return stats.get(seq);
    }

    @Override
    public List<KeyStats> keyStats(String keyOrNull) {
        return stats.keyStats(keyOrNull);
    }

    @Override
    public QueueStats stats() {
        return stats.stats();
    }

    @Override
    public long openCount() {
        return stats.openCount();
    }

    @Override
    public int pruneDelivered(Instant cutoff) {
        return stats.pruneDelivered(cutoff);
    }

    /** Ready counts as of the last refresh (at most about a second old after a stats call). */
    @Override
    public List<PartitionStats> partitionStats() {
        return stats.partitionStats();
    }

    @Override
    public boolean keepsSuppressed() {
        return true;
    }

    @Override
    public boolean isHealthy() {
        return !state.closed && publisher.isUp() && conConnection.isOpen();
    }

    /** Whether each connection is up, for health and logs. */
    public String brokerState() {
        return "publish " + (publisher.isUp() ? "up" : "down") + ", consume " + (conConnection.isOpen() ? "up" : "down");
    }

    @Override
    public Map<String, Object> backendHealth() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("url", settings.url().masked());
        m.put("publish_connection", publisher.isUp() ? "up" : "down");
        m.put("consume_connection", conConnection.isOpen() ? "up" : "down");
        m.put("partitions", settings.partitions());
        m.put("unconfirmed_publishes", publisher.outstanding());
        String blocked = publisher.blockedReason() != null ? publisher.blockedReason() : consumerBlock.reason();
        if (blocked != null) {
            m.put("blocked_by_broker", blocked);
        }
        return m;
    }

    /**
     * For tests: the agent dies, as a killed process would: both connections cut at once, nothing
     * acknowledged, nothing waited for; the broker gives back what it held.
     */
    void abortAsIfKilled() {
        state.closed = true;
        state.schedule.close();
        background.shutdownNow();
        consumer.close();
        state.retryLog.close();
        conConnection.abort(1000);
        pubConnection.abort(1000);
    }

    @Override
    public void close() {
        if (state.closed) {
            return;
        }
        state.closed = true;
        state.schedule.close();
        background.shutdownNow();
        consumer.close();
        state.retryLog.close();
        state.lock.lock();
        try {
            state.changed.signalAll();
        } finally {
            state.lock.unlock();
        }
        // wait briefly for publishes under way
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (publisher.outstanding() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            // held messages go back to the broker when the consumer connection closes
            conConnection.close(5000);
        } catch (IOException | RuntimeException e) {
            conConnection.abort(1000);
        }
        if (settings.deleteQueuesOnClose()) {
            try {
                Channel ch = pubConnection.createChannel();
                for (int p = 0; p < settings.partitions(); p++) {
                    ch.queueDelete(partitionQueue(p));
                }
                ch.queueDelete(deadQueue());
                ch.queueDelete(suppressedQueue());
                ch.queueDelete(agentsQueue());
                for (int p = 0; p < settings.partitions(); p++) {
                    ch.queueDelete(retryQueue(p));
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("queue: could not delete the test queues: {}", e.toString());
            }
        }
        try {
            pubConnection.close(5000);
        } catch (IOException | RuntimeException e) {
            pubConnection.abort(1000);
        }
    }
}
