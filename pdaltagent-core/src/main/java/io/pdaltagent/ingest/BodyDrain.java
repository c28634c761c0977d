package io.pdaltagent.ingest;

import org.eclipse.jetty.io.Content;

/**
 * Reads and discards the rest of a request body after its 413 was sent, up to a bound. Closing a
 * connection with unread bytes makes the kernel reset it, and the reset destroys the answer before a
 * client that is still writing reads it: the client sees a broken pipe instead of a 413. Past the
 * bound, or on failure, it gives up and the connection is closed. Non-blocking: it resumes through
 * {@link Content.Source#demand}.
 */
final class BodyDrain implements Runnable {
    private final Content.Source source;
    private final long limit;
    private final Runnable done;
    private long discarded;

    /** @param done called once, when the whole body was read or the drain gave up */
    BodyDrain(Content.Source source, long limit, Runnable done) {
        this.source = source;
        this.limit = limit;
        this.done = done;
    }

    @Override
    public void run() {
        while (true) {
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                source.demand(this);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                done.run();
                return;
            }
            discarded += chunk.remaining();
            boolean last = chunk.isLast();
            chunk.release();
            if (last) {
                done.run();
                return;
            }
            if (discarded > limit) {
                done.run();
                return;
            }
        }
    }
}
