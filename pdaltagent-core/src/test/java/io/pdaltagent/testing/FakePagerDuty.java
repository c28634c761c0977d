package io.pdaltagent.testing;

import java.io.UncheckedIOException;
import java.net.BindException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.function.Function;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.slf4j.LoggerFactory;

/**
 * A fake of PagerDuty's events host over a real HTTP server, for delivery tests, crash tests and
 * benchmarks. It serves {@code POST} on every events path ({@link EventEndpoint}), answers with
 * PagerDuty's shapes, records what it received in arrival order, and can be scripted.
 *
 * <pre>{@code
 * try (FakePagerDuty fake = FakePagerDuty.builder().latency(Duration.ofMillis(50)).start()) {
 *     fake.enqueue(Answer.status(500), Answer.status(429).header("Retry-After", "2"));
 *     fake.enqueueFor(key, Answer.invalidEvent("Invalid routing key"));
 *     ... point the deliverer at fake.baseUrl() ...
 *     await().until(() -> fake.acceptedCount() == 3);
 *     assertThat(fake.received(key)).extracting(ReceivedEvent::dedupKey).containsExactly("a", "b", "c");
 * }
 * }</pre>
 *
 * <p><b>Which answer a request gets</b>, first match wins: the next answer queued for its routing key
 * ({@link #enqueueFor}); the next answer of the global queue ({@link #enqueue}); the hook
 * ({@link #answerWith}) when it returns non-null; the {@link #defaultAnswer}; else PagerDuty's own
 * behaviour: success (202 v2, 200 v1), 400 for a body that is not JSON on a JSON path, 405 for a
 * method other than POST, 404 for an unknown path. An answer without its own delay is carried out
 * after the default {@link #latency}.
 *
 * <p><b>Threading.</b> Thread-safe. The Jetty handler never blocks: bodies are read asynchronously
 * and delayed answers are completed from Jetty's scheduler, so a thousand requests waiting out a
 * 50 ms latency hold no thread. Choosing an answer and appending the record happen under one lock,
 * so the scripts are consumed in the order of {@link ReceivedEvent#index()}; the hook runs under
 * that lock and must be quick.
 *
 * <p><b>Rate limit</b> ({@link #rateLimit}, off by default): like PagerDuty, at most N accepted
 * events per routing key in a trailing window; an event that would otherwise be accepted (by
 * PagerDuty's own behaviour or a scripted 2xx) is answered 429 above it, with or without
 * {@code Retry-After}. {@link #throttledCount} counts those 429s.
 *
 * <p><b>Admin paths</b> (not recorded): {@code GET /__stats} answers
 * {@code {"count":N,"accepted":A,"keys":K,"order_violations":V,"duplicates":D}} (see
 * {@link Stats}); {@code POST /__clear} forgets everything received.
 *
 * <p>{@link #stop()} then {@link #start()} serves again on the same port, keeping records and
 * scripts: an outage. {@link #main} runs it stand-alone for benchmarks.
 */
public final class FakePagerDuty implements AutoCloseable {
    /** Idle connections are closed after this long, a hung request is dropped after it. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** Pending connections the kernel may queue: enough for 1,000+ clients connecting at once. */
    private static final int ACCEPT_QUEUE = 4096;

    static {
        quietJettyDebugLogging();
    }

    private final String host;
    private final int requestedPort;
    private final boolean keepBodies;
    private final boolean recordEvents;
    private final int maxThreads;
    private final Duration idleTimeout;
    private final TestCertificate tls;
    private final Duration initialLatency;
    private final Answer initialDefault;
    private final Function<ReceivedEvent, Answer> initialHook;

    private final Object lock = new Object();
    private final List<ReceivedEvent> records = new ArrayList<>();
    private final Queue<Answer> script = new ArrayDeque<>();
    private final Map<String, Queue<Answer>> scriptByKey = new HashMap<>();
    private final DeliveryStats stats = new DeliveryStats();
    private long nextIndex;

