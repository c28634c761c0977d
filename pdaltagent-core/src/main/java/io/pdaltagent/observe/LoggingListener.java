package io.pdaltagent.observe;

import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.QueuedItem;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one log line per state change of an event, through SLF4J.
 *
 * <table>
 *   <caption>Levels</caption>
 *   <tr><td>accepted, rejected ingest</td><td>DEBUG</td></tr>
 *   <tr><td>delivery attempt</td><td>DEBUG</td></tr>
 *   <tr><td>delivered</td><td>DEBUG; INFO for the first delivery of a key after a retry WARN</td></tr>
 *   <tr><td>retry scheduled</td><td>WARN, rate-limited per ordering key</td></tr>
 *   <tr><td>dead</td><td>ERROR, never rate-limited: each line is an event that will not arrive</td></tr>
 * </table>
 *
 * <p>Delivered is DEBUG on purpose, not INFO: the agent delivers thousands of events a second at
 * peak and one INFO line each would flood the log and cost more than the delivery itself. The
 * {@code pdaltagent_delivered_total} metric is the place to see that deliveries happen; the log is
 * for what needs a person. The exception is the end of a retry storm: the first delivery of a key
 * whose retries were warned about is one INFO line, so that a person who saw the WARN also sees
 * that the key's events flow again.
 *
 * <p>An event is named {@code Event(seq=123, key=****abcd)}: the queue's sequence number and the
 * ordering key (a routing key, a secret) masked by {@link Mask#key}. The event body is never
 * logged. Error text (PagerDuty's answer or an exception message) is cut to
 * {@value #MAX_ERROR_CHARS} characters, put on one line, and any occurrence of the item's ordering
 * key in it is masked as well.
 *
 * <p><b>Rate limit.</b> A retry storm (PagerDuty down, network gone) would write a WARN line per
 * attempt. So per ordering key at most one WARN line is written per interval (30 s by default);
 * the following ones are counted, and the next line written for that key says how many were
 * suppressed. The count of a key whose storm ended is not reported until that key warns again.
 * DEBUG and ERROR lines are not limited.
 *
 * <p>Thread-safe; cheap when the level is off: every DEBUG line is guarded.
 */
public final class LoggingListener implements AgentListener {
    /** Error text longer than this is cut, with {@code …} appended. */
    public static final int MAX_ERROR_CHARS = 500;
    public static final Duration DEFAULT_WARN_INTERVAL = Duration.ofSeconds(30);

    /** Above this many tracked keys, expired rate-limit windows are dropped. */
    static final int MAX_TRACKED_KEYS = 10_000;

    private final Logger log;
    private final long warnIntervalNanos;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    public LoggingListener() {
        this(DEFAULT_WARN_INTERVAL);
    }

    /** @param warnInterval at most one retry WARN line per ordering key per this interval */
    public LoggingListener(Duration warnInterval) {
        this(LoggerFactory.getLogger(LoggingListener.class), warnInterval, System::nanoTime);
    }

    /** For tests: a given logger and time source (a monotonic nanosecond counter). */
    LoggingListener(Logger log, Duration warnInterval, LongSupplier nanoTime) {
        this.log = Objects.requireNonNull(log, "log");
        if (warnInterval.isNegative()) {
            throw new IllegalArgumentException("warnInterval must not be negative: " + warnInterval);
        }
        this.warnIntervalNanos = warnInterval.toNanos();
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    @Override
    public void accepted(String path) {
        if (log.isDebugEnabled()) {
            log.debug("Ingest accepted on {}", path);
        }
    }

    @Override
    public void rejected(String path, String reason) {
        if (log.isDebugEnabled()) {
            log.debug("Ingest rejected on {}: {}", path, reason);
        }
    }

    @Override
    public void attempting(QueuedItem item) {
        if (log.isDebugEnabled()) {
            log.debug("Delivering {}: attempt {} to {}", id(item), item.attempts(), destination(item));
        }
    }

    @Override
    public void delivered(QueuedItem item, int status, Duration sinceAccepted) {
        Window w = windows.get(windowKey(item.orderingKey()));
        if (w != null && w.recovered() && log.isInfoEnabled()) {
            log.info("Delivered {}: status {} after {} attempt(s), {} ms since accepted; this key's deliveries work again",
                    id(item), status, item.attempts(), sinceAccepted == null ? "?" : sinceAccepted.toMillis());
        } else if (log.isDebugEnabled()) {
            log.debug("Delivered {}: status {} after {} attempt(s), {} ms since accepted",
                    id(item), status, item.attempts(), sinceAccepted == null ? "?" : sinceAccepted.toMillis());
        }
    }

    @Override
    public void retryScheduled(QueuedItem item, int status, String error, Duration delay) {
        if (!log.isWarnEnabled()) {
            return;
        }
        long suppressed = admit(item.orderingKey());
        if (suppressed < 0) {
            return;
        }
        String tail = suppressed == 0 ? ""
                : " (" + suppressed + " similar warning(s) for this key suppressed since the last one)";
        log.warn("Delivery of {} failed: {}, {}; attempt {}, next in {} ms{}", id(item), status(status),
                errorText(error, item.orderingKey()), item.attempts(), delay == null ? "?" : delay.toMillis(), tail);
    }

    @Override
    public void dead(QueuedItem item, int status, String reason) {
        Window w = windows.get(windowKey(item.orderingKey()));
        if (w != null) {
            w.recovered();  // the storm ended with this line
        }
        log.error("Gave up on {}: {}, {}; after {} attempt(s); it stays dead until retried by a person",
                id(item), status(status), errorText(reason, item.orderingKey()), item.attempts());
    }

    // ---------------------------------------------------------------- formatting

    /** {@code Event(seq=123, key=****abcd)}. */
    static String id(QueuedItem item) {
        return "Event(seq=" + item.seq() + ", key=" + Mask.key(item.orderingKey()) + ")";
    }

    private static String status(int status) {
        return status == 0 ? "no HTTP answer" : "status " + status;
    }

    private static String destination(QueuedItem item) {
        Destination d = item.destination();
        if (d == null) {
            return "?";
        }
        return d.kind() + " " + (Destination.WEBHOOK.equals(d.kind()) ? Mask.url(d.target()) : d.target());
    }

    /**
     * Error text fit for one log line: the ordering key masked, line breaks and other control
     * characters escaped, then cut to at most {@link #MAX_ERROR_CHARS} characters (plus {@code …}).
     */
    static String errorText(String error, String orderingKey) {
        if (error == null) {
            return "no error text";
        }
        String e = error;
        if (orderingKey != null && orderingKey.length() > 4) {
            e = e.replace(orderingKey, Mask.key(orderingKey));
        }
        StringBuilder sb = new StringBuilder(Math.min(e.length(), MAX_ERROR_CHARS) + 8);
        int i = 0;
        for (; i < e.length() && sb.length() <= MAX_ERROR_CHARS; i++) {
            char c = e.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        if (sb.length() > MAX_ERROR_CHARS || i < e.length()) {
            sb.setLength(Math.min(sb.length(), MAX_ERROR_CHARS));
            if (Character.isHighSurrogate(sb.charAt(sb.length() - 1))) {
                sb.setLength(sb.length() - 1);
            }
            sb.append('…');
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- rate limit

    /**
     * Whether a WARN line for the key may be written now: -1 when it is suppressed, otherwise the
     * number of lines suppressed for the key since the last one written.
     */
    private static String windowKey(String orderingKey) {
        return orderingKey == null ? "" : orderingKey;
    }

    private long admit(String key) {
        String k = windowKey(key);
        Window w = windows.get(k);
        if (w == null) {
            if (windows.size() >= MAX_TRACKED_KEYS) {
                prune();
            }
            w = windows.computeIfAbsent(k, x -> new Window());
        }
        return w.admit(nanoTime.getAsLong(), warnIntervalNanos);
    }

    /** Drops windows that would admit the next line anyway; clears all if that is not enough. */
    private void prune() {
        long now = nanoTime.getAsLong();
        windows.values().removeIf(w -> w.expired(now, warnIntervalNanos));
        if (windows.size() >= MAX_TRACKED_KEYS) {
            windows.clear();
        }
    }

    /** Keys tracked by the rate limit (for tests). */
    int trackedKeys() {
        return windows.size();
    }

    private static final class Window {
        private boolean logged;
        private long lastLoggedNanos;
        private long suppressed;
        /** A retry of the key was warned about (or suppressed) and no delivery has followed yet. */
        private boolean retrying;

        synchronized long admit(long now, long intervalNanos) {
            retrying = true;
            if (!logged || now - lastLoggedNanos >= intervalNanos) {
                long s = suppressed;
                suppressed = 0;
                logged = true;
                lastLoggedNanos = now;
                return s;
            }
            suppressed++;
            return -1;
        }

        /** Whether the key was retrying (its storm ends here). */
        synchronized boolean recovered() {
            boolean was = retrying;
            retrying = false;
            return was;
        }

        /** The next line would be written, there is no count to report and no recovery to tell. */
        synchronized boolean expired(long now, long intervalNanos) {
            return suppressed == 0 && !retrying && (!logged || now - lastLoggedNanos >= intervalNanos);
        }
    }
}
