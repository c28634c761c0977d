package io.pdaltagent;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stages an {@link Agent} has started, closed in the reverse order of their start: on a stop,
 * and when a later stage fails to start (so that a failed start leaves no port bound, no thread
 * running and the queue's lock released). A stage whose close throws is logged and the others are
 * still closed.
 *
 * <pre>{@code
 * Stages stages = new Stages();
 * EventQueue queue = stages.add("queue", openQueue(), q -> q.close());
 * ...
 * stages.close();   // the last started first, the queue last
 * }</pre>
 *
 * <p>Threads: {@link #add} from the starting thread; {@link #close} once, from any thread (the
 * agent's close is synchronized).
 */
final class Stages implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Stages.class);

    /** How one started stage is stopped. */
    @FunctionalInterface
    interface Closer<T> {
        void close(T stage) throws Exception;
    }

    private record Started(String name, Runnable close) {
    }

    private final Deque<Started> started = new ArrayDeque<>();

    /** Records a started stage (null: not started, nothing to close); returns it. */
    <T> T add(String name, T stage, Closer<? super T> closer) {
        if (stage != null) {
            started.push(new Started(name, () -> {
                try {
                    closer.close(stage);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    LOG.warn("stopping {} failed: {}", name, e.toString());
                }
            }));
        }
        return stage;
    }

    /** Records a closing step without an object of its own (e.g. removing a file the start wrote). */
    void onClose(String name, Runnable step) {
        add(name, step, Runnable::run);
    }

    /** The names of the started stages, the last started first (the order {@link #close} takes). */
    java.util.List<String> names() {
        return started.stream().map(Started::name).toList();
    }

    /** Closes every started stage, the last started first. */
    @Override
    public void close() {
        while (!started.isEmpty()) {
            started.pop().close().run();
        }
    }
}