    private volatile Duration latency;
    private volatile Answer defaultAnswer;
    private volatile Function<ReceivedEvent, Answer> hook;
    /** Guarded by {@link #lock}; null: no rate limit. */
    private RateLimit rateLimit;

    private Server server;
    private FakePagerDutyHandler handler;
    private int boundPort;

    private FakePagerDuty(Builder b) {
        this.host = b.host;
        this.requestedPort = b.port;
        this.keepBodies = b.keepBodies;
        this.recordEvents = b.recordEvents;
        this.maxThreads = b.maxThreads;
        this.idleTimeout = b.idleTimeout;
        this.tls = b.tls;
        this.initialLatency = b.latency;
        this.initialDefault = b.defaultAnswer;
        this.initialHook = b.hook;
        this.latency = b.latency;
        this.defaultAnswer = b.defaultAnswer;
        this.hook = b.hook;
        this.boundPort = b.port;
        if (b.rateLimit > 0) {
            this.rateLimit = new RateLimit(b.rateLimit, b.rateWindow, b.retryAfter, System::nanoTime);
        }
    }

    /** A builder; {@code FakePagerDuty.builder().start()} is a fake with defaults on a free port. */
    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Starts serving: on the builder's port (0 = a free one) the first time, on the same port as
     * before after {@link #stop()}. Does nothing when already running.
     *
     * @throws UncheckedIOException when the port is taken
     */
    public synchronized FakePagerDuty start() {
        if (server != null) {
            return this;
        }
        QueuedThreadPool pool = new QueuedThreadPool(maxThreads, Math.min(8, maxThreads));
        pool.setName("fake-pagerduty");
        pool.setDaemon(true);
        ScheduledExecutorScheduler scheduler = new ScheduledExecutorScheduler("fake-pagerduty-scheduler", true);
        Server s = new Server(pool, scheduler, null);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        HttpConnectionFactory h1 = new HttpConnectionFactory(http);
        ServerConnector connector;
        if (tls != null) {
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStore(tls.keyStore());
            ssl.setKeyStorePassword(tls.password());
            connector = new ServerConnector(s, 1, 1, new SslConnectionFactory(ssl, h1.getProtocol()), h1);
        } else {
            connector = new ServerConnector(s, 1, 1, h1);
        }
        connector.setHost(host);
        connector.setPort(boundPort);
        connector.setAcceptQueueSize(ACCEPT_QUEUE);
        connector.setIdleTimeout(idleTimeout.toMillis());
        connector.setReuseAddress(true);
        s.addConnector(connector);
        FakePagerDutyHandler h = new FakePagerDutyHandler(this, keepBodies);
        s.setHandler(h);
        s.setStopTimeout(0);
        try {
            s.start();
        } catch (Exception e) {
            try {
                s.stop();
            } catch (Exception ignored) {
                // already failing; the start failure is what matters
            }
            if (e instanceof BindException || e.getCause() instanceof BindException) {
                throw new UncheckedIOException("FakePagerDuty cannot bind " + host + ":" + boundPort,
                        e instanceof BindException be ? be : (BindException) e.getCause());
            }
            throw new IllegalStateException("FakePagerDuty failed to start on " + host + ":" + boundPort, e);
        }
        this.server = s;
        this.handler = h;
        this.boundPort = connector.getLocalPort();
        return this;
    }

    /**
     * Stops serving: closes the listening socket and every open connection, including requests
     * waiting for a delayed or hung answer. Records, scripts and the port are kept for
     * {@link #start()}.
     */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        try {
            handler.abortAll();
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("FakePagerDuty failed to stop", e);
        } finally {
            server = null;
            handler = null;
        }
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    /** The port it serves (or served, or will serve after a restart). 0 before the first start on port 0. */
    public synchronized int port() {
        return boundPort;
    }

    /** {@code http://127.0.0.1:PORT} ({@code https://} when built with TLS), with no trailing slash. */
    public String baseUrl() {
        int p = port();
        if (p == 0) {
            throw new IllegalStateException("not started yet: the port is chosen at start");
        }
        String shownHost = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
        if (shownHost.contains(":")) {
            shownHost = "[" + shownHost + "]";
        }
        return (tls != null ? "https://" : "http://") + shownHost + ":" + p;
    }

    /** {@link #baseUrl()} followed by {@code path}, e.g. {@code url("/v2/enqueue")}. */
    public String url(String path) {
        return baseUrl() + (path.startsWith("/") ? path : "/" + path);
    }

    // ---------------------------------------------------------------- scripting

    /** Sets the default latency: how long every answer without its own delay waits. */
    public FakePagerDuty latency(Duration latency) {
        if (latency.isNegative()) {
            throw new IllegalArgumentException("negative latency: " + latency);
        }
        this.latency = latency;
        return this;
    }

    public Duration latency() {
        return latency;
    }

    /**
     * The answer for requests no script or hook answers, e.g. {@code Answer.status(503)} for an
     * outage; null restores PagerDuty's own behaviour.
     */
    public FakePagerDuty defaultAnswer(Answer answer) {
        this.defaultAnswer = answer;
        return this;
    }

    /**
     * A hook consulted after the queued scripts: return an answer, or null to fall through to the
     * default. It sees the request with {@code status} 0 (not decided yet), runs under the fake's
     * lock and must be quick. Null removes the hook.
     */
    public FakePagerDuty answerWith(Function<ReceivedEvent, Answer> hook) {
        this.hook = hook;
        return this;
    }

    /** Queues answers for the next requests, whatever their routing key, consumed in order. */
    public FakePagerDuty enqueue(Answer... answers) {
        synchronized (lock) {
            script.addAll(Arrays.asList(answers));
        }
        return this;
    }

    /** Queues the same answer for the next {@code times} requests. */
    public FakePagerDuty enqueue(Answer answer, int times) {
        Answer[] copies = new Answer[times];
        Arrays.fill(copies, Objects.requireNonNull(answer, "answer"));
        return enqueue(copies);
    }

    /** Queues answers for the next requests carrying this routing key; they win over {@link #enqueue}. */
    public FakePagerDuty enqueueFor(String routingKey, Answer... answers) {
        Objects.requireNonNull(routingKey, "routingKey");
        synchronized (lock) {
            scriptByKey.computeIfAbsent(routingKey, k -> new ArrayDeque<>()).addAll(Arrays.asList(answers));
        }
        return this;
    }

    /** Queued answers not consumed yet, global and per key. */
    public int pendingAnswers() {
        synchronized (lock) {
            int n = script.size();
            for (Queue<Answer> q : scriptByKey.values()) {
                n += q.size();
            }
            return n;
        }
    }

    /** Forgets what was received ({@link #clear()}) and the scripts; latency, default and hook go back to the builder's. */
    public FakePagerDuty reset() {
        synchronized (lock) {
            script.clear();
            scriptByKey.clear();
            latency = initialLatency;
            defaultAnswer = initialDefault;
            hook = initialHook;
        }
        clear();
        return this;
    }

    // ---------------------------------------------------------------- what was received

    /** Every request received since the last clear, in arrival order (empty when built with {@code recordEvents(false)}). */
    public List<ReceivedEvent> received() {
        synchronized (lock) {
            return List.copyOf(records);
        }
    }

    /** The requests that carried this routing key, in arrival order. */
    public List<ReceivedEvent> received(String routingKey) {
        synchronized (lock) {
            return records.stream().filter(e -> routingKey.equals(e.routingKey())).toList();
        }
    }

    /** The requests answered 2xx (what PagerDuty would have ingested), in arrival order. */
    public List<ReceivedEvent> accepted() {
        synchronized (lock) {
            return records.stream().filter(ReceivedEvent::accepted).toList();
        }
    }

    /** The requests with this routing key answered 2xx, in arrival order. */
    public List<ReceivedEvent> accepted(String routingKey) {
        synchronized (lock) {
            return records.stream().filter(e -> e.accepted() && routingKey.equals(e.routingKey())).toList();
        }
    }

    /** How many requests arrived on the events paths since the last clear, whatever the answer. */
    public int count() {
        return (int) stats.count();
    }

    /** How many requests carried this routing key (counted even with {@code recordEvents(false)}). */
    public int count(String routingKey) {
        return stats.received(routingKey);
    }

    /** How many requests were answered 2xx. */
    public int acceptedCount() {
        return (int) stats.accepted();
    }

    /** How many requests with this routing key were answered 2xx. */
    public int acceptedCount(String routingKey) {
        return stats.accepted(routingKey);
    }

    /** Accepted events per routing key, sorted by key. */
    public Map<String, Integer> acceptedByKey() {
        return stats.acceptedByKey();
    }

    /** The counters behind {@code GET /__stats}. */
    public Stats stats() {
        return new Stats(stats.count(), stats.accepted(), stats.keys(), stats.orderViolations(), stats.duplicates());
    }

    /** Up to 20 descriptions of order violations, for assertion messages. */
    public List<String> orderViolationSamples() {
        return stats.violationSamples();
    }

    /** Forgets every request received and every counter; scripts stay. */
    public void clear() {
        synchronized (lock) {
            records.clear();
            nextIndex = 0;
            stats.clear();
            if (rateLimit != null) {
                rateLimit.clear();
            }
        }
    }

    /**
     * Counters over everything received since the last clear.
     *
     * @param count           requests received on the events paths
     * @param accepted        of which answered 2xx
     * @param keys            distinct routing keys seen
     * @param orderViolations accepted events whose {@code seq} was below the highest already
     *                        accepted for their key
     * @param duplicates      accepted events whose {@code seq} equalled the highest already accepted
     */
    public record Stats(long count, long accepted, int keys, long orderViolations, long duplicates) {
        /** {@code {"count":N,"accepted":A,"keys":K,"order_violations":V,"duplicates":D}}. */
        public String toJson() {
            return "{\"count\":" + count + ",\"accepted\":" + accepted + ",\"keys\":" + keys
                    + ",\"order_violations\":" + orderViolations + ",\"duplicates\":" + duplicates + "}";
        }
    }

    // ---------------------------------------------------------------- used by the handler

    /** How the handler carries out one request: the record plus the resolved answer. */
    record Decision(ReceivedEvent event, Answer.Kind kind, int status, Map<String, String> headers, String body,
            Duration delay) {
    }

    Decision decide(ReceivedEvent draft, boolean bodyIsJson) {
        ReceivedEvent event;
        Answer answer;
        synchronized (lock) {
            long index = nextIndex++;
            ReceivedEvent probe = draft.withAnswer(index, 0);
            answer = choose(probe);
            int status = statusOf(answer, probe, bodyIsJson);
            if (rateLimit != null && status >= 200 && status < 300 && probe.endpoint() != EventEndpoint.UNKNOWN) {
                long retryAfter = rateLimit.admit(probe.routingKey());
                if (retryAfter >= 0) {
                    answer = throttleAnswer(retryAfter);
                    status = 429;
                }
            }
            event = probe.withAnswer(index, status);
            if (recordEvents) {
                records.add(event);
            }
        }
        stats.add(event);
        Duration delay = answer != null && answer.delay() != null ? answer.delay() : latency;
        if (answer == null || answer.kind() == Answer.Kind.RESPOND) {
            String body = answer != null && answer.body() != null ? answer.body() : defaultBody(event, bodyIsJson);
            return new Decision(event, Answer.Kind.RESPOND, event.status(), answer == null ? Map.of() : answer.headers(), body, delay);
        }
        return new Decision(event, answer.kind(), 0, Map.of(), null, delay);
    }

    /** The Events API's answer over its rate limit (its body is not documented: PagerDuty's v2 shape). */
    private static Answer throttleAnswer(long retryAfterSeconds) {
        Answer a = Answer.status(429).body("{\"status\":\"throttle event\",\"message\":\"Requests for this service"
                + " are arriving too quickly. Please retry later.\"}");
        return retryAfterSeconds > 0 ? a.header("Retry-After", Long.toString(retryAfterSeconds)) : a;
    }

    /**
     * Enforces PagerDuty's per-key rate limit from now on: at most {@code limit} accepted events per
     * routing key in any trailing {@code window}; above it 429, with a {@code Retry-After} in whole
     * seconds when {@code retryAfter}. Replaces any earlier limit (and its counts).
     */
    public FakePagerDuty rateLimit(int limit, Duration window, boolean retryAfter) {
        synchronized (lock) {
            rateLimit = new RateLimit(limit, window, retryAfter, System::nanoTime);
        }
        return this;
    }

    /** Turns the rate limit off. */
    public FakePagerDuty noRateLimit() {
        synchronized (lock) {
            rateLimit = null;
        }
        return this;
    }

    /** Requests answered 429 by the rate limit since it was set or the fake cleared. */
    public long throttledCount() {
        synchronized (lock) {
            return rateLimit == null ? 0 : rateLimit.refused();
        }
    }

    /** The rate limit in words, or null when there is none. */
    public String rateLimitDescription() {
        synchronized (lock) {
            return rateLimit == null ? null : rateLimit.describe();
        }
    }

    void clearFromAdmin() {
        clear();
    }

    private Answer choose(ReceivedEvent probe) {
        if (probe.routingKey() != null) {
            Queue<Answer> forKey = scriptByKey.get(probe.routingKey());
            if (forKey != null && !forKey.isEmpty()) {
                return forKey.poll();
            }
        }
        if (!script.isEmpty()) {
            return script.poll();
        }
        Function<ReceivedEvent, Answer> h = hook;
        if (h != null) {
            Answer a = h.apply(probe);
            if (a != null) {
                return a;
            }
        }
        return defaultAnswer;
    }

    private static int statusOf(Answer answer, ReceivedEvent e, boolean bodyIsJson) {
        if (answer == null) {
            // PagerDuty's own behaviour
            if (e.endpoint() == EventEndpoint.UNKNOWN) {
                return 404;
            }
            if (!"POST".equals(e.method())) {
                return 405;
            }
            if (e.endpoint().requiresJson() && !bodyIsJson) {
                return 400;
            }
            return e.endpoint().successStatus();
        }
        if (answer.kind() != Answer.Kind.RESPOND) {
            return 0;
        }
        if (answer.status() == Answer.PATH_SUCCESS) {
            return e.endpoint() == EventEndpoint.UNKNOWN ? 202 : e.endpoint().successStatus();
        }
        return answer.status();
    }

    private static String defaultBody(ReceivedEvent e, boolean bodyIsJson) {
        int status = e.status();
        if (status >= 200 && status < 300) {
            return PagerDutyBodies.success(e.endpoint(), e.dedupKey());
        }
        if (status == 400 && e.endpoint().requiresJson() && !bodyIsJson) {
            return PagerDutyBodies.UNPARSEABLE;
        }
        return PagerDutyBodies.error(status, e.path());
    }

    /**
     * Jetty logs every request at DEBUG. When logging was left unconfigured (logback's default:
     * everything at DEBUG) that floods test output and slows load tests, so Jetty is turned down to
     * INFO. An explicit level for {@code org.eclipse.jetty} in a logback config is left alone.
     */
    private static void quietJettyDebugLogging() {
        if (LoggerFactory.getLogger("org.eclipse.jetty") instanceof ch.qos.logback.classic.Logger jetty
                && jetty.getLevel() == null
                && !jetty.getEffectiveLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.INFO)) {
            jetty.setLevel(ch.qos.logback.classic.Level.INFO);
        }
    }

