package io.pdaltagent.queue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * a checkpoint. Whenever the log has grown it runs a PASSIVE checkpoint (which never blocks the
 * writer), often enough that little is left to copy at any time; when the log has grown past
 * {@link #TRUNCATE_ABOVE_BYTES} anyway (the writer never paused) it runs a TRUNCATE checkpoint,
 * which holds the writer only for the few pages the last PASSIVE one had not copied yet, and resets
 * the log to zero.
 */
final class Checkpointer {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);
    /** Short, so that a TRUNCATE finds at most this long's writes still to copy while it holds the writer. */
    static final long INTERVAL_MILLIS = 100;
    static final long TRUNCATE_ABOVE_BYTES = 64L * 1024 * 1024;
    /** Left-over log frames a TRUNCATE may copy while it holds the writer. */
    static final long SMALL_REMAINDER_FRAMES = 512;
    static final int MAX_PASSIVE_PASSES = 5;

    private final Connection conn;
    private final Path walFile;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;

    Checkpointer(Connection conn, Path walFile) {
        this.conn = conn;
        this.walFile = walFile;
        this.thread = Thread.ofPlatform().name("queue-checkpoint").daemon(true).start(this::loop);
    }

    private void loop() {
        try {
            long lastSize = 0;
            while (!stop.await(INTERVAL_MILLIS, TimeUnit.MILLISECONDS)) {
                try {
                    long size = walSize();
                    if (size > TRUNCATE_ABOVE_BYTES) {
                        truncate();
                    } else if (size != lastSize) {
                        checkpoint("PASSIVE");
                    }
                    lastSize = walSize();
                } catch (SQLException | RuntimeException e) {
                    LOG.warn("queue checkpoint failed: {}", e.getMessage());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private long walSize() {
        try {
            return Files.exists(walFile) ? Files.size(walFile) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Resets the log. PASSIVE passes first copy what they can without holding the writer, until what
     * is left is small; only then does the TRUNCATE pass, which holds the writer while it copies the
     * rest, run: the writer (and every client waiting for a 202) waits for a few pages, not megabytes.
     */
    private void truncate() throws SQLException {
        for (int pass = 0; pass < MAX_PASSIVE_PASSES && checkpoint("PASSIVE") > SMALL_REMAINDER_FRAMES; pass++) {
            // another pass: the writer appended more while the last one ran
        }
        checkpoint("TRUNCATE");
    }

    /** Runs a checkpoint; returns the frames of the log it left uncopied (or -1 when it did not run). */
    private long checkpoint(String mode) throws SQLException {
        try (Statement s = conn.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
            if (!rs.next() || rs.getInt(1) != 0) {
                return -1;
            }
            return rs.getLong(2) - rs.getLong(3);
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
