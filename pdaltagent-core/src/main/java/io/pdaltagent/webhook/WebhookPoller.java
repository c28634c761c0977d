package io.pdaltagent.webhook;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.observe.Mask;
import io.pdaltagent.observe.PollerStats;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.EventQueue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook poller's life: one platform thread, {@code webhook-poller}, runs a {@link PollCycle}
 * every poll interval (measured from the start of one poll to the start of the next; a poll that
 * takes longer is followed at once by the next, never overlapped), while this agent holds the
 * poller lease. After a 429 it waits for PagerDuty's {@code ratelimit-reset}. Between polls the
 * lease is renewed at least every third of its length, so a live poller never loses it.
 *
 * <p>Log lines change with the state, not with each poll: one ERROR when PagerDuty refuses the
 * token, one WARN when polls start failing, one INFO when they work again.
 *
 * <pre>{@code
 * WebhookPoller p = WebhookPoller.start(config, queue, api, store, dataDir, clock);
 * p.stats();   // for /healthz and /metrics
 * p.close();   // ends the poll under way, gives the lease up
 * }</pre>
 *
 * <p><b>Threads.</b> {@link #stats} may be called from any thread; everything else runs on the
 * poller's thread.
 */
public final class WebhookPoller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookPoller.class);
    /** The activity store is pruned at most this often. */
    static final Duration PRUNE_EVERY = Duration.ofHours(1);
    /** After a poll failed on a store or queue error, wait at least this before the next. */
    static final Duration MIN_WAIT_AFTER_ERROR = Duration.ofSeconds(1);
    static final String AGENT_ID_FILE = "agent-id";

    private final AgentConfig.WebhookConfig config;
    private final ActivityStore store;
    private final PollCycle cycle;
    private final Forwarder forwarder;
    private final Clock clock;
    private final String holder;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;
    private final AtomicLong forwarded = new AtomicLong();
    private final Map<String, AtomicLong> polls = new ConcurrentHashMap<>();
    private volatile String state = "starting";
    private volatile Instant lastPollAt;
    private volatile String lastOutcome;
    private volatile String lastError;
    private volatile Instant cursor;
    private volatile int rateLimited;
    private Instant lastPrune = Instant.MIN;
    private boolean failing;

    private WebhookPoller(AgentConfig.WebhookConfig config, EventQueue queue, LogEntriesClient api, ActivityStore store,
                          String holder, Clock clock, WebhookFilterChain filters) {
        this.config = config;
        this.store = store;
        this.clock = clock;
        this.holder = holder;
        this.forwarder = new Forwarder(queue, store, new Destination(Destination.WEBHOOK, config.destUrl().toString()),
                holder, clock);
        this.cycle = new PollCycle(api, store, forwarder, new WebhookBodies(config.format(), config.configJson(),
                config.destUrl().toString()), config, holder, clock, filters);
        this.thread = Thread.ofPlatform().name("webhook-poller").daemon(true).unstarted(this::run);
    }

    /**
     * Creates the poller and starts its thread. Own entries left STAGED by a previous process are
     * recovered before this returns (while the queue still holds everything that process queued).
     */
    public static WebhookPoller start(AgentConfig.WebhookConfig config, EventQueue queue, LogEntriesClient api,
                                      ActivityStore store, Path dataDir, Clock clock) {
        return start(config, queue, api, store, dataDir, clock, WebhookFilterChain.NONE);
    }

    /** As {@link #start(AgentConfig.WebhookConfig, EventQueue, LogEntriesClient, ActivityStore, Path, Clock)}, each body through {@code filters}. */
    public static WebhookPoller start(AgentConfig.WebhookConfig config, EventQueue queue, LogEntriesClient api,
                                      ActivityStore store, Path dataDir, Clock clock, WebhookFilterChain filters) {
        WebhookPoller p = new WebhookPoller(config, queue, api, store, agentId(dataDir), clock, filters);
        try {
            p.cursor = store.cursor();
            // before the queue's housekeeping can prune what the last process delivered
            p.forwarded.addAndGet(p.forwarder.recover(false));
        } catch (RuntimeException e) {
            LOG.warn("webhook poller: recovery at start failed, repeated at the first poll: {}", e.getMessage());
        }
        p.thread.start();
        LOG.info("webhook poller started as {}: {} every {} s to {}, {} activity store", p.holder, config.apiBaseUrl(),
                config.pollInterval().toSeconds(), Mask.url(config.destUrl().toString()), store.kind());
        return p;
    }

    /**
     * This agent's stable id (kept in the data dir): the lease holder and the owner of staged
     * entries, so that after a restart the agent recognises its own.
     */
    static String agentId(Path dataDir) {
        Path f = dataDir.resolve(AGENT_ID_FILE);
        try {
            if (Files.exists(f)) {
                String id = Files.readString(f, StandardCharsets.UTF_8).strip();
                if (!id.isEmpty() && id.length() <= 100) {
                    return id;
                }
            }
            Files.createDirectories(dataDir);
            String id = hostName() + "-" + UUID.randomUUID().toString().substring(0, 8);
            Path tmp = dataDir.resolve(AGENT_ID_FILE + ".tmp");
            Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return id;
        } catch (IOException e) {
            throw new ActivityStoreException("cannot keep the agent id in " + f + ": " + e.getMessage(), e);
        }
    }

    private static String hostName() {
        try {
            String h = java.net.InetAddress.getLocalHost().getHostName();
            return h.replaceAll("[^A-Za-z0-9._-]", "");
        } catch (IOException e) {
            return "agent";
        }
    }

    private void run() {
        while (stop.getCount() > 0) {
            Instant started = clock.instant();
            Duration wait = config.pollInterval();
            try {
                if (!store.tryLease(holder, config.lease())) {
                    if (!"standby".equals(state)) {
                        LOG.info("webhook poller: another agent holds the poller lease; standing by");
                    }
                    state = "standby";
                } else {
                    if ("standby".equals(state)) {
                        LOG.info("webhook poller: this agent holds the poller lease now and polls");
                    }
                    Duration after = pollOnce();
                    if (after != null) {
                        wait = after;
                    }
                }
            } catch (RuntimeException e) {
                failed("error", e.getMessage() == null ? e.toString() : e.getMessage());
                wait = config.pollInterval();
            }
            Duration elapsed = Duration.between(started, clock.instant());
            Duration left = wait.minus(elapsed);
            if (!awaitRenewing(left.isNegative() ? Duration.ZERO : left)) {
                return;
            }
        }
    }

    /** One poll; returns a wait other than the interval (after a 429), or null. */
    private Duration pollOnce() throws RuntimeException {
        if (!"unauthorized".equals(state)) {
            state = "active";
        }
        PollCycle.Result r;
        try {
            r = cycle.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Duration.ZERO;
        } catch (RuntimeException e) {
            failed("error", e.getMessage() == null ? e.toString() : e.getMessage());
            return MIN_WAIT_AFTER_ERROR.compareTo(config.pollInterval()) > 0 ? MIN_WAIT_AFTER_ERROR : null;
        } finally {
            rateLimited = cycle.rateLimitedCount();
            try {
                cursor = store.cursor();
            } catch (RuntimeException ignored) {
                // the cursor shown in health stays at its last known value
            }
        }
        lastPollAt = clock.instant();
        return switch (r) {
            case PollCycle.Result.Done d -> {
                ok(d.forwarded());
                prune();
                yield null;
            }
            case PollCycle.Result.RateLimited x -> {
                forwarded.addAndGet(x.forwarded());
                count("rate_limited");
                lastOutcome = "rate_limited";
                LOG.info("webhook poller: PagerDuty's REST rate limit reached; the next poll in {} s (ratelimit-reset)",
                        x.retryIn().toSeconds());
                yield x.retryIn();
            }
            case PollCycle.Result.Refused x -> {
                count("unauthorized");
                lastOutcome = "unauthorized";
                lastError = "PagerDuty refused the API token (HTTP " + x.status() + ")" + (x.message().isEmpty() ? "" : ": "
                        + x.message());
                if (!"unauthorized".equals(state)) {
                    LOG.error("webhook poller: {}. Check PDAGENTD_API_TOKEN (an API key, or 'Bearer <token>' for an OAuth "
                            + "token, with read access to incidents); polling goes on every {} s", lastError,
                            config.pollInterval().toSeconds());
                }
                state = "unauthorized";
                failing = true;
                yield null;
            }
            case PollCycle.Result.Failed x -> {
                failed("error", x.message());
                yield null;
            }
        };
    }

    private void ok(int n) {
        forwarded.addAndGet(n);
        count("ok");
        lastOutcome = "ok";
        if (failing) {
            LOG.info("webhook poller: polls work again");
            failing = false;
        }
        state = "active";
        lastError = null;
        if (n > 0) {
            LOG.debug("webhook poller: {} webhook(s) queued", n);
        }
    }

    private void failed(String outcome, String message) {
        count(outcome);
        lastOutcome = outcome;
        lastError = message;
        lastPollAt = clock.instant();
        if (!failing) {
            LOG.warn("webhook poller: poll failed, retried every {} s until it works: {}", config.pollInterval().toSeconds(),
                    message);
            failing = true;
        }
        if ("unauthorized".equals(state)) {
            state = "active";
        }
    }

    private void prune() {
        Instant now = clock.instant();
        if (Duration.between(lastPrune, now).compareTo(PRUNE_EVERY) < 0 && lastPrune != Instant.MIN) {
            return;
        }
        lastPrune = now;
        int n = store.prune(now.minus(config.keepActivity()));
        if (n > 0) {
            LOG.info("webhook poller: forgot {} log entr(ies) older than {}", n, config.keepActivity());
        }
    }

    /** Waits {@code d}, renewing the lease every third of its length; false when stopped. */
    private boolean awaitRenewing(Duration d) {
        Duration slice = config.lease().dividedBy(3);
        Instant end = clock.instant().plus(d);
        try {
            while (true) {
                Duration left = Duration.between(clock.instant(), end);
                if (left.isNegative() || left.isZero()) {
                    return stop.getCount() > 0;
                }
                Duration step = left.compareTo(slice) < 0 ? left : slice;
                if (stop.await(Math.max(1, step.toMillis()), TimeUnit.MILLISECONDS)) {
                    return false;
                }
                if ("active".equals(state) && Duration.between(clock.instant(), end).compareTo(Duration.ZERO) > 0) {
                    try {
                        store.tryLease(holder, config.lease());
                    } catch (RuntimeException e) {
                        LOG.debug("webhook poller: renewing the lease failed: {}", e.getMessage());
                    }
                }
            }
        } catch (InterruptedException e) {
            return false;
        }
    }

    private void count(String outcome) {
        polls.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
    }

    public PollerStats stats() {
        Map<String, Long> p = new TreeMap<>();
        polls.forEach((k, v) -> p.put(k, v.get()));
        return new PollerStats(state, lastPollAt, lastOutcome, lastError, cursor, forwarded.get(), p, rateLimited,
                store.kind());
    }

    /** Stops the poll under way (it is repeated from the cursor at the next start) and gives the lease up. */
    @Override
    public void close() {
        stop.countDown();
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(35));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            store.releaseLease(holder);
        } catch (RuntimeException e) {
            LOG.debug("webhook poller: giving the lease up failed: {}", e.getMessage());
        }
        state = "stopped";
    }
}
