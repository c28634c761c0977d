package io.pdaltagent.ingest;

import io.pdaltagent.testing.ForwardingEventQueue;
import io.pdaltagent.queue.InMemoryEventQueue;
import io.pdaltagent.queue.NewItem;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An in-memory queue whose {@link #append} a test scripts: fail, throw, or hold the future open
 * until the test completes it (a store that is slow to make an event durable).
 */
final class ScriptedQueue extends ForwardingEventQueue {
    private volatile Function<NewItem, CompletableFuture<Long>> append = delegate::append;

    ScriptedQueue() {
        super(new InMemoryEventQueue(Clock.systemUTC(), 1000));
    }
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
}
