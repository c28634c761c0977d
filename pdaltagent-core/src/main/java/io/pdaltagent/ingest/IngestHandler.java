package io.pdaltagent.ingest;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.ingest.Answers.Answer;
import io.pdaltagent.observe.AgentListener;
import io.pdaltagent.observe.Mask;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueueFullException;
import io.pdaltagent.queue.StoreUnavailableException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest endpoints: PagerDuty's event paths, answered as PagerDuty answers them, with the
 * event stored durably in the {@link EventQueue} before any success is sent.
 *
 * <p>Paths: {@code POST /v2/enqueue}, {@code /v2/change/enqueue},
 * {@code /generic/2010-04-15/create_event.json}, {@code /integration/{key}/enqueue},
 * {@code /x-ere/{key}} (JSON) and {@code /nagios/2010-04-15/create_event} (form). Any other path
 * is left to the next handler ({@link #handle} returns false), so health and metrics handlers can
 * be chained after this one; another method on an ingest path is answered 405.
 *
 * <p>Threads: nothing here blocks. The body is read as it arrives, then parsed and checked on the
 * Jetty thread that delivered its last bytes, through the one {@link Intake} (parse, validate,
 * transform); the answer is written when {@link EventQueue#append}
 * completes, on whatever thread completes it. Every answer has a JSON body, and no input can make
 * this handler throw: a bug answers 500 and the next request is served as usual.
 *
 * <pre>{@code
 * server.setHandler(new Handler.Sequence(
 *         new IngestHandler(queue, listener, Clock.systemUTC(), config.maxBodyBytes()),
 *         healthAndMetrics));
 * }</pre>
 */
public final class IngestHandler extends Handler.Abstract.NonBlocking {
    private static final Logger LOG = LoggerFactory.getLogger(IngestHandler.class);

    /** The same warning (queue full, store down) is logged at most this often; they come in floods. */
    private static final long WARN_INTERVAL_NANOS = 10_000_000_000L;

    private static final String JSON_MEDIA_TYPE = Intake.JSON_MEDIA_TYPE;
    /**
     * After an early answer, a body up to this many times the limit is read and discarded so that the
     * client can read the answer; a bigger one is cut off (the answer closes the connection).
     */
    private static final int DRAIN_FACTOR = 8;

    private final EventQueue queue;
    private final AgentListener listener;
    private final Clock clock;
    private final int maxBodyBytes;
    private final Intake intake;
    private final AtomicLong lastWarnNanos = new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS);
    private final AtomicLong lastRefusalNanos = new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS);
    private final AccessGate gate;

    /**
     * @param queue where accepted events go; success is answered once its append completes
     * @param listener told of every answer (accepted, or rejected with a reason)
     * @param clock stamps each event's acceptance time
     * @param maxBodyBytes larger bodies are answered 413 (PagerDuty's limit is 512 KB)
     */
    public IngestHandler(EventQueue queue, AgentListener listener, Clock clock, int maxBodyBytes) {
        this(queue, listener, clock, maxBodyBytes, Intake.plain());
    }

    /**
     * @param intake parses, validates and transforms each body into the item to store (the same
     *     intake as the spool importer's)
     */
    public IngestHandler(EventQueue queue, AgentListener listener, Clock clock, int maxBodyBytes, Intake intake) {
        this(queue, listener, clock, maxBodyBytes, intake, AgentConfig.Allowlist.ALL);
    }

    /**
     * @param allow the source networks and routing keys taken (the relay mode); others are answered 403
     */
    public IngestHandler(EventQueue queue, AgentListener listener, Clock clock, int maxBodyBytes, Intake intake,
                         AgentConfig.Allowlist allow) {
        this.gate = new AccessGate(allow);
        this.intake = Objects.requireNonNull(intake, "intake");
        this.queue = Objects.requireNonNull(queue, "queue");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("maxBodyBytes must be at least 1, not " + maxBodyBytes);
        }
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Route.Match match;
        try {
            match = Route.match(request.getHttpURI().getPath());
        } catch (RuntimeException e) {
            LOG.warn("Could not match a request path; leaving the request to the next handler", e);
            return false;
        }
        if (match == null) {
            return false;
        }
        Exchange exchange = new Exchange(match, request, response, callback);
        try {
            exchange.start();
        } catch (Throwable t) {
            exchange.internalError(t);
        }
        return true;
    }

    /**
     * One request on an ingest path, from its headers to its answer. Exactly one answer is written
     * (guarded by {@code answered}), and the listener hears of exactly one outcome.
     */
    private final class Exchange implements BodyReader.Sink {
        private final Route route;
        private final String pathKey;
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final AtomicBoolean answered = new AtomicBoolean();
        /** Set once the whole body was read; an answer sent before then closes an HTTP/1 connection. */
        private volatile boolean bodyRead;

        Exchange(Route.Match match, Request request, Response response, Callback callback) {
            this.route = match.route();
            this.pathKey = match.pathKey();
            this.request = request;
            this.response = response;
            this.callback = callback;
        }

        void start() {
            if (!gate.allowsSource(request.getConnectionMetaData().getRemoteSocketAddress())) {
                String from = AccessGate.describe(request.getConnectionMetaData().getRemoteSocketAddress());
                refuse("forbidden_source", "Requests from " + from + " are not accepted by this relay",
                        "Refused a request on {} from {}: not in PDAGENTD_ALLOWED_SOURCE_NETWORKS", route.template(), from);
                return;
            }
            String method = request.getMethod();
            if (!"POST".equals(method)) {
                reject(Answers.methodNotAllowed(method), "method_not_allowed", null);
                return;
            }
            if (route == Route.NAGIOS
                    && !NagiosForm.acceptsContentType(request.getHeaders().get(HttpHeader.CONTENT_TYPE))) {
                reject(Answers.unsupportedMediaType(), "unsupported_media_type", null);
                return;
            }
            String encoding = request.getHeaders().get(HttpHeader.CONTENT_ENCODING);
            if (encoding != null && !encoding.isBlank() && !"identity".equalsIgnoreCase(encoding.strip())) {
                reject(Answers.unsupportedEncoding(encoding), "unsupported_media_type", null);
                return;
            }
            long length = request.getLength();
            if (length > maxBodyBytes) {
                reject(Answers.tooLarge(maxBodyBytes), "too_large", "Content-Length " + length);
                return;
            }
            new BodyReader(request, length, maxBodyBytes, this).run();
        }

        @Override
        public void body(byte[] body) {
            bodyRead = true;
            try {
                take(body);
            } catch (Throwable t) {
                internalError(t);
            }
        }

        @Override
        public void tooLarge() {
            reject(Answers.tooLarge(maxBodyBytes), "too_large", "body over " + maxBodyBytes + " bytes");
        }

        /** How much of an unread body is read and dropped after an early answer (see BodyDrain). */
        private long drainLimit() {
            return (long) maxBodyBytes * DRAIN_FACTOR;
        }

        @Override
        public void failed(Throwable cause) {
            // the client stalled, went away or broke the framing; answer if the connection still can
            String detail = "body not read: " + cause.getClass().getSimpleName();
            Answer answer = Answers.unrecognized("Request body could not be read completely");
            if (cause instanceof TimeoutException) {
                answer = new Answer(408, answer.body());
            }
            reject(answer, "malformed", detail);
        }

        private void take(byte[] body) {
            Intake.Outcome outcome = intake.take(new Route.Match(route, pathKey),
                    request.getHttpURI().getPathQuery(), body, clock.instant());
            if (outcome instanceof Intake.Rejected r) {
                if ("invalid".equals(r.reason())) {
                    reject(Answers.invalid(r.errors()), "invalid", "key " + Mask.key(r.keyForLog()) + ", " + r.errors());
                } else {
                    reject(Answers.unrecognized(r.message()), r.reason(), r.logDetail());
                }
                return;
            }
            Intake.Store store = (Intake.Store) outcome;
            if (!gate.allowsKey(store.item().orderingKey())) {
                String masked = Mask.key(store.item().orderingKey());
                refuse("forbidden_key", "Events for routing key " + masked + " are not accepted by this relay",
                        "Refused an event on {} for key {} from {}: not in PDAGENTD_ALLOWED_ROUTING_KEYS",
                        route.template(), masked, AccessGate.describe(request.getConnectionMetaData().getRemoteSocketAddress()));
                return;
            }
            if (store.suppressedBy() != null && !queue.keepsSuppressed()) {
                // suppressed, and this backend keeps no suppressed events: accepted, counted by the rule, not stored
                if (LOG.isDebugEnabled()) {
                    LOG.debug("Suppressed an event on {} for key {} by {}", route.template(),
                            Mask.key(store.item().orderingKey()), store.suppressedBy());
                }
                succeed(store.item().orderingKey(), store.dedupKey(), -1L);
                return;
            }
            append(store.item());
        }

        private void append(NewItem item) {
            String orderingKey = item.orderingKey();
            String dedupKey = item.dedupKey();
            CompletableFuture<Long> stored;
            try {
                stored = queue.append(item);
                if (stored == null) {
                    stored = CompletableFuture.failedFuture(new IllegalStateException("append returned no future"));
                }
            } catch (RuntimeException e) {
                stored = CompletableFuture.failedFuture(e);
            }
            stored.whenComplete((seq, failure) -> {
                try {
                    if (failure == null) {
                        succeed(orderingKey, dedupKey, seq);
                    } else {
                        appendFailed(orderingKey, unwrap(failure));
                    }
                } catch (Throwable t) {
                    internalError(t);
                }
            });
        }

        private void succeed(String orderingKey, String dedupKey, Long seq) {
            if (!answered.compareAndSet(false, true)) {
                return;
            }
            if (LOG.isDebugEnabled()) {
                LOG.debug("Accepted event {} on {} for key {}", seq, route.template(), Mask.key(orderingKey));
            }
            notifyListener(null);
            write(Answers.success(route, dedupKey));
        }

        private void appendFailed(String orderingKey, Throwable failure) {
            if (failure instanceof QueueFullException full) {
                warnAtMostEvery("Queue full: answering {} on {} (key {}): {}", route.throttleStatus(),
                        route.template(), Mask.key(orderingKey), full.getMessage());
                reject(Answers.queueFull(route, full.getMessage()), "queue_full", null);
            } else if (failure instanceof StoreUnavailableException down) {
                warnAtMostEvery("Store unavailable: answering 503 on {} (key {}): {}", route.template(),
                        Mask.key(orderingKey), down.getMessage());
                reject(Answers.unavailable("The event store is unavailable: " + down.getMessage()), "unavailable", null);
            } else {
                LOG.warn("Append failed on {} (key {}); answering 503", route.template(), Mask.key(orderingKey), failure);
                reject(Answers.unavailable("The event could not be stored"), "unavailable", null);
            }
        }

        /** A bug (ours or the store's): 500, counted as {@code unavailable}, the closest listener reason. */
        void internalError(Throwable t) {
            LOG.error("Bug while handling a request on {}; answering 500", route.template(), t);
            reject(Answers.internalError(), "unavailable", null);
        }

        /**
         * Answers with an error and tells the listener; {@code logDetail} (never client content
         * beyond a masked key) goes to the DEBUG log.
         */
        private void reject(Answer answer, String reason, String logDetail) {
            if (!answered.compareAndSet(false, true)) {
                return;
            }
            if (logDetail != null && LOG.isDebugEnabled()) {
                LOG.debug("Rejected a request on {} with {} ({}): {}", route.template(), answer.status(), reason,
                        logDetail);
            }
            notifyListener(reason);
            write(answer);
        }

        /** 403, counted under {@code reason}, logged (WARN at most every ten seconds) with the key masked. */
        private void refuse(String reason, String error, String logFormat, Object... logArgs) {
            warnAtMostEvery(lastRefusalNanos, logFormat, logArgs);
            reject(Answers.forbidden(error), reason, null);
        }

        private boolean isHttp1() {
            HttpVersion version = request.getConnectionMetaData().getHttpVersion();
            return version == HttpVersion.HTTP_1_1 || version == HttpVersion.HTTP_1_0;
        }

        private void notifyListener(String reasonOrNull) {
            try {
                if (reasonOrNull == null) {
                    listener.accepted(route.template());
                } else {
                    listener.rejected(route.template(), reasonOrNull);
                }
            } catch (RuntimeException e) {
                LOG.error("AgentListener threw; ignored", e);
            }
        }

        private void write(Answer answer) {
            try {
                response.setStatus(answer.status());
                HttpFields.Mutable headers = response.getHeaders();
                headers.put(HttpHeader.CONTENT_TYPE, JSON_MEDIA_TYPE);
                if (answer.retryAfterSeconds() > 0) {
                    headers.put(HttpHeader.RETRY_AFTER, answer.retryAfterSeconds());
                }
                if (answer.status() == 405) {
                    headers.put(HttpHeader.ALLOW, "POST");
                }
                Callback done = callback;
                if (!bodyRead && request.getLength() != 0) {
                    if (request.getLength() <= drainLimit()) {
                        // answered before the body was read (413, 405, 415): read the rest after the
                        // answer, so the client sees the answer rather than a reset connection
                        done = Callback.from(() -> new BodyDrain(request, drainLimit(), callback::succeeded).run(),
                                callback::failed);
                    } else if (isHttp1()) {
                        // too much still on the wire to read: a client must not reuse this connection
                        headers.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
                    }
                }
                response.write(true, ByteBuffer.wrap(answer.body()), done);
            } catch (Throwable t) {
                callback.failed(t);
            }
        }
    }

    private void warnAtMostEvery(String format, Object... args) {
        warnAtMostEvery(lastWarnNanos, format, args);
    }

    private static void warnAtMostEvery(AtomicLong lastWarn, String format, Object... args) {
        long now = System.nanoTime();
        long last = lastWarn.get();
        if (now - last >= WARN_INTERVAL_NANOS && lastWarn.compareAndSet(last, now)) {
            LOG.warn(format, args);
        } else if (LOG.isDebugEnabled()) {
            LOG.debug(format, args);
        }
    }

    private static Throwable unwrap(Throwable t) {
        Throwable cur = t;
        while ((cur instanceof CompletionException || cur instanceof ExecutionException) && cur.getCause() != null) {
            cur = cur.getCause();
        }
        return cur;
    }
}
