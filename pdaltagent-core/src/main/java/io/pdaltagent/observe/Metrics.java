package io.pdaltagent.observe;

import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.QueueStats;
import io.pdaltagent.queue.QueuedItem;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The agent's metrics, written by hand in the Prometheus text exposition format 0.0.4.
 *
 * <p>Counters and the latency histogram are fed as an {@link AgentListener}; they are lock-free
 * ({@link LongAdder}) and, once a label value has been seen, the listener methods allocate nothing:
 * children are cached per label value in a {@link ConcurrentHashMap} (per status code in an array).
 * Queue gauges are not tracked at all: they are sampled from the {@link EventQueue} at scrape time,
 * so they can never drift from the store. Process and JVM gauges are sampled at scrape time too.
 *
 * <p>Families, always in this order (families with labels write their children sorted):
 * <pre>
 * pdaltagent_build_info{version}                  gauge, always 1
 * pdaltagent_ingest_accepted_total{path}          counter
 * pdaltagent_ingest_rejected_total{path,reason}   counter
 * pdaltagent_delivery_attempts_total              counter
 * pdaltagent_delivered_total{status}              counter
 * pdaltagent_delivery_retries_total{status}       counter  (status "network": no HTTP answer)
 * pdaltagent_dead_total{status}                   counter  (same rule)
 *   (the three above: webhook deliveries carry destination="webhook" as well)
 * pdaltagent_webhook_poller_active                gauge 1 while this agent polls (holds the lease)
 * pdaltagent_webhook_polls_total{outcome}         counter  ok, rate_limited, unauthorized, error
 * pdaltagent_webhook_entries_forwarded_total      counter  log entries queued as webhooks
 * pdaltagent_webhook_last_poll_timestamp_seconds  gauge
 * pdaltagent_webhook_lag_seconds                  gauge    now minus the cursor: how far behind PagerDuty
 * pdaltagent_pacing_rate_per_minute               gauge    configured pace per routing key (when pacing is on)
 * pdaltagent_pacing_throttled_keys                gauge    keys below full pace after a 429
 * pdaltagent_pacing_tracked_keys                  gauge    keys with a token bucket in memory
 * pdaltagent_pacing_throttles_total               counter  429s (and v1 403s) the pacer learned from
 * pdaltagent_pacing_held_back_total               counter  claims given back unsent for their key's pace
 * pdaltagent_delivery_latency_seconds             histogram, acceptance to delivery
 * pdaltagent_queue_healthy                        gauge 1/0: isHealthy() and stats() succeeded
 * pdaltagent_queue_depth                          gauge, open items       ┐
 * pdaltagent_queue_in_flight                      gauge                   │ only when stats()
 * pdaltagent_queue_retry_scheduled                gauge                   │ succeeded
 * pdaltagent_queue_dead                           gauge                   │
 * pdaltagent_queue_delivered_retained             gauge                   │
 * pdaltagent_queue_oldest_pending_age_seconds     gauge, 0 when none open ┘
 * pdaltagent_queue_commits_total                  counter ┐ the embedded store only
 * pdaltagent_queue_commit_seconds_total           counter │ (commitStats() not null)
 * pdaltagent_queue_slow_commits_total             counter ┘ over CommitStats.SLOW_SECONDS
 * process_resident_memory_bytes                   gauge, from /proc/self/status when present
 * jvm_memory_used_bytes{area="heap|nonheap"}      gauge
 * jvm_threads_live                                gauge
 * </pre>
 * The process and JVM families keep their conventional unprefixed names so that stock dashboards
 * and alerts find them.
 *
 * <p>Thread-safe. Besides the metrics, it remembers the last delivery outcome for the health check
 * ({@link #lastOutcome}).
 */
public final class Metrics implements AgentListener {
    /** The Content-Type of {@link #write}'s output. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** Upper bounds of the latency histogram, in seconds: 5 ms up to an hour. */
    static final double[] LATENCY_BUCKETS_SECONDS = {
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};

    private static final String P = "pdaltagent_";
    private static final String UNKNOWN = "unknown";
    private static final Path PROC_STATUS = Path.of("/proc/self/status");

    /** The kind of a delivery attempt's end. */
    public enum Kind {
        DELIVERED, RETRY, DEAD;

        /** {@code delivered}, {@code retry} or {@code dead}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * How the most recent delivery attempt ended.
     *
     * @param at when the listener heard of it (millisecond precision)
     * @param status the HTTP status, 0 when there was no HTTP answer
     */
    public record LastOutcome(Instant at, Kind kind, int status) {
    }

    // lastOutcome packs epoch millis (50 bits), kind (2 bits) and status (12 bits) in one long, so
    // that recording it is a single volatile write without allocation and it can never be torn.
    private static final long NO_OUTCOME = -1;
    private static final long MAX_MILLIS = (1L << 50) - 1;
    private static final int MAX_STATUS = (1 << 12) - 1;

    private final String version;
    private final Clock outcomeClock;
    private final ConcurrentHashMap<String, LongAdder> accepted = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, LongAdder>> rejected = new ConcurrentHashMap<>();
    private final LongAdder attempts = new LongAdder();
    private final StatusCounter delivered = new StatusCounter();
    private final StatusCounter retries = new StatusCounter();
    private final StatusCounter dead = new StatusCounter();
    private final StatusCounter webhookDelivered = new StatusCounter();
    private final StatusCounter webhookRetries = new StatusCounter();
    private final StatusCounter webhookDead = new StatusCounter();
    private volatile java.util.function.Supplier<PollerStats> poller;
    private volatile java.util.function.Supplier<PacingStats> pacing;
    private final Histogram latency = new Histogram(LATENCY_BUCKETS_SECONDS);
    private volatile long lastOutcome = NO_OUTCOME;

    public Metrics(String version) {
        this(version, Clock.systemUTC());
    }

    /** @param outcomeClock stamps {@link #lastOutcome}; its {@code millis()} is called per outcome */
    public Metrics(String version, Clock outcomeClock) {
        this.version = Objects.requireNonNull(version, "version");
        this.outcomeClock = Objects.requireNonNull(outcomeClock, "outcomeClock");
    }

    // ---------------------------------------------------------------- listener (hot path)

    @Override
    public void accepted(String path) {
        child(accepted, path).increment();
    }

    @Override
    public void rejected(String path, String reason) {
        String p = path == null ? UNKNOWN : path;
        ConcurrentHashMap<String, LongAdder> byReason = rejected.get(p);
        if (byReason == null) {
            byReason = rejected.computeIfAbsent(p, k -> new ConcurrentHashMap<>());
        }
        child(byReason, reason).increment();
    }

    @Override
    public void attempting(QueuedItem item) {
        attempts.increment();
    }

    @Override
    public void delivered(QueuedItem item, int status, Duration sinceAccepted) {
        if (isWebhook(item)) {
            webhookDelivered.increment(status);
            remember(Kind.DELIVERED, status);
            return;
        }
        delivered.increment(status);
        if (sinceAccepted != null) {
            latency.observeNanos(saturatedNanos(sinceAccepted));
        }
        remember(Kind.DELIVERED, status);
    }

    @Override
    public void retryScheduled(QueuedItem item, int status, String error, Duration delay) {
        (isWebhook(item) ? webhookRetries : retries).increment(status);
        remember(Kind.RETRY, status);
    }

    @Override
    public void dead(QueuedItem item, int status, String reason) {
        (isWebhook(item) ? webhookDead : dead).increment(status);
        remember(Kind.DEAD, status);
    }

    private static boolean isWebhook(QueuedItem item) {
        return item != null && io.pdaltagent.queue.Destination.WEBHOOK.equals(item.destination().kind());
    }

    /** Where the webhook poller's figures come from; null (the default) leaves its families out. */
    public void pollerStats(java.util.function.Supplier<PollerStats> source) {
        this.poller = source;
    }

    /** Where the pacing figures come from; null (the default, pacing off) leaves their families out. */
    public void pacingStats(java.util.function.Supplier<PacingStats> source) {
        this.pacing = source;
    }

    /** The pacing snapshot, or null when pacing is off. */
    public PacingStats pacingStats() {
        java.util.function.Supplier<PacingStats> p = pacing;
        return p == null ? null : p.get();
    }

    /** The webhook poller's snapshot, or null when there is no poller. */
    public PollerStats pollerStats() {
        java.util.function.Supplier<PollerStats> p = poller;
        return p == null ? null : p.get();
    }

    /** How the most recent delivery attempt ended, or null when none has ended yet. */
    public LastOutcome lastOutcome() {
        long v = lastOutcome;
        if (v == NO_OUTCOME) {
            return null;
        }
        return new LastOutcome(Instant.ofEpochMilli(v >>> 14), Kind.values()[(int) (v >>> 12) & 3],
                (int) (v & MAX_STATUS));
    }

    private void remember(Kind kind, int status) {
        long millis = Math.clamp(outcomeClock.millis(), 0, MAX_MILLIS);
        lastOutcome = millis << 14 | (long) kind.ordinal() << 12 | Math.clamp(status, 0, MAX_STATUS);
    }

    private static LongAdder child(ConcurrentHashMap<String, LongAdder> map, String label) {
        String k = label == null ? UNKNOWN : label;
        LongAdder a = map.get(k);
        return a != null ? a : map.computeIfAbsent(k, x -> new LongAdder());
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return d.isNegative() ? 0 : Long.MAX_VALUE;
        }
    }

    /** Families another stage writes itself (the transforms' per-rule counters), in the text format. */
    public interface Section {
        void write(Appendable out) throws IOException;
    }

    private final java.util.List<Section> sections = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Adds families written after the built-in ones, on every scrape. */
    public void addSection(Section section) {
        sections.add(java.util.Objects.requireNonNull(section, "section"));
    }

    // ---------------------------------------------------------------- exposition

    /** The exposition as a string; see {@link #write}. */
    public String scrape(EventQueue queue, Clock clock) {
        StringBuilder sb = new StringBuilder(4096);
        try {
            write(sb, queue, clock);
        } catch (IOException e) {
            throw new IllegalStateException("a StringBuilder does not throw", e);
        }
        return sb.toString();
    }

    /**
     * Writes every family in the text exposition format 0.0.4.
     *
     * @param queue sampled for the queue gauges; may be null to leave them out. When its
     *     {@code stats()} throws, only {@code pdaltagent_queue_healthy 0} is written for it.
     * @param clock gives "now" for the age of the oldest open item
     */
    public void write(Appendable out, EventQueue queue, Clock clock) throws IOException {
        Exposition x = new Exposition(out);

        x.family(P + "build_info", "gauge", "Build information of the running agent; always 1.");
        x.sample(P + "build_info", "1", "version", version);

        x.family(P + "ingest_accepted_total", "counter", "Ingest requests stored and answered with success, by route.");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(accepted).entrySet()) {
            x.sample(P + "ingest_accepted_total", Long.toString(e.getValue().sum()), "path", e.getKey());
        }

        x.family(P + "ingest_rejected_total", "counter", "Ingest requests answered with an error, by route and reason.");
        for (Map.Entry<String, ConcurrentHashMap<String, LongAdder>> byPath : new TreeMap<>(rejected).entrySet()) {
            for (Map.Entry<String, LongAdder> e : new TreeMap<>(byPath.getValue()).entrySet()) {
                x.sample(P + "ingest_rejected_total", Long.toString(e.getValue().sum()),
                        "path", byPath.getKey(), "reason", e.getKey());
            }
        }

        x.family(P + "delivery_attempts_total", "counter", "Delivery attempts started.");
        x.sample(P + "delivery_attempts_total", Long.toString(attempts.sum()));

        statusFamily(x, P + "delivered_total", "Items delivered, by HTTP status.", delivered, webhookDelivered);
        statusFamily(x, P + "delivery_retries_total",
                "Failed attempts scheduled for a retry, by HTTP status (network: no HTTP answer).", retries, webhookRetries);
        statusFamily(x, P + "dead_total",
                "Items that became dead, by HTTP status of the last attempt (network: no HTTP answer).", dead, webhookDead);
        writePoller(x, clock.instant());
        writePacing(x);

        String h = P + "delivery_latency_seconds";
        x.family(h, "histogram", "Time from acceptance to delivery of delivered items.");
        Histogram.Snapshot snap = latency.snapshot();
        for (int i = 0; i < snap.bounds().length; i++) {
            x.sample(h + "_bucket", Long.toString(snap.cumulative()[i]), "le", formatBound(snap.bounds()[i]));
        }
        x.sample(h + "_bucket", Long.toString(snap.count()), "le", "+Inf");
        x.sample(h + "_sum", formatDouble(snap.sumSeconds()));
        x.sample(h + "_count", Long.toString(snap.count()));

        if (queue != null) {
            writeQueue(x, queue, clock.instant());
        }
        for (Section section : sections) {
            section.write(out);
        }
        writeProcess(x);
    }

    private static void statusFamily(Exposition x, String name, String help, StatusCounter counter,
                                     StatusCounter webhooks) throws IOException {
        x.family(name, "counter", help);
        for (Map.Entry<Integer, Long> e : counter.snapshot().entrySet()) {
            int status = e.getKey();
            x.sample(name, Long.toString(e.getValue()), "status", status == 0 ? "network" : Integer.toString(status));
        }
        for (Map.Entry<Integer, Long> e : webhooks.snapshot().entrySet()) {
            int status = e.getKey();
            x.sample(name, Long.toString(e.getValue()), "destination", "webhook", "status",
                    status == 0 ? "network" : Integer.toString(status));
        }
    }

    private void writePoller(Exposition x, Instant now) throws IOException {
        PollerStats p;
        try {
            p = pollerStats();
        } catch (RuntimeException e) {
            return;
        }
        if (p == null) {
            return;
        }
        gauge(x, P + "webhook_poller_active", "1 while this agent is the active webhook poller, else 0.",
                "active".equals(p.state()) ? 1 : 0);
        x.family(P + "webhook_polls_total", "counter", "Polls of PagerDuty's log entries, by outcome.");
        for (Map.Entry<String, Long> e : new TreeMap<>(p.polls()).entrySet()) {
            x.sample(P + "webhook_polls_total", Long.toString(e.getValue()), "outcome", e.getKey());
        }
        x.family(P + "webhook_entries_forwarded_total", "counter", "Log entries queued as webhooks.");
        x.sample(P + "webhook_entries_forwarded_total", Long.toString(p.entriesForwarded()));
        if (p.lastPollAt() != null) {
            x.family(P + "webhook_last_poll_timestamp_seconds", "gauge", "When the last poll ended, in Unix seconds.");
            x.sample(P + "webhook_last_poll_timestamp_seconds", Long.toString(p.lastPollAt().getEpochSecond()));
        }
        if (p.cursor() != null) {
            gauge(x, P + "webhook_lag_seconds", "Seconds between now and the end of the last completely read window.",
                    Math.max(0, Duration.between(p.cursor(), now).getSeconds()));
        }
    }

    private void writePacing(Exposition x) throws IOException {
        PacingStats p;
        try {
            p = pacingStats();
        } catch (RuntimeException e) {
            return;
        }
        if (p == null) {
            return;
        }
        gauge(x, P + "pacing_rate_per_minute", "Configured Events API sends per minute per routing key.", p.ratePerMinute());
        gauge(x, P + "pacing_throttled_keys", "Routing keys sending below full pace because PagerDuty answered 429.",
                p.throttledKeys());
        gauge(x, P + "pacing_tracked_keys", "Routing keys with a token bucket in memory.", p.trackedKeys());
        x.family(P + "pacing_throttles_total", "counter", "429s (and v1 403s) the pacer slowed a key down for.");
        x.sample(P + "pacing_throttles_total", Long.toString(p.throttles()));
        x.family(P + "pacing_held_back_total", "counter", "Claims given back unsent because their key had no token.");
        x.sample(P + "pacing_held_back_total", Long.toString(p.heldBack()));
    }

    private static void writeQueue(Exposition x, EventQueue queue, Instant now) throws IOException {
        boolean healthy;
        QueueStats s = null;
        try {
            healthy = queue.isHealthy();
            s = queue.stats();
        } catch (RuntimeException e) {
            healthy = false;
        }
        x.family(P + "queue_healthy", "gauge", "1 when the queue store is usable and answered for these metrics, else 0.");
        x.sample(P + "queue_healthy", healthy && s != null ? "1" : "0");
        if (s == null) {
            return;
        }
        gauge(x, P + "queue_depth", "Open items: neither delivered nor dead.", s.open());
        gauge(x, P + "queue_in_flight", "Items whose delivery is under way.", s.inFlight());
        gauge(x, P + "queue_retry_scheduled", "Items waiting for a retry.", s.retryScheduled());
        gauge(x, P + "queue_dead", "Dead items kept in the store.", s.dead());
        gauge(x, P + "queue_delivered_retained", "Delivered items still kept in the store.", s.delivered());
        double age = 0;
        if (s.oldestOpenAcceptedAt() != null) {
            age = Math.max(0, now.toEpochMilli() - s.oldestOpenAcceptedAt().toEpochMilli()) / 1000.0;
        }
        x.family(P + "queue_oldest_pending_age_seconds", "gauge",
                "Age of the oldest open item since its acceptance; 0 when none is open.");
        x.sample(P + "queue_oldest_pending_age_seconds", formatDouble(age));
        io.pdaltagent.queue.CommitStats commits = null;
        try {
            commits = queue.commitStats();
        } catch (RuntimeException e) {
            // no timings this time; the rest of the queue's metrics stand
        }
        if (commits != null) {
            x.family(P + "queue_commits_total", "counter", "Commits of the embedded store (each 202 waits for one).");
            x.sample(P + "queue_commits_total", Long.toString(commits.commits()));
            x.family(P + "queue_commit_seconds_total", "counter", "Time spent in those commits, syncing to disk included.");
            x.sample(P + "queue_commit_seconds_total", formatDouble(commits.seconds()));
            x.family(P + "queue_slow_commits_total", "counter",
                    "Commits that took over " + formatDouble(io.pdaltagent.queue.CommitStats.SLOW_SECONDS)
                            + " s: clients waited as long; nearly always the disk's sync.");
            x.sample(P + "queue_slow_commits_total", Long.toString(commits.slow()));
        }
        java.util.List<io.pdaltagent.queue.PartitionStats> partitions;
        try {
            partitions = queue.partitionStats();
        } catch (RuntimeException e) {
            partitions = java.util.List.of();
        }
        if (!partitions.isEmpty()) {
            x.family(P + "queue_partition_ready", "gauge", "Messages waiting in a broker partition, taken by no agent yet.");
            for (io.pdaltagent.queue.PartitionStats p : partitions) {
                x.sample(P + "queue_partition_ready", Long.toString(p.ready()), "partition", p.name());
            }
            x.family(P + "queue_partition_held", "gauge", "Messages of a broker partition held by this agent.");
            for (io.pdaltagent.queue.PartitionStats p : partitions) {
                x.sample(P + "queue_partition_held", Long.toString(p.held()), "partition", p.name());
            }
        }
    }

    private static void writeProcess(Exposition x) throws IOException {
        long rss = residentMemoryBytes();
        if (rss >= 0) {
            gauge(x, "process_resident_memory_bytes", "Resident memory size in bytes.", rss);
        }
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        x.family("jvm_memory_used_bytes", "gauge", "Used bytes of a JVM memory area.");
        x.sample("jvm_memory_used_bytes", Long.toString(mem.getHeapMemoryUsage().getUsed()), "area", "heap");
        x.sample("jvm_memory_used_bytes", Long.toString(mem.getNonHeapMemoryUsage().getUsed()), "area", "nonheap");
        gauge(x, "jvm_threads_live", "Live JVM threads, daemon or not.", ManagementFactory.getThreadMXBean().getThreadCount());
    }

    private static void gauge(Exposition x, String name, String help, long value) throws IOException {
        x.family(name, "gauge", help);
        x.sample(name, Long.toString(value));
    }

    private static long residentMemoryBytes() {
        try {
            if (!Files.isReadable(PROC_STATUS)) {
                return -1;
            }
            return parseVmRssBytes(Files.readAllLines(PROC_STATUS, StandardCharsets.ISO_8859_1));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The VmRSS line of a /proc/PID/status file in bytes, or -1 when there is none. */
    static long parseVmRssBytes(List<String> statusLines) {
        for (String line : statusLines) {
            if (line.startsWith("VmRSS:")) {
                String[] parts = line.substring("VmRSS:".length()).trim().split("\\s+");
                try {
                    long n = Long.parseLong(parts[0]);
                    String unit = parts.length > 1 ? parts[1] : "";
                    return switch (unit.toLowerCase(Locale.ROOT)) {
                        case "kb" -> n * 1024;
                        case "mb" -> n * 1024 * 1024;
                        case "gb" -> n * 1024 * 1024 * 1024;
                        default -> n;
                    };
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /** A bucket bound as people write it: {@code 0.005}, {@code 1}, {@code 3600}. */
    static String formatBound(double b) {
        return BigDecimal.valueOf(b).stripTrailingZeros().toPlainString();
    }

    /** A sample value: whole numbers without a fraction, {@code NaN}, {@code +Inf}, {@code -Inf}. */
    static String formatDouble(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    /** A label value escaped per the format: backslash, double quote and line feed. */
    static String escapeLabelValue(String v) {
        if (v.indexOf('\\') < 0 && v.indexOf('"') < 0 && v.indexOf('\n') < 0) {
            return v;
        }
        StringBuilder sb = new StringBuilder(v.length() + 8);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** HELP text escaped per the format: backslash and line feed. */
    static String escapeHelp(String v) {
        return v.replace("\\", "\\\\").replace("\n", "\\n");
    }

    /** Writes lines; knows nothing of the families but their syntax. */
    private record Exposition(Appendable out) {
        void family(String name, String type, String help) throws IOException {
            out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
            out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        }

        /** @param labels name, value, name, value... */
        void sample(String name, String value, String... labels) throws IOException {
            out.append(name);
            if (labels.length > 0) {
                out.append('{');
                for (int i = 0; i < labels.length; i += 2) {
                    if (i > 0) {
                        out.append(',');
                    }
                    out.append(labels[i]).append("=\"").append(escapeLabelValue(labels[i + 1])).append('"');
                }
                out.append('}');
            }
            out.append(' ').append(value).append('\n');
        }
    }

    /**
     * Counts per HTTP status without boxing on the hot path: statuses 0..999 live in an array,
     * anything else (never seen in practice) in a map.
     */
    private static final class StatusCounter {
        private static final int DIRECT = 1000;
        private final AtomicReferenceArray<LongAdder> direct = new AtomicReferenceArray<>(DIRECT);
        private final ConcurrentHashMap<Integer, LongAdder> other = new ConcurrentHashMap<>();

        void increment(int status) {
            if (status >= 0 && status < DIRECT) {
                LongAdder a = direct.get(status);
                if (a == null) {
                    LongAdder fresh = new LongAdder();
                    a = direct.compareAndExchange(status, null, fresh);
                    if (a == null) {
                        a = fresh;
                    }
                }
                a.increment();
            } else {
                other.computeIfAbsent(status, s -> new LongAdder()).increment();
            }
        }

        /** Sorted by status, so 0 ("network") comes first. */
        TreeMap<Integer, Long> snapshot() {
            TreeMap<Integer, Long> out = new TreeMap<>();
            for (int i = 0; i < DIRECT; i++) {
                LongAdder a = direct.get(i);
                if (a != null) {
                    out.put(i, a.sum());
                }
            }
            other.forEach((s, a) -> out.put(s, a.sum()));
            return out;
        }
    }
}