    // ---------------------------------------------------------------- builder

    /** Settings fixed at construction; the scripting ones can be changed later on the fake too. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port;
        private boolean keepBodies = true;
        private boolean recordEvents = true;
        private int maxThreads = 64;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private TestCertificate tls;
        private Duration latency = Duration.ZERO;
        private Answer defaultAnswer;
        private Function<ReceivedEvent, Answer> hook;
        private int rateLimit;
        private Duration rateWindow = Duration.ofMinutes(1);
        private boolean retryAfter = true;

        private Builder() {
        }

        /** The port to listen on; 0 (the default) picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /** The address to listen on; default {@code 127.0.0.1}. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** Default latency of every answer; default none. */
        public Builder latency(Duration latency) {
            if (latency.isNegative()) {
                throw new IllegalArgumentException("negative latency: " + latency);
            }
            this.latency = latency;
            return this;
        }

        /**
         * False keeps neither headers nor bodies, only what was parsed from them (routing key, dedup
         * key, action, seq): for big load tests. Default true.
         */
        public Builder keepBodies(boolean keepBodies) {
            this.keepBodies = keepBodies;
            return this;
        }

        /**
         * False keeps no per-request records at all, only the counters ({@link #count()},
         * {@link #stats()}): for benchmarks that run for hours. Default true.
         */
        public Builder recordEvents(boolean recordEvents) {
            this.recordEvents = recordEvents;
            return this;
        }

