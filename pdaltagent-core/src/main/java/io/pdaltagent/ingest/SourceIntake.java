package io.pdaltagent.ingest;

import io.pdaltagent.observe.AgentListener;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.transform.SourceRunner;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The door of the plugins' scheduled event sources: each event they return is taken through the
 * same {@link Intake} as HTTP and spool events (validation, transforms) and appended to the queue,
 * waiting for the append to be durable. Listener label: {@code source:<path>}. Called on a source's
 * own thread; thread-safe.
 */
public final class SourceIntake implements SourceRunner.Sink {
    /** How long a source's thread waits for the store to take one event. */
    private static final long APPEND_WAIT_SECONDS = 30;
    static final String LABEL_PREFIX = "source:";

    private final Intake intake;
    private final EventQueue queue;
    private final AgentListener listener;
    private final Clock clock;
    private final int maxBodyBytes;

    public SourceIntake(Intake intake, EventQueue queue, AgentListener listener, Clock clock, int maxBodyBytes) {
        this.intake = Objects.requireNonNull(intake, "intake");
        this.queue = Objects.requireNonNull(queue, "queue");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public String submit(String path, byte[] body) {
        Route.Match match = path.indexOf('?') >= 0 ? null : Route.match(path);
        if (match == null || !match.route().isJson()) {
            return "'" + path + "' is no JSON ingest path";
        }
        String label = LABEL_PREFIX + match.route().template();
        if (body.length > maxBodyBytes) {
            listener.rejected(label, "too_large");
            return "the event is larger than " + maxBodyBytes + " bytes";
        }
        Intake.Outcome o = intake.take(match, path, body, clock.instant());
        if (o instanceof Intake.Rejected r) {
            listener.rejected(label, r.reason());
            return r.reason() + ": " + r.describe();
        }
        Intake.Store store = (Intake.Store) o;
        if (store.suppressedBy() == null || queue.keepsSuppressed()) {
            try {
                queue.append(store.item()).get(APPEND_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            } catch (ExecutionException | TimeoutException e) {
                listener.rejected(label, "unavailable");
                return "the queue did not take it: " + (e.getCause() == null ? e : e.getCause()).getMessage();
            }
        }
        listener.accepted(label);
        return null;
    }
}
