package io.pdaltagent.testing;

import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.KeyStats;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueueStats;
import io.pdaltagent.queue.QueuedItem;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** An {@link EventQueue} that passes every call on; tests override the calls they want to break. */
public class ForwardingEventQueue implements EventQueue {
    protected final EventQueue delegate;

    public ForwardingEventQueue(EventQueue delegate) {
        this.delegate = delegate;
    }

    @Override
    public io.pdaltagent.queue.CommitStats commitStats() {
        return delegate.commitStats();
    }

    @Override
    public java.util.Optional<java.util.Set<String>> presentDedupKeys(java.util.Collection<String> dedupKeys) {
        return delegate.presentDedupKeys(dedupKeys);
    }

    @Override
    public CompletableFuture<Long> append(NewItem item) {
        return delegate.append(item);
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
    public int retryDeadItems(java.util.Collection<Long> seqs) {
        return delegate.retryDeadItems(seqs);
    }

    @Override
    public int purgeDeadItems(java.util.Collection<Long> seqs) {
        return delegate.purgeDeadItems(seqs);
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
