package io.pdaltagent.ingest;

import java.util.Arrays;
import org.eclipse.jetty.io.Content;

/**
 * Reads a request body into memory without blocking: it takes what the connection has, then asks
 * Jetty to call it again when more arrives ({@link Content.Source#demand}). It stops as soon as
 * the body passes its limit, so a client cannot make the agent buffer more than the limit.
 *
 * <p>One reader per request; Jetty never runs two of its callbacks at once, so it needs no locks.
 * Exactly one method of the {@link Sink} is called, on a Jetty thread.
 */
final class BodyReader implements Runnable {
    /** Where the outcome of a read goes. */
    interface Sink {
        void body(byte[] body);

        void tooLarge();

        /** The client went away, the connection failed or timed out before the body was complete. */
        void failed(Throwable cause);
    }

    /**
     * Largest first buffer. Memory grows with the bytes that actually arrived, not with the length a
     * client announces: a thousand clients that announce 512 KB and stall must not cost 512 MB.
     */
    private static final int INITIAL_CAPACITY = 16 * 1024;

    private final Content.Source source;
    private final int maxBytes;
    private final Sink sink;
    private final long expectedLength;
    private byte[] buffer;
    private int size;

    /**
     * @param expectedLength the Content-Length, or -1; must not exceed {@code maxBytes}
     */
    BodyReader(Content.Source source, long expectedLength, int maxBytes, Sink sink) {
        this.source = source;
        this.maxBytes = maxBytes;
        this.sink = sink;
        this.expectedLength = expectedLength;
        this.buffer = new byte[(int) Math.min(expectedLength >= 0 ? expectedLength : maxBytes, INITIAL_CAPACITY)];
    }

    /** Reads what is there; called first by the handler, then by Jetty whenever content arrives. */
    @Override
    public void run() {
        while (true) {
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                source.demand(this);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                // transient failures (an idle timeout) included: a stalled client has had its time
                sink.failed(chunk.getFailure());
                return;
            }
            boolean last = chunk.isLast();
            boolean over;
            try {
                over = append(chunk);
            } finally {
                chunk.release();
            }
            if (over) {
                sink.tooLarge();
                return;
            }
            if (last) {
                sink.body(size == buffer.length ? buffer : Arrays.copyOf(buffer, size));
                return;
            }
        }
    }

    /** Copies the chunk's bytes; returns true, copying nothing, when they would pass the limit. */
    private boolean append(Content.Chunk chunk) {
        int n = chunk.remaining();
        if (n == 0) {
            return false;
        }
        if ((long) size + n > maxBytes) {
            return true;
        }
        if (size + n > buffer.length) {
            long ceiling = expectedLength >= size + n ? expectedLength : maxBytes; // the announced length, if any
            int grown = (int) Math.min(ceiling, Math.max((long) size + n, 2L * buffer.length));
            buffer = Arrays.copyOf(buffer, grown);
        }
        chunk.getByteBuffer().get(buffer, size, n);
        size += n;
        return false;
    }
}
