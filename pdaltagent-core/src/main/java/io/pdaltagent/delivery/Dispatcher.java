package io.pdaltagent.delivery;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.observe.AgentListener;
import io.pdaltagent.observe.Mask;
import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.queue.StoreUnavailableException;
import io.pdaltagent.queue.Ticker;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves items from the queue to their destination. One dispatcher thread claims due items (the
 * queue guarantees at most one per ordering key, always the key's head) as long as fewer than
 * {@code concurrency} deliveries are under way; each claimed item is delivered on its own virtual
 * thread by a {@link DeliveryTask}, whose outcome goes back to the queue before the key's next item
 * can be claimed. So items of one key go out strictly one after another, in order, while up to
 * {@code concurrency} keys are served at once.
 *
 * <p>{@link #close} stops claiming, lets deliveries under way finish within the grace period, then
 * interrupts the rest; an interrupted item goes back to PENDING without counting the attempt.
 *
 * <p><b>Pacing.</b> With pacing on, each routing key of the Events API sends through its token
 * bucket ({@link KeyPacer}): after each attempt the key's next claim is set to when its next token
 * is there, so a key that may not send yet waits in the queue's schedule, never claimed, never
 * IN_FLIGHT. A key claimed without a token (its first item after a restart, or after its schedule
 * forgot it) is given back unsent, the attempt not counted. Webhooks are not paced: they only react
 * to 429 and Retry-After.
 *
 * <p><b>Clock steps.</b> Waits are measured by the queue on the monotonic ticker; event ages for
 * expiry are corrected for forward steps of the wall clock ({@link ClockSteps}).
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    /** How long one claim waits for work before the loop checks whether it should stop. */
    private static final Duration CLAIM_WAIT = Duration.ofMillis(200);
    /** How long to wait before claiming again when the store failed, so errors do not spin. */
    private static final long STORE_RETRY_MILLIS = 1000;

    private final EventQueue queue;
    private final Sender sender;
    private final RetryPolicy policy;
    private final Backoff backoff;
    private final AgentListener listener;
    private final Clock clock;
    private final AgentConfig.DeliveryConfig config;
    private final Semaphore permits;
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("delivery-", 0).factory());
    private final Set<Thread> busy = ConcurrentHashMap.newKeySet();
    /** Null when pacing is off. */
    private final KeyPacer pacer;
    private final ClockSteps steps;
    private volatile boolean running;
    private Thread loop;

    public Dispatcher(EventQueue queue, Sender sender, RetryPolicy policy, Backoff backoff, AgentListener listener,
                      Clock clock, AgentConfig.DeliveryConfig config) {
        this.queue = queue;
        this.sender = sender;
        this.policy = policy;
        this.backoff = backoff;
        this.listener = listener;
        this.clock = clock;
        this.config = config;
        this.permits = new Semaphore(config.concurrency());
        this.pacer = config.pacing().enabled() ? new KeyPacer(config.pacing(), Ticker.of(clock)) : null;
        this.steps = new ClockSteps(clock, Ticker.of(clock));
    }

    /** The Events API's per-key pacer, for status and metrics; null when pacing is off. */
    public KeyPacer pacer() {
        return pacer;
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        loop = Thread.ofPlatform().name("delivery-dispatcher").start(this::run);
    }

    private void run() {
        while (running) {
            try {
                steps.observe();
                if (!permits.tryAcquire(CLAIM_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    continue;
                }
                int granted = 1 + permits.drainPermits();
                List<QueuedItem> items = List.of();
                try {
                    items = queue.claim(granted, CLAIM_WAIT);
                } catch (StoreUnavailableException e) {
                    LOG.error("cannot claim events from the queue: {}", e.getMessage());
                    TimeUnit.MILLISECONDS.sleep(STORE_RETRY_MILLIS);
                    continue;
                } finally {
                    // permits not used by a claimed item go back, whatever happened
                    permits.release(granted - items.size());
                }
                for (QueuedItem item : items) {
                    workers.execute(new DeliveryTask(item));
                }
            } catch (InterruptedException e) {
                if (!running) {
                    return;
                }
            } catch (RuntimeException e) {
                LOG.error("delivery dispatcher: unexpected failure, going on", e);
            }
        }
    }

    /** Delivers one claimed item and stores the outcome. */
    private final class DeliveryTask implements Runnable {
        private final QueuedItem item;

        DeliveryTask(QueuedItem item) {
            this.item = item;
        }

        @Override
        public void run() {
            busy.add(Thread.currentThread());
            try {
                Completion completion = attempt();
                queue.complete(item, completion).join();
            } catch (RuntimeException e) {
                LOG.error("Event(seq={}, key={}): could not store the outcome: {}", item.seq(),
                        Mask.key(item.orderingKey()), e.getMessage());
            } finally {
                busy.remove(Thread.currentThread());
                Thread.interrupted();
                permits.release();
            }
        }

        private Completion attempt() {
            Instant now = clock.instant();
            Duration age = Duration.between(item.acceptedAt(), now);
            // an event that could not be delivered for this long is of no use to anyone any more
            // (unless the wall clock jumped ahead since it came: then it is younger than it looks)
            if (age.compareTo(config.maxEventAge()) > 0
                    && steps.age(item.acceptedAt(), now).compareTo(config.maxEventAge()) > 0) {
                String reason = "expired: not delivered within " + config.maxEventAge() + " (" + (item.attempts() - 1)
                        + " attempt(s)" + (item.lastError() == null ? "" : "; last error: " + item.lastError()) + ")";
                listener.dead(item, 0, reason);
                return new Completion.Dead(0, reason);
            }
            boolean paced = pacer != null && Destination.EVENTS.equals(item.destination().kind());
            if (paced && pacer.acquire(item.orderingKey()) instanceof KeyPacer.Decision.Wait w) {
                // claimed before its key may send (its schedule did not know the pace): give it back
                return new Completion.Released(clock.instant().plus(w.delay()));
            }
            listener.attempting(item);
            RetryPolicy.Outcome outcome;
            try {
                outcome = policy.classify(item.destination(), sender.send(item), clock.instant());
            } catch (IOException e) {
                outcome = policy.classify(e);
            } catch (InterruptedException e) {
                // the agent is stopping: the attempt did not finish, so it does not count
                return new Completion.Released();
            } catch (RuntimeException e) {
                outcome = new RetryPolicy.Outcome.Retry(0, e.toString(), null, false);
            }
            if (paced && outcome instanceof RetryPolicy.Outcome.Retry r && r.throttled()) {
                pacer.throttled(item.orderingKey(), r.after());
            }
            return switch (outcome) {
                case RetryPolicy.Outcome.Delivered d -> {
                    listener.delivered(item, d.status(), Duration.between(item.acceptedAt(), clock.instant()));
                    yield new Completion.Delivered(d.status(), paced ? nextSendAt(item) : null);
                }
                case RetryPolicy.Outcome.Retry r -> {
                    Duration delay = retryDelay(item, r, paced);
                    listener.retryScheduled(item, r.status(), r.error(), delay);
                    yield new Completion.Retry(clock.instant().plus(delay), r.status(), r.error());
                }
                case RetryPolicy.Outcome.Rejected x -> {
                    listener.dead(item, x.status(), x.reason());
                    yield new Completion.Dead(x.status(), x.reason(), paced ? nextSendAt(item) : null);
                }
            };
        }
    }

    /**
     * The wait before a retry. A throttled key of a paced destination waits for its pacer (which
     * just halved its rate and holds it for any Retry-After): the pacer's growing waits are the
     * backoff. Anything else waits as the destination asked, or by the backoff; a paced key never
     * retries before its next token.
     */
    private Duration retryDelay(QueuedItem item, RetryPolicy.Outcome.Retry r, boolean paced) {
        if (paced && r.throttled()) {
            Duration pace = pacer.untilNext(item.orderingKey());
            return r.after() != null && r.after().compareTo(pace) > 0 ? r.after() : pace;
        }
        Duration delay = r.after() != null ? r.after() : backoff.delay(item.attempts());
        if (paced) {
            Duration pace = pacer.untilNext(item.orderingKey());
            return pace.compareTo(delay) > 0 ? pace : delay;
        }
        return delay;
    }

    /** When a paced key may send next; null when it may at once. */
    private Instant nextSendAt(QueuedItem item) {
        Duration wait = pacer.untilNext(item.orderingKey());
        return wait.isZero() ? null : clock.instant().plus(wait);
    }

    /**
     * Stops claiming, waits up to the grace period for deliveries under way, then interrupts those
     * still running (their items go back to PENDING) and waits for their outcomes to be stored.
     */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        try {
            loop.interrupt();
            loop.join(TimeUnit.SECONDS.toMillis(5));
            if (!permits.tryAcquire(config.concurrency(), config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.info("{} delivery attempt(s) still under way after {}; stopping them", busy.size(),
                        config.shutdownGrace());
                busy.forEach(Thread::interrupt);
                if (!permits.tryAcquire(config.concurrency(), 10, TimeUnit.SECONDS)) {
                    LOG.warn("{} delivery attempt(s) did not stop; their events are retried after restart", busy.size());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            workers.shutdownNow();
        }
    }
}
