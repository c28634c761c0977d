package io.pdaltagent.dashboard;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The limit on failed dashboard logins: at most {@link #MAX_FAILURES_PER_SOURCE} failures per source
 * address and {@link #MAX_FAILURES_TOTAL} from all sources together within {@link #WINDOW}; past
 * either, logins are refused (429 with {@code Retry-After}) until the oldest failure in the window
 * ages out. A successful login does not clear the count: a guesser who gets one right has guessed
 * right, and counting on stops nobody else.
 *
 * <pre>{@code
 * Duration wait = throttle.refusal(address);   // null: may try
 * if (wait == null && !passwordMatches) throttle.failed(address);
 * }</pre>
 *
 * The global limit stops a guesser who rotates addresses, at the price that such a flood also locks
 * out the operator for the window (the read and admin tokens over the queue admin API keep working).
 * At most {@link #MAX_SOURCES} addresses are tracked; past that the oldest entries go first.
 *
 * <p>Threads: any admin listener thread; every method is synchronized (a few calls a minute).
 */
public final class LoginThrottle {
    /** Enough for typos, far too few for guessing. */
    public static final int MAX_FAILURES_PER_SOURCE = 5;
    /** Guessing from many addresses at once: a password of 12+ characters stays out of reach. */
    public static final int MAX_FAILURES_TOTAL = 50;
    public static final Duration WINDOW = Duration.ofMinutes(15);
    /** Bounds memory against a flood from many addresses. */
    static final int MAX_SOURCES = 10_000;

    private final Clock clock;
    private final Map<String, Deque<Instant>> bySource = new LinkedHashMap<>();
    private final Deque<Instant> all = new ArrayDeque<>();

    public LoginThrottle(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** How long {@code source} must wait before its next try, or null when it may try now. */
    public synchronized Duration refusal(String source) {
        Instant now = clock.instant();
        prune(all, now);
        Deque<Instant> mine = bySource.get(source);
        if (mine != null) {
            prune(mine, now);
            if (mine.isEmpty()) {
                bySource.remove(source);
                mine = null;
            }
        }
        Instant until = null;
        if (mine != null && mine.size() >= MAX_FAILURES_PER_SOURCE) {
            until = mine.peekFirst().plus(WINDOW);
        }
        if (all.size() >= MAX_FAILURES_TOTAL) {
            Instant global = all.peekFirst().plus(WINDOW);
            until = until == null || global.isAfter(until) ? global : until;
        }
        return until == null ? null : Duration.between(now, until).plusSeconds(1).withNanos(0);
    }

    /** Counts one failed login from {@code source}. */
    public synchronized void failed(String source) {
        Instant now = clock.instant();
        all.addLast(now);
        while (all.size() > MAX_FAILURES_TOTAL) {
            all.removeFirst();
        }
        Deque<Instant> mine = bySource.remove(source);
        if (mine == null) {
            mine = new ArrayDeque<>();
        }
        mine.addLast(now);
        while (mine.size() > MAX_FAILURES_PER_SOURCE) {
            mine.removeFirst();
        }
        bySource.put(source, mine);
        if (bySource.size() > MAX_SOURCES) {
            Iterator<Map.Entry<String, Deque<Instant>>> it = bySource.entrySet().iterator();
            it.next();
            it.remove();
        }
    }

    synchronized int trackedSources() {
        return bySource.size();
    }

    private static void prune(Deque<Instant> failures, Instant now) {
        Instant cutoff = now.minus(WINDOW);
        while (!failures.isEmpty() && !failures.peekFirst().isAfter(cutoff)) {
            failures.removeFirst();
        }
    }
}
