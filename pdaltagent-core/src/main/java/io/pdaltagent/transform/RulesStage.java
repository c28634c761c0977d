package io.pdaltagent.transform;

import io.pdaltagent.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules stage: applies the rules file ({@code PDAGENTD_RULES_FILE}) and its maintenance windows
 * to each event, and reloads the file when it changes, without a restart. A file that does not load
 * at start stops the agent (a {@link ConfigException} listing every problem); a bad edit later keeps
 * the previous rules running, logs every problem at ERROR, and counts a failed reload.
 *
 * <p>Threads: {@link #apply} runs on ingest threads and reads the current {@link RuleSet} through
 * an {@link AtomicReference}; a thread named {@code rules-reloader} checks the file's modification
 * time and size every {@link #DEFAULT_POLL} and swaps the reference after a successful load of a
 * change that has settled (the same at two checks in a row).
 * Polling, not a WatchService: editors replace files by rename, and configuration management
 * writes through symbolic links, which notifications miss.
 */
public final class RulesStage implements EventStage, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RulesStage.class);
    /** A person who saves a rules file sees it in force within two seconds. */
    public static final Duration DEFAULT_POLL = Duration.ofSeconds(2);

    private final Path file;
    private final Clock clock;
    private final Duration poll;
    private final AtomicReference<RuleSet> current = new AtomicReference<>(RuleSet.EMPTY);
    private final Map<String, RuleStats> stats = new ConcurrentHashMap<>();
    private final LongAdder reloads = new LongAdder();
    private final LongAdder reloadFailures = new LongAdder();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile String stamp;
    /** A changed stamp seen once, waiting for the next check to confirm that the file settled. */
    private volatile String pendingStamp;
    private Thread thread;

    /** Loads {@code file}; throws {@link ConfigException} (naming the variable) when it cannot be used. */
    public RulesStage(Path file, Clock clock, Duration poll) {
        this.file = file;
        this.clock = clock;
        this.poll = poll;
        String s = stamp(file);
        try {
            current.set(RulesFile.load(file));
        } catch (RulesFile.InvalidRulesException e) {
            throw new ConfigException("PDAGENTD_RULES_FILE: " + e.getMessage());
        }
        stamp = s;
        RuleSet rs = current.get();
        LOG.info("Rules loaded from {}: {} rule(s), {} maintenance window(s)", file, rs.rules().size(), rs.windows().size());
    }

    /** Starts the reloader thread. */
    public void start() {
        thread = Thread.ofPlatform().name("rules-reloader").daemon(true).start(new Reloader());
    }

    @Override
    public String name() {
        return "rules";
    }

    @Override
    public void apply(TransformEvent event) {
        RuleSet rs = current.get();
        rs.apply(event, rs.windows().isEmpty() ? null : clock.instant(), stats, null);
    }

    /** Counters by rule or window name (kept across reloads). */
    public Map<String, RuleStats> stats() {
        return stats;
    }

    public long reloads() {
        return reloads.sum();
    }

    public long reloadFailures() {
        return reloadFailures.sum();
    }

    /** Rules and windows in force now. */
    public int size() {
        RuleSet rs = current.get();
        return rs.rules().size() + rs.windows().size();
    }

    /**
     * Loads the file again when its modification time or size changed and then stayed the same for
     * one more check (so that a file an editor is still writing is not loaded half-written, or
     * empty); true when new rules are in force.
     */
    public boolean reloadIfChanged() {
        String s = stamp(file);
        if (s.equals(stamp)) {
            pendingStamp = null;
            return false;
        }
        if (!s.equals(pendingStamp)) {
            pendingStamp = s; // changed since the last check: load it once it has settled
            return false;
        }
        pendingStamp = null;
        stamp = s;
        try {
            RuleSet rs = RulesFile.load(file);
            current.set(rs);
            reloads.increment();
            LOG.info("Rules reloaded from {}: {} rule(s), {} maintenance window(s)", file, rs.rules().size(),
                    rs.windows().size());
            return true;
        } catch (RulesFile.InvalidRulesException e) {
            reloadFailures.increment();
            LOG.error("The changed rules file {} is refused; the previous rules ({} rule(s) and window(s)) stay in force. "
                    + "Problems: {}", file, size(), String.join("; ", e.problems));
            return false;
        }
    }

    private static String stamp(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return a.lastModifiedTime().toMillis() + "/" + a.size() + "/" + a.fileKey();
        } catch (IOException e) {
            return "missing";
        }
    }

    @Override
    public void close() {
        stopped.countDown();
        Thread t = thread;
        if (t != null) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Checks the file every poll period until {@link #close}. */
    private final class Reloader implements Runnable {
        @Override
        public void run() {
            try {
                while (!stopped.await(poll.toMillis(), TimeUnit.MILLISECONDS)) {
                    try {
                        reloadIfChanged();
                    } catch (RuntimeException e) {
                        LOG.warn("Checking the rules file {} failed; trying again", file, e);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
