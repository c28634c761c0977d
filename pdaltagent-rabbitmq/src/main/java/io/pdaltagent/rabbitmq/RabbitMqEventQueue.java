package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.DueKeys;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.KeyStats;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueueFullException;
import io.pdaltagent.queue.QueueStats;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.queue.StoreUnavailableException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
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
 * served from them with the same rules as the embedded queue (one in flight per key, head first,
 * ready keys round-robin). An appended item becomes claimable when the broker has delivered it to
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
 * unacknowledged in memory and holds its key until due; attempts and the last error live in memory
 * only, so they start again when another agent takes the partition over. Dead: the message is
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
    private static final int RECENT_LIMIT = 10_000;
    private static final int DELIVERED_PER_KEY_LIMIT = 1_000;
    private static final long IN_TRANSIT_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final int REBALANCE_EVERY = 3;
    private static final byte[] NO_BODY = new byte[0];

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

    /** One message held by this agent's consumer. */
    private static final class Held {
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
        DeliveryState state = DeliveryState.PENDING;
        int attempts;
        Instant nextAttemptAt;
        /** Its retry's wait was measured out on the monotonic ticker: due even if the wall clock went back. */
        boolean retryWaited;
        int lastStatus;
        String lastError;

        Held(long seq, String key, Destination destination, String contentType, byte[] body, String dedupKey,
             Instant acceptedAt, int partition, Channel channel, long deliveryTag, long gen) {
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
            this.nextAttemptAt = acceptedAt;
        }

        QueuedItem snapshot() {
            return new QueuedItem(seq, key, destination, contentType, body, dedupKey, acceptedAt, state, attempts,
                    nextAttemptAt, lastStatus, lastError);
        }
    }

    private static final class KeyState {
        final int partition;
        final ArrayDeque<Held> retried = new ArrayDeque<>();
        final ArrayDeque<Held> fifo = new ArrayDeque<>();
        /** Claimed and not finished: being delivered, or its acknowledgement being sent. */
        Held inFlight;
        boolean queuedReady;
        /** The partition's acknowledgement count that must be confirmed before the next claim. */
        long mustConfirm;
        boolean awaitingConfirm;
        /** The key is paced: its next item is not claimed before this (a wake is registered for it). */
        Instant notBefore;

        KeyState(int partition) {
            this.partition = partition;
        }

        Held head() {
            return retried.isEmpty() ? fifo.peekFirst() : retried.peekFirst();
        }

        boolean isEmpty() {
            return retried.isEmpty() && fifo.isEmpty() && inFlight == null;
        }

        void remove(Held h) {
            if (!retried.remove(h)) {
                fifo.remove(h);
            }
        }
    }

    /**
     * One partition as this agent consumes it. {@code writeLock} orders acknowledgements and markers
     * on the channel and guards the marker fields; it is never taken under the queue's lock (a write
     * to a dying connection can block), and the queue's lock is never taken under it. The rest is under
     * the queue's lock.
     */
    private static final class Part {
        final int index;
        final ReentrantLock writeLock = new ReentrantLock();
        volatile Channel channel;
        /** Bumped whenever the channel is lost or replaced: held items of older generations are the broker's again. */
        volatile long gen;
        /** This agent's consumer got a delivery since it subscribed: it is the active one. */
        boolean active;
        /** Being handed over to another agent: nothing more is claimed from it. */
        boolean draining;
        /**
         * Acknowledgements sent on the channel (counted under writeLock), and how many of them a
         * confirmed marker covers (under the queue's lock). Never reset: when the channel goes,
         * everything sent so far counts as confirmed, since what was not applied comes back anyway.
         */
        volatile long acksSent;
        volatile long acksConfirmed;
        /** The outstanding marker (writeLock): its publish sequence number (-1: none), generation and coverage. */
        long markerTag = -1;
        long markerGen;
        long markerCovers;
        final ArrayDeque<String> awaiting = new ArrayDeque<>();

        Part(int index) {
            this.index = index;
        }
    }

    private final Settings settings;
    private final Clock clock;
    private final Connection pubConnection;
    private final Connection conConnection;
    private final Publisher publisher;
    private Channel adminChannel;  // under adminLock; reopened when the broker closed it
    private Channel presenceChannel;
    private final BrokerBlock consumerBlock;
    private final ReentrantLock adminLock = new ReentrantLock();
    /** Dead letters, and the events suppressed at ingest: kept, never delivered. */
    private final ParkedQueue dead;
    private final ParkedQueue suppressed;
    private final ReentrantLock appendLock = new ReentrantLock();
    private final Part[] parts;
    private final String agentId = UUID.randomUUID().toString();
    private final AtomicLong lastSeq = new AtomicLong();

    // consumer-side state, under lock
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<String, KeyState> keys = new HashMap<>();
    private final Map<Long, Held> bySeq = new HashMap<>();
    private final ArrayDeque<String> ready = new ArrayDeque<>();
    private final DueKeys wakes;
    private final LinkedHashMap<Long, QueuedItem> recent = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, QueuedItem> e) {
            return size() > RECENT_LIMIT;
        }
    };
    private final Map<String, ArrayDeque<Instant>> delivered = new TreeMap<>();
    private volatile boolean closed;

    // own appends not yet seen by this agent's consumer: seq -> nanoTime of the publish
    private final ConcurrentHashMap<Long, Long> inTransit = new ConcurrentHashMap<>();
    private volatile long cachedReady;
    private long refreshes;
    private volatile long[] readyPerPartition = new long[0];
    private final AtomicLong appendsSinceRefresh = new AtomicLong();
    /** Counts, rebalancing and subscribing again after a loss: one thread, so these never overlap. */
    private final ScheduledExecutorService background = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "rabbitmq-background");
        t.setDaemon(true);
        return t;
    });
    /** Markers: publishing one never waits for the queue's lock. */
    private final ScheduledExecutorService markers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "rabbitmq-markers");
        t.setDaemon(true);
        return t;
    });

    private RabbitMqEventQueue(Settings settings, Clock clock, Connection pub, Connection con) throws IOException {
        this.settings = settings;
        this.clock = clock;
        this.wakes = new DueKeys(clock);
        this.pubConnection = pub;
        this.conConnection = con;
        this.publisher = new Publisher(pub, settings.confirmWindow());
        this.dead = new ParkedQueue(settings.prefix() + ".dead", DeliveryState.DEAD, pub, publisher);
        this.suppressed = new ParkedQueue(settings.prefix() + ".suppressed", DeliveryState.SUPPRESSED, pub, publisher);
        this.parts = new Part[settings.partitions()];
        for (int p = 0; p < parts.length; p++) {
            parts[p] = new Part(p);
        }
        this.adminChannel = pub.createChannel();
        declareQueues(adminChannel);
        if (con instanceof Recoverable r) {
            r.addRecoveryListener(new RecoveryListener() {
                @Override
                public void handleRecovery(Recoverable recoverable) {
                    LOG.info("queue: the consumers' broker connection is back; subscribing again");
                    background.execute(RabbitMqEventQueue.this::subscribeMissing);
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
            if (!closed) {
                LOG.warn("queue: lost the consumers' broker connection ({}); held messages go back to the broker",
                        cause.getMessage());
            }
        });
        background.scheduleWithFixedDelay(() -> {
            try {
                pruneInTransit();
                if (publisher.isUp()) {
                    refreshReady();
                    if (conConnection.isOpen()) {
                        subscribeMissing();
                        if (++refreshes % REBALANCE_EVERY == 0) {
                            rebalance();
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("queue: refreshing the partitions' counts failed: {}", e.toString());
            }
        }, 1, 1, TimeUnit.SECONDS);
        subscribePresence();
        for (int p = 0; p < settings.partitions(); p++) {
            subscribe(p);
        }
    }

    /** Under adminLock: the admin channel, opened again when a failed passive declare closed it. */
    private Channel admin() throws IOException {
        if (!adminChannel.isOpen() && pubConnection.isOpen()) {
            adminChannel = pubConnection.createChannel();
        }
        return adminChannel;
    }

    String agentsQueue() {
        return settings.prefix() + ".agents";
    }

    /** Presence: every agent consumes this queue, so its consumer count is the number of agents. */
    private void subscribePresence() throws IOException {
        Channel ch = conConnection.createChannel();
        ch.queueDeclare(agentsQueue(), false, false, true, Map.of());
        ch.basicConsume(agentsQueue(), true, "pdaltagent-agent-" + agentId, new DefaultConsumer(ch));
        presenceChannel = ch;
    }

    /** Subscribes the partitions (and presence) that have no open channel: after a loss, or a failed subscribe. */
    private void subscribeMissing() {
        if (closed || !conConnection.isOpen()) {
            return;
        }
        try {
            if (presenceChannel == null || !presenceChannel.isOpen()) {
                subscribePresence();
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("queue: could not join the agents' presence queue: {}", e.toString());
        }
        for (Part part : parts) {
            Channel ch = part.channel;
            if (ch == null || !ch.isOpen()) {
                try {
                    subscribe(part.index);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("queue: could not subscribe to {} (trying again in a second): {}",
                            partitionQueue(part.index), e.toString());
                }
            }
        }
    }

    /**
     * A new channel for the partition, in confirm mode (for markers), consuming it. The channel of an
     * earlier subscription, if any, is forgotten and closed: the broker gets back what it held.
     */
    private void subscribe(int partition) throws IOException {
        Part part = parts[partition];
        Channel old = part.channel;
        if (old != null) {
            partitionLost(part, old);
        }
        Channel ch = conConnection.createChannel();
        ch.basicQos(settings.prefetch());
        ch.confirmSelect();
        long gen;
        lock.lock();
        try {
            gen = ++part.gen;
            part.channel = ch;
            part.acksConfirmed = part.acksSent;
            part.active = false;
        } finally {
            lock.unlock();
        }
        ch.addConfirmListener(new ConfirmListener() {
            @Override
            public void handleAck(long tag, boolean multiple) {
                // off the connection's thread: it must never wait for a lock
                markers.execute(() -> markerConfirmed(part, gen, tag, multiple, true));
            }

            @Override
            public void handleNack(long tag, boolean multiple) {
                markers.execute(() -> markerConfirmed(part, gen, tag, multiple, false));
            }
        });
        ch.addShutdownListener(cause -> partitionLost(part, ch));
        ch.basicConsume(partitionQueue(partition), false, "pdaltagent-" + agentId + "-" + partition, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) {
                received(part, getChannel(), env.getDeliveryTag(), props, body);
            }
        });
    }

    /**
     * Spreads partitions over agents: an agent active on more than its share (partitions divided by
     * the agents) hands the excess over, see the class comment.
     */
    private void rebalance() {
        if (closed || !conConnection.isOpen()) {
            return;
        }
        int consumers;
        adminLock.lock();
        try {
            consumers = admin().queueDeclarePassive(agentsQueue()).getConsumerCount();
        } catch (IOException | RuntimeException e) {
            return;
        } finally {
            adminLock.unlock();
        }
        if (consumers <= 1) {
            return;
        }
        int share = (settings.partitions() + consumers - 1) / consumers;
        List<Integer> owned = new ArrayList<>();
        lock.lock();
        try {
            for (Part part : parts) {
                if (part.active && !part.draining) {
                    owned.add(part.index);
                }
            }
        } finally {
            lock.unlock();
        }
        int excess = owned.size() - share;
        for (int i = 0; i < excess && !closed; i++) {
            handOver(parts[owned.get(owned.size() - 1 - i)]);
        }
    }

    /** Under lock: whether the partition has an attempt under way (a delivery, or an acknowledgement being sent). */
    private boolean busy(Part part) {
        for (KeyState ks : keys.values()) {
            if (ks.partition == part.index && ks.inFlight != null) {
                return true;
            }
        }
        return false;
    }

    private void handOver(Part part) {
        long gen;
        lock.lock();
        try {
            part.draining = true;
            gen = part.gen;
        } finally {
            lock.unlock();
        }
        boolean quiet = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try {
            lock.lock();
            try {
                // nothing in flight, then every acknowledgement confirmed: the next agent starts where this one stopped
                while (!closed && part.gen == gen && busy(part)) {
                    if (!changed.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                        return;
                    }
                }
                while (!closed && part.gen == gen && part.acksConfirmed < part.acksSent) {
                    requestMarker(part);
                    if (!changed.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                        return;
                    }
                }
                quiet = !closed && part.gen == gen;
            } finally {
                lock.unlock();
            }
            if (quiet) {
                subscribe(part.index);  // forgets what the old channel held, closes it, subscribes at the back
                LOG.info("queue: handed partition {} over to another agent", partitionQueue(part.index));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.warn("queue: could not subscribe to {} again: {}", partitionQueue(part.index), e.toString());
        } finally {
            lock.lock();
            try {
                part.draining = false;
                for (Map.Entry<String, KeyState> e : keys.entrySet()) {
                    if (e.getValue().partition == part.index) {
                        makeReadyIfDue(e.getKey(), e.getValue());
                    }
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Connects, declares the queues and starts consuming.
     *
     * @throws IllegalArgumentException for wrong credentials, a missing vhost or queues declared with
     *     other settings
     * @throws StoreUnavailableException when the broker cannot be reached
     */
    public static RabbitMqEventQueue open(Settings settings, Clock clock) {
        ConnectionFactory f = new ConnectionFactory();
        settings.url().configure(f);
        f.setAutomaticRecoveryEnabled(true);
        f.setTopologyRecoveryEnabled(true);
        // reconnect after 1, 2, 4, 8 s, then every 15 s: quick after a blip, gentle on a broker that is down
        f.setRecoveryDelayHandler(new com.rabbitmq.client.RecoveryDelayHandler.ExponentialBackoffDelayHandler(
                List.of(1_000L, 2_000L, 4_000L, 8_000L, 15_000L)));
        f.setRequestedHeartbeat(10);
        // a broker that stops mid-answer must not hold a caller (e.g. the thread that subscribes again) for minutes
        f.setChannelRpcTimeout(10_000);
        f.setConnectionTimeout(5000);
        Connection pub = null;
        Connection con = null;
        try {
            pub = f.newConnection("pdaltagent-publish");
            // the consumers' channels are opened again by the queue itself after a loss (new channels,
            // new generation), never resubscribed behind its back
            ConnectionFactory consumers = f.clone();
            consumers.setTopologyRecoveryEnabled(false);
            con = consumers.newConnection("pdaltagent-consume");
            RabbitMqEventQueue q = new RabbitMqEventQueue(settings, clock, pub, con);
            LOG.info("queue: RabbitMQ {} ({} partitions of {}.pNN, prefetch {}, confirm window {})",
                    settings.url().masked(), settings.partitions(), settings.prefix(), settings.prefetch(),
                    settings.confirmWindow());
            return q;
        } catch (com.rabbitmq.client.AuthenticationFailureException e) {
            closeQuietly(pub, con);
            throw new IllegalArgumentException("broker " + settings.url().masked() + " refused the credentials of user '"
                    + settings.url().user() + "'");
        } catch (ConnectException | UnknownHostException | java.net.SocketTimeoutException e) {
            closeQuietly(pub, con);
            throw new StoreUnavailableException("cannot reach the broker at " + settings.url().masked() + ": " + e, e);
        } catch (IOException | TimeoutException e) {
            closeQuietly(pub, con);
            String why = describe(e);
            if (why.contains("vhost") || why.contains("NOT_ALLOWED")) {
                throw new IllegalArgumentException("broker " + settings.url().masked() + ": virtual host '"
                        + settings.url().vhost() + "' does not exist or the user may not use it (" + why + ")");
            }
            if (why.contains("PRECONDITION_FAILED")) {
                throw new IllegalArgumentException("broker " + settings.url().masked() + ": the queues exist with other "
                        + "settings (" + why + ")");
            }
            if (why.contains("ACCESS_REFUSED")) {
                throw new IllegalArgumentException("broker " + settings.url().masked() + " refused access: " + why);
            }
            throw new StoreUnavailableException("cannot open the broker at " + settings.url().masked() + ": " + why, e);
        }
    }


    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                if (!sb.isEmpty()) {
                    sb.append(": ");
                }
                sb.append(t.getMessage());
            }
            if (t instanceof ShutdownSignalException s && s.getReason() != null) {
                sb.append(" ").append(s.getReason());
            }
        }
        return sb.isEmpty() ? e.getClass().getSimpleName() : sb.toString();
    }

    private static void closeQuietly(Connection... cs) {
        for (Connection c : cs) {
            if (c != null) {
                try {
                    c.abort(2000);
                } catch (RuntimeException ignored) {
                    // closing after a failure
                }
            }
        }
    }

    String partitionQueue(int p) {
        return settings.prefix() + ".p" + (settings.partitions() > 100 ? String.format("%03d", p) : String.format("%02d", p));
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
    }

    // ---------------------------------------------------------------- append

    private long nextSeq() {
        long base = System.currentTimeMillis() * 1000;
        return lastSeq.updateAndGet(prev -> Math.max(prev + 1, base));
    }

    @Override
    public CompletableFuture<Long> append(NewItem n) {
        if (closed) {
            return CompletableFuture.failedFuture(new StoreUnavailableException("queue closed"));
        }
        if (!publisher.isUp()) {
            return CompletableFuture.failedFuture(publisher.unavailable());
        }
        if (n.arrivalState() != DeliveryState.PENDING) {
            // suppressed or dead on arrival: parked at once, no open slot, no place in its key's order
            long seq = nextSeq();
            ParkedQueue to = n.arrivalState() == DeliveryState.DEAD ? dead : suppressed;
            return to.park(new ParkedQueue.Parked(seq, n.orderingKey(), n.destination(), n.contentType(), n.body(),
                    n.dedupKey(), n.acceptedAt(), 0, n.arrivalNote(), 0, clock.instant(), agentId))
                    .handle((v, t) -> {
                        if (t != null) {
                            throw confirmFailure(t);
                        }
                        return seq;
                    });
        }
        long max = settings.maxOpen();
        // the broker's ready counts are refreshed every second in the background; only an estimate at
        // the maximum asks the broker now
        long estimate = heldOpen() + Math.max(cachedReady + appendsSinceRefresh.get(), inTransitCount());
        if (estimate >= max) {
            try {
                refreshReady();
            } catch (IOException | RuntimeException e) {
                return CompletableFuture.failedFuture(new StoreUnavailableException("the broker does not answer: " + e, e));
            }
            pruneInTransit();
            long open = heldOpen() + Math.max(cachedReady, inTransitCount());
            if (open >= max) {
                return CompletableFuture.failedFuture(new QueueFullException(open, max));
            }
        }
        Map<String, Object> h = new HashMap<>();
        h.put(H_KEY, n.orderingKey());
        h.put(H_KIND, n.destination().kind());
        h.put(H_TARGET, n.destination().target());
        if (n.dedupKey() != null) {
            h.put(H_DEDUP, n.dedupKey());
        }
        h.put(H_ACCEPTED, n.acceptedAt().toString());
        h.put(H_AGENT, agentId);
        int partition = partitionOf(n.orderingKey(), settings.partitions());
        long seq;
        CompletableFuture<Void> published;
        // sequence numbers follow publish order: the order the partitions hold the items in
        appendLock.lock();
        try {
            seq = nextSeq();
            h.put(Publisher.SEQ_HEADER, seq);
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .deliveryMode(2).contentType(n.contentType()).messageId(Long.toString(seq)).headers(h).build();
            inTransit.put(seq, System.nanoTime());
            appendsSinceRefresh.incrementAndGet();
            published = publisher.publish(partitionQueue(partition), props, n.body(), seq);
        } finally {
            appendLock.unlock();
        }
        return published.handle((v, t) -> {
            if (t != null) {
                inTransit.remove(seq);
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
    private long inTransitCount() {
        return inTransit.size();
    }

    private void pruneInTransit() {
        long now = System.nanoTime();
        inTransit.values().removeIf(t -> now - t > IN_TRANSIT_NANOS);
    }

    private long heldOpen() {
        lock.lock();
        try {
            return bySeq.size();
        } finally {
            lock.unlock();
        }
    }

    private void refreshReady() throws IOException {
        adminLock.lock();
        try {
            long before = appendsSinceRefresh.get();
            long sum = 0;
            long[] perPartition = new long[settings.partitions()];
            for (int p = 0; p < settings.partitions(); p++) {
                perPartition[p] = admin().queueDeclarePassive(partitionQueue(p)).getMessageCount();
                sum += perPartition[p];
            }
            readyPerPartition = perPartition;
            cachedReady = sum;
            appendsSinceRefresh.addAndGet(-before);
        } finally {
            adminLock.unlock();
        }
    }

    /** For tests: waits until this agent's consumer holds the item (or it was completed). */
    boolean awaitVisible(long seq, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!bySeq.containsKey(seq) && !recent.containsKey(seq)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- consume

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

    private void received(Part part, Channel channel, long tag, AMQP.BasicProperties props, byte[] body) {
        Map<String, Object> h = props.getHeaders();
        if (h != null && h.containsKey(H_MARKER)) {
            // its confirm was all it was for
            try {
                channel.basicAck(tag, false);
            } catch (IOException | RuntimeException e) {
                LOG.debug("queue: could not acknowledge a marker: {}", e.toString());
            }
            return;
        }
        long seq = num(h, Publisher.SEQ_HEADER, -1);
        if (seq < 0) {
            seq = nextSeq();
        }
        inTransit.remove(seq);
        String key = str(h, H_KEY);
        if (key == null) {
            key = "";
        }
        String kind = str(h, H_KIND);
        String target = str(h, H_TARGET);
        String accepted = str(h, H_ACCEPTED);
        Instant acceptedAt;
        try {
            acceptedAt = accepted == null ? clock.instant() : Instant.parse(accepted);
        } catch (RuntimeException e) {
            acceptedAt = clock.instant();
        }
        boolean retried = h != null && Boolean.TRUE.equals(h.get(H_RETRIED));
        lock.lock();
        try {
            if (channel != part.channel || part.draining) {
                // an earlier channel, or being handed over: the broker gets it back when the channel closes
                return;
            }
            part.active = true;
            Held held = new Held(seq, key, new Destination(kind == null ? Destination.EVENTS : kind,
                    target == null ? "/v2/enqueue" : target), props.getContentType() == null ? "application/json"
                    : props.getContentType(), body, str(h, H_DEDUP), acceptedAt, part.index, channel, tag, part.gen);
            if (retried) {
                held.lastStatus = (int) num(h, H_STATUS, 0);
                held.lastError = str(h, H_REASON);
            }
            Held old = bySeq.put(seq, held);
            KeyState ks = keys.get(key);
            if (ks == null) {
                ks = new KeyState(part.index);
                // an acknowledgement of this key may be among those not confirmed yet
                ks.mustConfirm = part.acksSent;
                keys.put(key, ks);
            }
            if (old != null) {
                // redelivered while an older copy is still known (e.g. in flight across a reconnect)
                ks.remove(old);
            }
            recent.remove(seq);
            if (retried) {
                ks.retried.addLast(held);
            } else {
                ks.fifo.addLast(held);
            }
            makeReadyIfDue(key, ks);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Under lock: queues the key as ready when nothing of it is in flight and its head is due. */
    private void makeReadyIfDue(String key, KeyState ks) {
        if (ks.inFlight != null || ks.queuedReady || ks.awaitingConfirm) {
            return;
        }
        Held head = ks.head();
        if (head == null) {
            return;
        }
        if (ks.notBefore != null) {
            return;
        }
        if (waitsForRetry(head)) {
            wakes.add(head.nextAttemptAt, key);
            return;
        }
        ks.queuedReady = true;
        ready.addLast(key);
    }

    /**
     * The partition's channel is gone (closed by the broker, the connection lost, or replaced): the
     * broker requeues every message it held, so they are forgotten, except attempts under way, which
     * end normally but are not acknowledged.
     */
    private void partitionLost(Part part, Channel ch) {
        lock.lock();
        try {
            if (part.channel != ch) {
                return;
            }
            part.gen++;
            part.channel = null;
            part.acksConfirmed = part.acksSent;
            part.active = false;
            part.awaiting.clear();
            for (Iterator<Map.Entry<String, KeyState>> it = keys.entrySet().iterator(); it.hasNext(); ) {
                KeyState ks = it.next().getValue();
                if (ks.partition != part.index) {
                    continue;
                }
                for (Held held : ks.retried) {
                    bySeq.remove(held.seq, held);
                }
                for (Held held : ks.fifo) {
                    if (held != ks.inFlight) {
                        bySeq.remove(held.seq, held);
                    }
                }
                ks.retried.clear();
                ks.fifo.clear();
                ks.queuedReady = false;
                ks.awaitingConfirm = false;
                ks.mustConfirm = 0;
                if (ks.inFlight == null) {
                    it.remove();
                }
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (!closed && conConnection.isOpen() && ch.isOpen()) {
            LOG.info("queue: stopped consuming {}; its held messages go back to the broker", partitionQueue(part.index));
        }
        // a channel of a lost connection would be reopened by the connection's recovery: it is done with
        try {
            ch.abort();
        } catch (IOException | RuntimeException e) {
            LOG.debug("queue: aborting a channel: {}", e.toString());
        }
    }

    // ---------------------------------------------------------------- acknowledgements and markers

    /** Under lock: publishes a marker for the partition unless one is outstanding (on the markers' thread). */
    private void requestMarker(Part part) {
        long gen = part.gen;
        markers.execute(() -> publishMarker(part, gen));
    }

    private void publishMarker(Part part, long gen) {
        part.writeLock.lock();
        try {
            Channel ch = part.channel;
            if (closed || part.gen != gen || ch == null || (part.markerTag >= 0 && part.markerGen == gen)
                    || part.acksConfirmed >= part.acksSent) {
                return;
            }
            long covers = part.acksSent;
            long tag = ch.getNextPublishSeqNo();
            part.markerTag = tag;
            part.markerGen = gen;
            part.markerCovers = covers;
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .headers(Map.of(H_MARKER, agentId)).deliveryMode(1).build();
            try {
                ch.basicPublish("", partitionQueue(part.index), false, props, NO_BODY);
            } catch (IOException | RuntimeException e) {
                // the channel is going: the loss resets the partition
                part.markerTag = -1;
                LOG.debug("queue: could not publish a marker to {}: {}", partitionQueue(part.index), e.toString());
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
        lock.lock();
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
                KeyState ks = keys.get(key);
                if (ks == null || !ks.awaitingConfirm) {
                    continue;
                }
                if (ks.mustConfirm <= part.acksConfirmed) {
                    ks.awaitingConfirm = false;
                    makeReadyIfDue(key, ks);
                } else {
                    part.awaiting.addLast(key);
                    more = true;
                }
            }
            if (more) {
                // a nack, or acknowledgements sent after the marker: another marker
                requestMarker(part);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Acknowledges a finished item on its channel, then frees its key; the key's next claim waits for
     * the confirm of a marker sent after this acknowledgement.
     */
    private void acknowledge(Held held, KeyState ks) {
        Part part = parts[held.partition];
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
        lock.lock();
        try {
            if (index > 0 && held.gen == part.gen) {
                ks.mustConfirm = Math.max(ks.mustConfirm, index);
            }
            drop(held, ks);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<QueuedItem> claim(int max, Duration maxWait) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, maxWait.toNanos());
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    return List.of();
                }
                promoteDue();
                if (!ready.isEmpty() && max > 0) {
                    List<QueuedItem> out = new ArrayList<>();
                    while (out.size() < max && !ready.isEmpty()) {
                        String key = ready.pollFirst();
                        KeyState ks = keys.get(key);
                        if (ks == null) {
                            continue;
                        }
                        ks.queuedReady = false;
                        Held head = ks.head();
                        Part part = parts[ks.partition];
                        if (ks.inFlight != null || head == null || part.draining || ks.awaitingConfirm) {
                            continue;
                        }
                        if (head.gen != part.gen || !head.channel.isOpen()) {
                            // its channel is gone or going: the broker gives the partition out again
                            continue;
                        }
                        if (ks.notBefore != null) {
                            continue;
                        }
                        if (waitsForRetry(head)) {
                            wakes.add(head.nextAttemptAt, key);
                            continue;
                        }
                        if (ks.mustConfirm > part.acksConfirmed) {
                            ks.awaitingConfirm = true;
                            part.awaiting.addLast(key);
                            requestMarker(part);
                            continue;
                        }
                        DeliveryState.checkTransition(head.state, DeliveryState.IN_FLIGHT);
                        head.state = DeliveryState.IN_FLIGHT;
                        head.attempts++;
                        ks.inFlight = head;
                        out.add(head.snapshot());
                    }
                    if (!out.isEmpty()) {
                        return out;
                    }
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return List.of();
                }
                changed.awaitNanos(wakes.waitNanos(left));
            }
        } finally {
            lock.unlock();
        }
    }

    private void promoteDue() {
        wakes.pollDue((key, at) -> {
            KeyState ks = keys.get(key);
            if (ks == null) {
                return;
            }
            if (at.equals(ks.notBefore)) {
                ks.notBefore = null;
            }
            Held head = ks.head();
            if (head != null && head.state == DeliveryState.RETRY_SCHEDULED && at.equals(head.nextAttemptAt)) {
                head.retryWaited = true;
            }
            makeReadyIfDue(key, ks);
        });
    }

    /** Under lock: the head waits for its retry (unless that wait was already measured out here). */
    private boolean waitsForRetry(Held head) {
        return head.state == DeliveryState.RETRY_SCHEDULED && !head.retryWaited
                && head.nextAttemptAt.isAfter(clock.instant());
    }

    /** Under lock: a paced key's next item waits until {@code at} (null or past: no wait). */
    private void holdUntil(String key, KeyState ks, Instant at) {
        if (at != null && at.isAfter(clock.instant())) {
            ks.notBefore = at;
            wakes.add(at, key);
        }
    }

    @Override
    public CompletableFuture<Void> complete(QueuedItem claimed, Completion c) {
        Held held;
        KeyState ks;
        lock.lock();
        try {
            ks = keys.get(claimed.orderingKey());
            held = ks == null ? null : ks.inFlight;
            if (held == null || held.seq != claimed.seq() || held.state != DeliveryState.IN_FLIGHT) {
                return CompletableFuture.failedFuture(new IllegalStateException("item " + claimed.seq() + " is not in flight"));
            }
            DeliveryState.checkTransition(held.state, c.targetState());
            if (held.gen != parts[held.partition].gen) {
                // the channel that delivered it is gone: the broker has it again and redelivers it
                drop(held, ks);
                return CompletableFuture.completedFuture(null);
            }
            switch (c) {
                case Completion.Delivered d -> {
                    held.state = DeliveryState.DELIVERED;
                    held.lastStatus = d.status();
                    ArrayDeque<Instant> times = delivered.computeIfAbsent(held.key, k -> new ArrayDeque<>());
                    times.addLast(clock.instant());
                    if (times.size() > DELIVERED_PER_KEY_LIMIT) {
                        times.pollFirst();
                    }
                    recent.put(held.seq, held.snapshot());
                    // leaves the key's FIFO now; the key stays claimed until the acknowledgement is sent
                    bySeq.remove(held.seq, held);
                    ks.remove(held);
                    holdUntil(held.key, ks, d.keyDueAt());
                }
                case Completion.Retry r -> {
                    held.state = DeliveryState.RETRY_SCHEDULED;
                    held.nextAttemptAt = r.at();
                    held.retryWaited = false;
                    held.lastStatus = r.status();
                    held.lastError = r.error();
                    release(held.key, ks);
                    return CompletableFuture.completedFuture(null);
                }
                case Completion.Released r -> {
                    held.state = DeliveryState.PENDING;
                    held.attempts = Math.max(0, held.attempts - 1);
                    holdUntil(held.key, ks, r.keyDueAt());
                    release(held.key, ks);
                    return CompletableFuture.completedFuture(null);
                }
                case Completion.Dead d -> {
                    // the key stays held until the dead letter is confirmed
                    holdUntil(held.key, ks, d.keyDueAt());
                }
            }
        } finally {
            lock.unlock();
        }
        if (c instanceof Completion.Delivered) {
            acknowledge(held, ks);
            return CompletableFuture.completedFuture(null);
        }
        Completion.Dead d = (Completion.Dead) c;
        KeyState fks = ks;
        return dead.park(new ParkedQueue.Parked(held.seq, held.key, held.destination, held.contentType, held.body,
                held.dedupKey, held.acceptedAt, d.status(), d.reason(), held.attempts, clock.instant(), agentId)).handle((v, t) -> {
            if (t != null) {
                lock.lock();
                try {
                    // not dead-lettered: the item stays at the head and is tried again
                    held.state = DeliveryState.PENDING;
                    if (held.gen == parts[held.partition].gen) {
                        release(held.key, fks);
                    } else {
                        drop(held, fks);
                    }
                } finally {
                    lock.unlock();
                }
                Throwable cause = t.getCause() != null ? t.getCause() : t;
                throw cause instanceof RuntimeException re ? re : new StoreUnavailableException(cause.toString(), cause);
            }
            lock.lock();
            try {
                held.state = DeliveryState.DEAD;
                held.lastStatus = d.status();
                held.lastError = d.reason();
                recent.put(held.seq, held.snapshot());
                bySeq.remove(held.seq, held);
                fks.remove(held);
            } finally {
                lock.unlock();
            }
            acknowledge(held, fks);
            return null;
        });
    }

    /** Under lock: the item leaves this agent; its key is free. */
    private void drop(Held held, KeyState ks) {
        bySeq.remove(held.seq, held);
        ks.remove(held);
        if (ks.inFlight == held) {
            ks.inFlight = null;
        }
        if (ks.isEmpty()) {
            keys.remove(held.key, ks);
        } else {
            makeReadyIfDue(held.key, ks);
        }
        changed.signalAll();
    }

    /** Under lock: the attempt ended, the item stays at its key's head. */
    private void release(String key, KeyState ks) {
        ks.inFlight = null;
        makeReadyIfDue(key, ks);
        changed.signalAll();
    }

    // ---------------------------------------------------------------- dead letters

    @Override
    public int retryDead(String keyOrNull) {
        return retryDeadWhere(item -> keyOrNull == null || keyOrNull.equals(item.orderingKey()));
    }

    @Override
    public int retryDeadItems(java.util.Collection<Long> seqs) {
        java.util.Set<Long> wanted = java.util.Set.copyOf(seqs);
        return wanted.isEmpty() ? 0 : retryDeadWhere(item -> wanted.contains(item.seq()));
    }

    @Override
    public int purgeDeadItems(java.util.Collection<Long> seqs) {
        java.util.Set<Long> wanted = java.util.Set.copyOf(seqs);
        return wanted.isEmpty() ? 0 : purgeDeadWhere(item -> wanted.contains(item.seq()));
    }

    /** Publishes the matching dead letters back to their partitions (at the tail), then takes them out. */
    private int retryDeadWhere(java.util.function.Predicate<QueuedItem> which) {
        int[] n = {0};
        dead.scan((ch, r, item) -> {
            if (!which.test(item)) {
                return true;
            }
            try {
                publisher.publish(partitionQueue(partitionOf(item.orderingKey(), settings.partitions())),
                        ParkedQueue.retried(r), r.getBody(), item.seq()).get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new StoreUnavailableException("could not put a dead event back: " + e, e);
            }
            ch.basicAck(r.getEnvelope().getDeliveryTag(), false);
            n[0]++;
            return true;
        });
        return n[0];
    }

    private int purgeDeadWhere(java.util.function.Predicate<QueuedItem> which) {
        List<Long> purged = new ArrayList<>();
        dead.scan((ch, r, item) -> {
            if (which.test(item)) {
                ch.basicAck(r.getEnvelope().getDeliveryTag(), false);
                purged.add(item.seq());
            }
            return true;
        });
        lock.lock();
        try {
            purged.forEach(recent::remove);
        } finally {
            lock.unlock();
        }
        return purged.size();
    }

    @Override
    public int purge(DeliveryState state, String keyOrNull) {
        if (state.isOpen()) {
            throw new IllegalArgumentException("only DEAD or DELIVERED items can be purged, not " + state);
        }
        if (state == DeliveryState.DELIVERED) {
            lock.lock();
            try {
                int n = 0;
                for (Iterator<Map.Entry<String, ArrayDeque<Instant>>> it = delivered.entrySet().iterator(); it.hasNext(); ) {
                    Map.Entry<String, ArrayDeque<Instant>> e = it.next();
                    if (keyOrNull == null || keyOrNull.equals(e.getKey())) {
                        n += e.getValue().size();
                        it.remove();
                    }
                }
                recent.values().removeIf(i -> i.state() == DeliveryState.DELIVERED
                        && (keyOrNull == null || keyOrNull.equals(i.orderingKey())));
                return n;
            } finally {
                lock.unlock();
            }
        }
        return purgeDeadWhere(item -> keyOrNull == null || keyOrNull.equals(item.orderingKey()));
    }

    @Override
    public List<QueuedItem> listDead(String keyOrNull, int limit) {
        return list(dead, keyOrNull, limit);
    }

    private static List<QueuedItem> list(ParkedQueue from, String keyOrNull, int limit) {
        List<QueuedItem> out = new ArrayList<>();
        from.scan((ch, r, item) -> {
            if (keyOrNull == null || keyOrNull.equals(item.orderingKey())) {
                out.add(item);
            }
            return out.size() < limit;
        });
        return out;
    }

    @Override
    public boolean keepsSuppressed() {
        return true;
    }

    @Override
    public List<QueuedItem> listSuppressed(String keyOrNull, int limit) {
        return list(suppressed, keyOrNull, limit);
    }

    @Override
    public List<io.pdaltagent.queue.SuppressedCount> suppressedCounts(String keyOrNull) {
        Map<String, Map<String, Long>> counts = new TreeMap<>();
        suppressed.forEach(item -> {
            if (keyOrNull == null || keyOrNull.equals(item.orderingKey())) {
                String note = String.valueOf(item.lastError());
                String by = note.startsWith(NewItem.SUPPRESSED_PREFIX) ? note.substring(NewItem.SUPPRESSED_PREFIX.length()) : note;
                counts.computeIfAbsent(item.orderingKey(), k -> new TreeMap<>()).merge(by, 1L, Long::sum);
            }
        });
        List<io.pdaltagent.queue.SuppressedCount> out = new ArrayList<>();
        counts.forEach((k, perBy) -> perBy.forEach((by, n) -> out.add(new io.pdaltagent.queue.SuppressedCount(k, by, n))));
        return out;
    }

    /** Suppressed records go as delivered ones do: those parked before the cutoff (a parked item's nextAttemptAt), from the head. */
    private int pruneSuppressed(Instant cutoff) {
        int[] n = {0};
        suppressed.scan((ch, r, item) -> {
            if (!item.nextAttemptAt().isBefore(cutoff)) {
                return false;
            }
            ch.basicAck(r.getEnvelope().getDeliveryTag(), false);
            n[0]++;
            return true;
        });
        return n[0];
    }

    @Override
    public QueuedItem get(long seq) {
        lock.lock();
        try {
            Held h = bySeq.get(seq);
            if (h != null) {
                return h.snapshot();
            }
            QueuedItem known = recent.get(seq);
            if (known != null && known.state() != DeliveryState.DEAD) {
                return known;
            }
        } finally {
            lock.unlock();
        }
        // a dead item may have been dead-lettered by another agent, or retried or purged since
        QueuedItem[] found = {null};
        for (ParkedQueue q : List.of(dead, suppressed)) {
            q.scan((ch, r, item) -> {
                if (item.seq() == seq) {
                    found[0] = item;
                }
                return found[0] == null;
            });
            if (found[0] != null) {
                return found[0];
            }
        }
        return null;
    }

    @Override
    public List<KeyStats> keyStats(String keyOrNull) {
        Map<String, long[]> counts = new TreeMap<>();
        dead.forEach(item -> {
            if (keyOrNull == null || keyOrNull.equals(item.orderingKey())) {
                counts.computeIfAbsent(item.orderingKey(), k -> new long[3])[2]++;
            }
        });
        Map<String, Boolean> throttled = new HashMap<>();
        lock.lock();
        try {
            for (Held h : bySeq.values()) {
                if (keyOrNull == null || keyOrNull.equals(h.key)) {
                    counts.computeIfAbsent(h.key, k -> new long[3])[0]++;
                }
            }
            delivered.forEach((k, times) -> {
                if ((keyOrNull == null || keyOrNull.equals(k)) && !times.isEmpty()) {
                    counts.computeIfAbsent(k, x -> new long[3])[1] += times.size();
                }
            });
            for (String k : counts.keySet()) {
                KeyState ks = keys.get(k);
                Held head = ks == null || ks.inFlight != null ? null : ks.head();
                throttled.put(k, ks != null && ks.notBefore != null || head != null
                        && head.state == DeliveryState.RETRY_SCHEDULED && head.nextAttemptAt.isAfter(clock.instant()));
            }
        } finally {
            lock.unlock();
        }
        List<KeyStats> out = new ArrayList<>();
        counts.forEach((k, c) -> out.add(new KeyStats(k, c[0], c[1], c[2], throttled.get(k))));
        return out;
    }

    @Override
    public QueueStats stats() {
        long dead;
        long ready;
        adminLock.lock();
        try {
            dead = admin().queueDeclarePassive(deadQueue()).getMessageCount();
        } catch (IOException | RuntimeException e) {
            throw new StoreUnavailableException("the broker does not answer: " + e, e);
        } finally {
            adminLock.unlock();
        }
        try {
            refreshReady();
            ready = cachedReady;
        } catch (IOException | RuntimeException e) {
            throw new StoreUnavailableException("the broker does not answer: " + e, e);
        }
        long inFlight = 0;
        long retry = 0;
        long held;
        long deliveredCount = 0;
        Instant oldest = null;
        lock.lock();
        try {
            held = bySeq.size();
            for (Held h : bySeq.values()) {
                if (h.state == DeliveryState.IN_FLIGHT) {
                    inFlight++;
                } else if (h.state == DeliveryState.RETRY_SCHEDULED) {
                    retry++;
                }
                if (oldest == null || h.acceptedAt.isBefore(oldest)) {
                    oldest = h.acceptedAt;
                }
            }
            for (ArrayDeque<Instant> t : delivered.values()) {
                deliveredCount += t.size();
            }
        } finally {
            lock.unlock();
        }
        return new QueueStats(held + Math.max(ready, inTransitCount()), inFlight, retry, deliveredCount, dead, oldest);
    }

    @Override
    public long openCount() {
        try {
            refreshReady();
        } catch (IOException | RuntimeException e) {
            return heldOpen() + Math.max(cachedReady, inTransitCount());
        }
        return heldOpen() + Math.max(cachedReady, inTransitCount());
    }

    @Override
    public int pruneDelivered(Instant cutoff) {
        int pruned;
        lock.lock();
        try {
            int n = 0;
            for (Iterator<ArrayDeque<Instant>> it = delivered.values().iterator(); it.hasNext(); ) {
                ArrayDeque<Instant> times = it.next();
                while (!times.isEmpty() && times.peekFirst().isBefore(cutoff)) {
                    times.pollFirst();
                    n++;
                }
                if (times.isEmpty()) {
                    it.remove();
                }
            }
            pruned = n;
        } finally {
            lock.unlock();
        }
        return pruned + pruneSuppressed(cutoff);
    }

    @Override
    public boolean isHealthy() {
        return !closed && publisher.isUp() && conConnection.isOpen();
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

    /** Ready counts as of the last refresh (at most about a second old after a stats call). */
    @Override
    public List<io.pdaltagent.queue.PartitionStats> partitionStats() {
        long[] held = new long[settings.partitions()];
        lock.lock();
        try {
            for (Held h : bySeq.values()) {
                held[h.partition]++;
            }
        } finally {
            lock.unlock();
        }
        long[] ready = readyPerPartition;
        List<io.pdaltagent.queue.PartitionStats> out = new ArrayList<>();
        for (int p = 0; p < settings.partitions(); p++) {
            out.add(new io.pdaltagent.queue.PartitionStats(partitionQueue(p), p < ready.length ? ready[p] : 0, held[p]));
        }
        return out;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        background.shutdownNow();
        markers.shutdownNow();
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
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
