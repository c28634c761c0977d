package io.pdaltagent.queue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The durable queue of outbound deliveries. Its behaviour is fixed by one contract test suite
 * ({@code EventQueueContract} in the test tree) that every backend passes.
 *
 * <p><b>Ordering.</b> Items that share an ordering key form a FIFO. At most one item per key is
 * claimed at a time, and it is always the key's oldest open item (its head). A head that waits for a
 * retry holds its key; other keys go on. A DEAD head releases its key: the next item goes out. This
 * is a documented choice: an event PagerDuty rejected (400) can never be delivered, and holding every
 * later event of the key behind it would turn one bad event into an outage for the whole service.
 *
 * <p><b>Durability.</b> {@link #append} completes only once the item is stored durably: a caller
 * may then promise delivery. {@link #complete} completes once the outcome is stored.
 *
 * <p><b>Threads.</b> All methods are thread-safe. {@link #claim} may block for up to its wait;
 * the other methods do not wait for anything but the store.
 */
public interface EventQueue extends AutoCloseable {

    /**
     * Appends an item at the tail of its key.
     *
     * An item with {@link NewItem#suppressedBy} is stored SUPPRESSED (see {@link #keepsSuppressed});
     * one with {@link NewItem#deadBecause} is stored DEAD: neither takes an open slot or a place in
     * its key's order.
     *
     * @return the item's sequence number, once the item is durable. Fails with
     *     {@link QueueFullException} when the queue holds its maximum of open items, and with
     *     {@link StoreUnavailableException} when the store cannot take it.
     */
    CompletableFuture<Long> append(NewItem item);

    /**
     * Claims up to {@code max} items that are due now: each the head of its key, none of a key that
     * already has an item claimed. Claimed items are IN_FLIGHT and count one more attempt. Waits up
     * to {@code maxWait} for at least one item to be due; returns an empty list when none was.
     */
    List<QueuedItem> claim(int max, Duration maxWait) throws InterruptedException;

    /**
     * Ends the attempt on a claimed item. The item's key is free again once the returned future
     * completes, which is once the outcome is durable.
     */
    CompletableFuture<Void> complete(QueuedItem claimed, Completion completion);

    /** Moves dead items back to PENDING, for one key or (key null) all keys; returns how many. */
    int retryDead(String keyOrNull);

    /**
     * Moves these dead items back to PENDING (each to its key's order by sequence number, due at once);
     * items that are not dead, or not there, are left alone. Returns how many moved.
     */
    int retryDeadItems(java.util.Collection<Long> seqs);

    /** Deletes these dead items; items that are not dead, or not there, are left alone. Returns how many. */
    int purgeDeadItems(java.util.Collection<Long> seqs);

    /** Deletes items in the given state (DEAD or DELIVERED), for one key or all; returns how many. */
    int purge(DeliveryState state, String keyOrNull);

    /** Dead items, oldest first, for one key or all, at most {@code limit}. */
    List<QueuedItem> listDead(String keyOrNull, int limit);

    /**
     * True when this backend stores suppressed items ({@link NewItem#suppressedBy}) as
     * {@link DeliveryState#SUPPRESSED}; a backend that does not must never be given one (the intake
     * then counts a suppressed event and stores nothing).
     */
    default boolean keepsSuppressed() {
        return false;
    }

    /** Suppressed items, oldest first, for one key or all, at most {@code limit}; their lastError names the suppressor. */
    default List<QueuedItem> listSuppressed(String keyOrNull, int limit) {
        throw new UnsupportedOperationException("this queue backend does not keep suppressed events");
    }

    /** Suppressed items counted per ordering key and suppressor, sorted by key then suppressor. */
    default List<SuppressedCount> suppressedCounts(String keyOrNull) {
        throw new UnsupportedOperationException("this queue backend does not keep suppressed events");
    }

    /** One item by sequence number, or null. */
    QueuedItem get(long seq);

    /** Counts per ordering key, sorted by key; one key only when {@code keyOrNull} is given. */
    List<KeyStats> keyStats(String keyOrNull);

    QueueStats stats();

    /** Open items (not delivered, not dead): what counts against the queue's maximum. */
    long openCount();

    /** Deletes DELIVERED records that reached that state before {@code cutoff}; returns how many. */
    int pruneDelivered(java.time.Instant cutoff);

    /** True while the store can take and give items. */
    boolean isHealthy();

    /**
     * What a backend with a remote store says about it for {@code /healthz} (e.g. the broker's
     * connections); empty for the embedded store.
     */
    default java.util.Map<String, Object> backendHealth() {
        return java.util.Map.of();
    }

    /** Per-partition counts of a partitioned backend, for metrics; empty when not partitioned. */
    default List<PartitionStats> partitionStats() {
        return List.of();
    }

    /** Commit timings of a store that commits on its own (the embedded one); null for others. */
    default CommitStats commitStats() {
        return null;
    }

    /**
     * Which of these dedup keys are on items the store holds (in any state), for a producer that
     * recovers after a crash between its own record and an append. Empty when the backend cannot
     * tell (a broker cannot be searched): the producer must then choose at-least-once.
     */
    default java.util.Optional<java.util.Set<String>> presentDedupKeys(java.util.Collection<String> dedupKeys) {
        return java.util.Optional.empty();
    }

    /** Stops claims, waits for pending writes, and closes the store. */
    @Override
    void close();
}
