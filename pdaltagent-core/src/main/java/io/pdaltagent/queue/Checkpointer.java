package io.pdaltagent.queue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds the write-ahead log back into the database on its own thread, so that commits never pay for
 * a checkpoint. Every {@link #INTERVAL_MILLIS} it runs a PASSIVE checkpoint (which never blocks the
 * writer), often enough that little is left to copy at any time. The writer keeps appending while a
 * pass runs, so the log is never fully copied at a moment when a commit could start it over: once it
 * holds more than {@link #RESTART_ABOVE_FRAMES} frames a RESTART checkpoint, which holds the writer
 * only for the few pages the last PASSIVE pass had not copied, makes the next commit write the log
 * from its beginning again. On close the log is truncated.
 */
final class Checkpointer {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);
    /** Short, so that a RESTART finds at most this long's writes still to copy while it holds the writer. */
    static final long INTERVAL_MILLIS = 100;
    /** Log frames (1 KiB pages) above which the log is restarted from its beginning: about 64 MB. */
    static final long RESTART_ABOVE_FRAMES = 64L * 1024;
    /**
     * Left-over log frames (1 KiB pages) a RESTART may copy while it holds the writer. 64 rather
     * than 512: ingest p99 at ~22,000 events/s 24.8–25.3 ms against 29 ms (BENCHMARKS.md).
     */
    static final long SMALL_REMAINDER_FRAMES = 64;
    static final int MAX_PASSIVE_PASSES = 20;

    private final Connection conn;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;

    private final long restartAboveFrames;

    Checkpointer(Connection conn) {
        this(conn, RESTART_ABOVE_FRAMES);
    }

    /** For tests: a smaller log limit. */
    Checkpointer(Connection conn, long restartAboveFrames) {
        this.conn = conn;
        this.restartAboveFrames = restartAboveFrames;
        this.thread = Thread.ofPlatform().name("queue-checkpoint").daemon(true).start(this::loop);
    }

    private void loop() {
        try {
            while (!stop.await(INTERVAL_MILLIS, TimeUnit.MILLISECONDS)) {
                try {
                    Pass r = checkpoint("PASSIVE");
                    if (r != null && r.logFrames() > restartAboveFrames) {
                        restart();
                    }
                } catch (SQLException | RuntimeException e) {
                    LOG.warn("queue checkpoint failed: {}", e.getMessage());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Makes the next commit start the log from its beginning. PASSIVE passes first copy what they
     * can without holding the writer, until what is left is small; only then does the RESTART pass,
     * which holds the writer while it copies the rest, run: the writer (and every client waiting for
     * a 202) waits for a few pages, not megabytes. The log file keeps its size and is written over
     * in place: no truncation, no new blocks for the file system to allocate on the next commits.
     */
    private void restart() throws SQLException {
        for (int pass = 0; pass < MAX_PASSIVE_PASSES; pass++) {
            Pass r = checkpoint("PASSIVE");
            if (r == null || r.logFrames() - r.copiedFrames() <= SMALL_REMAINDER_FRAMES) {
                break;
            }
        }
        checkpoint("RESTART");
    }

    /** What a checkpoint pass found: the frames in the log, and how many of them are copied into the database. */
    private record Pass(long logFrames, long copiedFrames) {
    }

    /** Runs a checkpoint; null when it did not complete. */
    private Pass checkpoint(String mode) throws SQLException {
        try (Statement s = conn.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
            if (!rs.next() || rs.getInt(1) != 0) {
                return null;
            }
            return new Pass(rs.getLong(2), rs.getLong(3));
        }
    }

    /** Stops the thread and, once the writer is closed, truncates the log. */
    void close() {
        stop.countDown();
        try {
            thread.join(5000);
            checkpoint("TRUNCATE");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException e) {
            LOG.debug("final checkpoint: {}", e.getMessage());
        } finally {
            SqliteEventQueue.closeQuietly(conn);
        }
    }
}
