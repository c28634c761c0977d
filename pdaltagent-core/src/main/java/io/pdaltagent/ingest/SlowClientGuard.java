package io.pdaltagent.ingest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deadlines for the phases of a request that Jetty's idle timeout cannot bound, because it restarts
 * with every byte: a client that trickles its headers a byte at a time (slowloris) or its body a few
 * bytes at a time would otherwise hold its connection for as long as it likes.
 *
 * <ul>
 *   <li><b>Headers</b>: from the first byte of a request to the end of its headers, at most
 *       {@code headerTimeout}. Then the client gets a 408 with a JSON body and the connection is
 *       closed (no request was started, so nothing else answers it).</li>
 *   <li><b>Body</b>: from the end of the headers to the end of the body, at most
 *       {@code bodyTimeout}. Then the connection's idle timeout is cut to nothing, so Jetty's own
 *       timeout path fails the body read and the ingest handler answers 408, as for a client that
 *       stalled.</li>
 * </ul>
 *
 * <p>Threads: Jetty calls {@link #onOpened}/{@link #onClosed} on its I/O threads; the sweep runs on
 * Jetty's scheduler every {@code tick} and only reads the parsers' (volatile) states. A request is
 * told apart from the next one on a kept-alive connection by the connection's message count, so a
 * deadline passes at most one tick late, and the header deadline at most twice its length when the
 * count moves at the end of the request line. Register it as a bean of the server and as an event
 * listener of each connector:
 *
 * <pre>{@code
 * SlowClientGuard guard = new SlowClientGuard(server.getScheduler(), Duration.ofSeconds(10), Duration.ofSeconds(60));
 * server.addBean(guard);
 * connector.addEventListener(guard);
 * }</pre>
 */
final class SlowClientGuard extends AbstractLifeCycle implements Connection.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(SlowClientGuard.class);
    static final Duration DEFAULT_TICK = Duration.ofSeconds(1);

    private final Scheduler scheduler;
    private final long headerTimeoutNanos;
    private final long bodyTimeoutNanos;
    private final Duration tick;
    private final LongSupplier nanoTime;
    private final Map<HttpConnection, Watch> open = new ConcurrentHashMap<>();
    private final LongAdder headerTimeouts = new LongAdder();
    private final LongAdder bodyTimeouts = new LongAdder();
    private volatile Scheduler.Task next;

    /** What the sweep last saw of one connection; touched by the sweep only. */
    private static final class Watch {
        long messages = -1;
        Phase phase = Phase.IDLE;
        long since;
    }

    /** Where a connection's current request is. */
    enum Phase { IDLE, HEADERS, BODY }

    SlowClientGuard(Scheduler scheduler, Duration headerTimeout, Duration bodyTimeout) {
        this(scheduler, headerTimeout, bodyTimeout, DEFAULT_TICK, System::nanoTime);
    }

    SlowClientGuard(Scheduler scheduler, Duration headerTimeout, Duration bodyTimeout, Duration tick, LongSupplier nanoTime) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.headerTimeoutNanos = headerTimeout.toNanos();
        this.bodyTimeoutNanos = bodyTimeout.toNanos();
        this.tick = Objects.requireNonNull(tick, "tick");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        if (headerTimeoutNanos <= 0 || bodyTimeoutNanos <= 0 || tick.isNegative() || tick.isZero()) {
            throw new IllegalArgumentException("timeouts and tick must be positive");
        }
    }

    @Override
    protected void doStart() {
        schedule();
    }

    @Override
    protected void doStop() {
        Scheduler.Task t = next;
        if (t != null) {
            t.cancel();
        }
        open.clear();
    }

    @Override
    public void onOpened(Connection connection) {
        if (connection instanceof HttpConnection http) {
            open.put(http, new Watch());
        }
    }

    @Override
    public void onClosed(Connection connection) {
        if (connection instanceof HttpConnection http) {
            open.remove(http);
        }
    }

    /** Requests whose headers did not arrive in time (answered 408, closed). */
    long headerTimeouts() {
        return headerTimeouts.sum();
    }

    /** Requests whose body did not arrive in time (timed out, answered 408 by the handler). */
    long bodyTimeouts() {
        return bodyTimeouts.sum();
    }

    /** Connections watched now. */
    int watched() {
        return open.size();
    }

    private void schedule() {
        if (isRunning() || isStarting()) {
            next = scheduler.schedule(this::run, tick.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void run() {
        try {
            sweep();
        } catch (RuntimeException e) {
            LOG.warn("Checking slow clients failed; trying again in {}", tick, e);
        } finally {
            schedule();
        }
    }

    /** One pass over the open connections: ends the requests past a deadline. */
    void sweep() {
        long now = nanoTime.getAsLong();
        for (Map.Entry<HttpConnection, Watch> e : open.entrySet()) {
            HttpConnection connection = e.getKey();
            Watch w = e.getValue();
            Phase phase = phaseOf(connection.getParser().getState());
            long messages = connection.getMessagesIn();
            if (phase != w.phase || messages != w.messages) {
                w.phase = phase;
                w.messages = messages;
                w.since = now;
                continue;
            }
            long age = now - w.since;
            if (phase == Phase.HEADERS && age >= headerTimeoutNanos) {
                w.phase = Phase.IDLE; // answered once
                headerTimeouts.increment();
                LOG.debug("Request headers from {} not complete after {} ms: answering 408 and closing",
                        connection.getEndPoint().getRemoteSocketAddress(), TimeUnit.NANOSECONDS.toMillis(age));
                answerTimeoutAndClose(connection.getEndPoint());
            } else if (phase == Phase.BODY && age >= bodyTimeoutNanos) {
                w.phase = Phase.IDLE;
                bodyTimeouts.increment();
                LOG.debug("Request body from {} not complete after {} ms: timing it out",
                        connection.getEndPoint().getRemoteSocketAddress(), TimeUnit.NANOSECONDS.toMillis(age));
                connection.getEndPoint().setIdleTimeout(1); // Jetty's own timeout path: the handler answers 408
            }
        }
    }

    static Phase phaseOf(HttpParser.State state) {
        return switch (state) {
            case START, END, CLOSE, CLOSED -> Phase.IDLE;
            case CONTENT, EOF_CONTENT, CHUNKED_CONTENT, CHUNK_SIZE, CHUNK, CHUNK_END, CONTENT_END, TRAILER -> Phase.BODY;
            default -> Phase.HEADERS; // METHOD … HEADER: the request line and the header fields
        };
    }

    private static final byte[] HEADER_TIMEOUT_ANSWER = answer();

    private static byte[] answer() {
        byte[] body = IngestServer.JsonErrorHandler.body(408, "Request headers were not received in time");
        String head = "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    /** No request exists yet, so no response is being written: the answer goes straight to the socket. */
    private static void answerTimeoutAndClose(EndPoint endPoint) {
        try {
            endPoint.write(Callback.from(endPoint::close, failure -> endPoint.close()),
                    ByteBuffer.wrap(HEADER_TIMEOUT_ANSWER));
        } catch (RuntimeException e) {
            endPoint.close(); // a write still pending: the client is not reading either
        }
    }
}
