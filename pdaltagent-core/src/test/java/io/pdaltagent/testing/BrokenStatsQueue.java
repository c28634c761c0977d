package io.pdaltagent.testing;

import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.QueueStats;
import io.pdaltagent.queue.StoreUnavailableException;

/** A queue whose {@code stats()} fails as a broken store's would; everything else works. */
public final class BrokenStatsQueue extends ForwardingEventQueue {
    public BrokenStatsQueue(EventQueue delegate) {
        super(delegate);
    }

    @Override
    public QueueStats stats() {
        throw new StoreUnavailableException("disk I/O error");
    }
}
