package io.pdaltagent.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write-ahead log stays bounded under a writer that never pauses: the checkpointer makes commits
 * start the log over (RESTART) instead of letting it grow, and truncates it on close.
 */
class CheckpointerTest {
    @TempDir
    Path dir;

    private Connection open(Path db) throws Exception {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout = 10000");
            s.execute("PRAGMA page_size = 1024");
            s.execute("PRAGMA journal_mode = WAL");
            s.execute("PRAGMA synchronous = FULL");
            s.execute("PRAGMA wal_autocheckpoint = 0");
        }
        return c;
    }

    @Test
    void theLogIsWrittenOverFromItsStartInsteadOfGrowing() throws Exception {
        Path db = dir.resolve("q.db");
        Path wal = dir.resolve("q.db-wal");
        Connection writer = open(db);
        try (Statement s = writer.createStatement()) {
            s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)");
        }
        // restart above 1,000 frames (~1 MB); the writer commits 64 KB at a time, 100 MB without a pause,
        // each commit synced as the agent's are
        Checkpointer checkpointer = new Checkpointer(open(db), 1_000);
        long written = 0;
        long largestLog = 0;
        byte[] body = new byte[4000];
        writer.setAutoCommit(false);
        try (PreparedStatement insert = writer.prepareStatement("INSERT INTO t (body) VALUES (?)");
             PreparedStatement delete = writer.prepareStatement("DELETE FROM t WHERE id < ?")) {
            for (int i = 1; written < 100L * 1024 * 1024; i++) {
                insert.setBytes(1, body);
                insert.executeUpdate();
                written += body.length;
                if (i % 16 == 0) {
                    delete.setInt(1, i - 64);
                    delete.executeUpdate();
                    writer.commit();
                    largestLog = Math.max(largestLog, Files.size(wal));
                    // the agent's writer, too, is idle between two group commits for a moment (it
                    // waits for the next appends): load pacing, not a wait for a condition
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
            }
            writer.commit();
        }
        // the log header's checkpoint sequence number counts the times the log was started over
        int restarts;
        try (var in = Files.newInputStream(wal)) {
            restarts = java.nio.ByteBuffer.wrap(in.readNBytes(32)).getInt(12);
        }
        assertThat(restarts).as("times the log was started over").isPositive();
        assertThat(largestLog).as("largest write-ahead log while 100 MB went through it").isLessThan(written / 2);
        writer.close();
        checkpointer.close();
        assertThat(Files.exists(wal) ? Files.size(wal) : 0).as("log after close").isZero();
    }
}
