package io.pdaltagent.queue;

/** The queue holds its configured maximum of open items; the caller should slow down. */
public final class QueueFullException extends RuntimeException {
    public QueueFullException(long open, long max) {
        super("queue full: " + open + " events waiting (maximum " + max + ")");
    }
}