        /** Jetty's thread pool size; default 64. The handler never blocks, so few are needed. */
        public Builder maxThreads(int maxThreads) {
            if (maxThreads < 4) {
                throw new IllegalArgumentException("maxThreads must be at least 4, was " + maxThreads);
            }
            this.maxThreads = maxThreads;
            return this;
        }

        /** How long an idle connection (or a hung request) is kept; default 30 s. */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
            return this;
        }

        /** Serve HTTPS with this certificate; {@link #baseUrl()} then starts with {@code https://}. */
        public Builder tls(TestCertificate certificate) {
            this.tls = Objects.requireNonNull(certificate, "certificate");
            return this;
        }

        /** See {@link FakePagerDuty#defaultAnswer(Answer)}. */
        public Builder defaultAnswer(Answer answer) {
            this.defaultAnswer = answer;
            return this;
        }

        /** See {@link FakePagerDuty#answerWith(Function)}. */
        public Builder answerWith(Function<ReceivedEvent, Answer> hook) {
            this.hook = hook;
            return this;
        }

        /** See {@link FakePagerDuty#rateLimit}; a limit of 0 (the default) is none. */
        public Builder rateLimit(int limit, Duration window, boolean retryAfter) {
            this.rateLimit = limit;
            this.rateWindow = window;
            this.retryAfter = retryAfter;
            return this;
        }

        /** A fake that is not started yet. */
        public FakePagerDuty build() {
            return new FakePagerDuty(this);
        }

        /** A started fake. */
        public FakePagerDuty start() {
            return build().start();
        }
    }

    // ---------------------------------------------------------------- stand-alone

    /**
     * Serves until killed, for benchmarks:
     * {@code java -cp ... io.pdaltagent.testing.FakePagerDuty --port 9000 --latency-ms 50 --keep-bodies false}.
     * Prints one line when listening, then a summary line each second in which the count changed:
     * {@code <instant> count=N accepted=A keys=K order_violations=V duplicates=D rate=R/s}.
     * Options: {@code --port N} (default 9000), {@code --host H} (default 127.0.0.1),
     * {@code --latency-ms N} (default 0), {@code --keep-bodies true|false} (default false),
     * {@code --record true|false} (keep per-request records in memory; default false),
     * {@code --rate-limit N} accepted events per key per {@code --rate-window-ms M} (default 60000;
     * no limit by default), {@code --retry-after true|false} (send Retry-After on 429; default true).
     */
    public static void main(String[] args) throws InterruptedException {
        FakePagerDutyMain.run(args);
    }

    /** The builder {@link #main} uses; null when only help was asked for. */
    static Builder builderFromArgs(String... args) {
        return FakePagerDutyMain.builderFromArgs(args);
    }

    boolean keepsBodies() {
        return keepBodies;
    }

    boolean recordsEvents() {
        return recordEvents;
    }

    /** The open exchanges, for tests of the fake itself. */
    synchronized Set<?> openExchanges() {
        return handler == null ? Set.of() : handler.openExchanges();
    }
}
