package io.pdaltagent.ingest;

import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.InMemoryEventQueue;
import io.pdaltagent.queue.KeyStats;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueueStats;
import io.pdaltagent.queue.QueuedItem;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An in-memory queue whose {@link #append} a test scripts: fail, throw, or hold the future open
 * until the test completes it (a store that is slow to make an event durable).
 */
final class ScriptedQueue implements EventQueue {
    private final InMemoryEventQueue delegate = new InMemoryEventQueue(Clock.systemUTC(), 1000);
    private volatile Function<NewItem, CompletableFuture<Long>> append = delegate::append;
    final List<CompletableFuture<Long>> held = new CopyOnWriteArrayList<>();

    /** Every append fails with {@code failure} (through the future). */
    void failWith(Throwable failure) {
        append = item -> CompletableFuture.failedFuture(failure);
    }

    /** Every append throws {@code failure} instead of returning a future. */
    void throwOnAppend(RuntimeException failure) {
        append = item -> {
            throw failure;
        };
    }

    /** Every append throws {@code error}: a bug in the store, not a failure it reports. */
    void throwErrorOnAppend(Error error) {
        append = item -> {
            throw error;
        };
    }

    /** Every append stores the item but completes only when the test completes the held future. */
    void holdAppends() {
        append = item -> {
            CompletableFuture<Long> stored = delegate.append(item);
            CompletableFuture<Long> later = new CompletableFuture<>();
            held.add(later);
            return later.thenCombine(stored, (ignored, seq) -> seq);
        };
    }

    /** Appends work normally again. */
    void heal() {
        append = delegate::append;
    }

    @Override
    public CompletableFuture<Long> append(NewItem item) {
        return append.apply(item);
    }

    @Override
    public List<QueuedItem> claim(int max, Duration maxWait) throws InterruptedException {
        return delegate.claim(max, maxWait);
    }

    @Override
    public CompletableFuture<Void> complete(QueuedItem claimed, Completion completion) {
        return delegate.complete(claimed, completion);
    }

    @Override
    public int retryDead(String keyOrNull) {
        return delegate.retryDead(keyOrNull);
    }

    @Override
    public int purge(DeliveryState state, String keyOrNull) {
        return delegate.purge(state, keyOrNull);
    }

    @Override
    public List<QueuedItem> listDead(String keyOrNull, int limit) {
        return delegate.listDead(keyOrNull, limit);
    }

    @Override
    public QueuedItem get(long seq) {
        return delegate.get(seq);
    }

    @Override
    public List<KeyStats> keyStats(String keyOrNull) {
        return delegate.keyStats(keyOrNull);
    }

    @Override
    public QueueStats stats() {
        return delegate.stats();
    }

    @Override
    public long openCount() {
        return delegate.openCount();
    }

    @Override
    public int pruneDelivered(Instant cutoff) {
        return delegate.pruneDelivered(cutoff);
    }

    @Override
    public boolean isHealthy() {
        return delegate.isHealthy();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
