package io.pdaltagent.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.sqlite.SQLiteException;

/**
 * An offline check of an embedded queue ({@code pdagentd verify}), and the test of whether a failure
 * to open one means the file is damaged ({@link #isCorruption}). The check reads only: the file's
 * header (a truncated file is shorter than the page count its header gives), SQLite's
 * {@code PRAGMA integrity_check}, the schema (its version and the columns the agent uses), that
 * every state code is a {@link DeliveryState}, and that sequence numbers are consistent (positive,
 * below the next one to be given out). It does not take the queue's lock: on a running agent's
 * store it reads a consistent snapshot.
 *
 * <pre>{@code
 * StoreCheck.Result r = StoreCheck.check(Path.of("/var/lib/pdaltagent"));
 * r.problems().forEach(System.out::println);   // empty when the store is sound
 * }</pre>
 */
public final class StoreCheck {
    /** SQLite's primary result codes for a damaged file. */
    private static final int SQLITE_CORRUPT = 11;
    private static final int SQLITE_NOTADB = 26;
    /** integrity_check stops after this many messages: enough to say what is wrong. */
    private static final int MAX_INTEGRITY_MESSAGES = 20;
    private static final byte[] MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
    private static final Set<String> ITEM_COLUMNS = Set.of("seq", "ordering_key", "dest_kind", "dest_target",
            "content_type", "body", "dedup_key", "accepted_at", "state", "attempts", "next_attempt_at",
            "last_status", "last_error", "updated_at");

    private StoreCheck() {
    }

    /**
     * What the check found.
     *
     * @param file     the database file checked
     * @param problems what is wrong, one sentence each; empty when the store is sound
     * @param counts   events per state (by name), when the table could be read
     */
    public record Result(Path file, List<String> problems, Map<String, Long> counts) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    /** The database file of a data directory, or {@code path} itself when it is a file. */
    public static Path databaseFile(Path path) {
        return Files.isDirectory(path) ? path.resolve(SqliteEventQueue.DB_FILE) : path;
    }

    /** Checks the store in {@code path} (a data directory or a database file). */
    public static Result check(Path path) {
        Path file = databaseFile(path);
        List<String> problems = new ArrayList<>();
        Map<String, Long> counts = new TreeMap<>();
        if (!Files.isRegularFile(file)) {
            problems.add("no queue database at " + file);
            return new Result(file, problems, counts);
        }
        checkHeader(file, problems);
        if (!problems.isEmpty()) {
            return new Result(file, problems, counts);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement()) {
            s.execute("PRAGMA query_only = 1");
            integrity(s, problems);
            if (schema(s, problems)) {
                states(s, problems, counts);
                seqs(s, problems);
            }
        } catch (SQLException e) {
            problems.add("SQLite cannot read it: " + e.getMessage());
        }
        return new Result(file, problems, counts);
    }

    /** SQLite's header: the magic string, and a file at least as long as the pages the header counts. */
    private static void checkHeader(Path file, List<String> problems) {
        byte[] h = new byte[100];
        long size;
        try (InputStream in = Files.newInputStream(file)) {
            size = Files.size(file);
            int n = in.readNBytes(h, 0, h.length);
            if (n == 0) {
                problems.add("the file is empty");
                return;
            }
            if (n < h.length) {
                problems.add("the file is truncated: " + n + " bytes, shorter than SQLite's 100-byte header");
                return;
            }
        } catch (IOException e) {
            problems.add("cannot read the file: " + e.getMessage());
            return;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (h[i] != MAGIC[i]) {
                problems.add("not an SQLite database (its header is not \"SQLite format 3\")");
                return;
            }
        }
        int pageSize = ((h[16] & 0xff) << 8) | (h[17] & 0xff);
        long pageSizeBytes = pageSize == 1 ? 65536 : pageSize;
        long pages = int32(h, 28);
        // the header's page count is valid only when its "version-valid-for" matches the change counter
        boolean countValid = int32(h, 92) == int32(h, 24) && pages > 0;
        if (countValid && pageSizeBytes > 0 && size < pages * pageSizeBytes) {
            problems.add("the file is truncated: its header counts " + pages + " pages of " + pageSizeBytes
                    + " bytes (" + pages * pageSizeBytes + " bytes), the file has " + size);
        }
    }

    private static long int32(byte[] b, int at) {
        return ((long) (b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    private static void integrity(Statement s, List<String> problems) throws SQLException {
        try (ResultSet rs = s.executeQuery("PRAGMA integrity_check(" + MAX_INTEGRITY_MESSAGES + ")")) {
            while (rs.next()) {
                String line = rs.getString(1);
                if (!"ok".equals(line)) {
                    problems.add("integrity check: " + line);
                }
            }
        }
    }

    /** False when the tables the agent uses are not there as it knows them (nothing more can be checked). */
    private static boolean schema(Statement s, List<String> problems) throws SQLException {
        int version;
        try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
            version = rs.next() ? rs.getInt(1) : 0;
        }
        if (version > SqliteSchema.latestVersion()) {
            problems.add("schema version " + version + " is newer than this agent knows ("
                    + SqliteSchema.latestVersion() + "): check it with a newer pdaltagent");
            return false;
        }
        if (version < 1) {
            problems.add("schema version 0: not a pdaltagent queue, or one whose creation never finished");
            return false;
        }
        Set<String> columns = new TreeSet<>();
        try (ResultSet rs = s.executeQuery("PRAGMA table_info(items)")) {
            while (rs.next()) {
                columns.add(rs.getString("name"));
            }
        }
        Set<String> missing = new TreeSet<>(ITEM_COLUMNS);
        missing.removeAll(columns);
        if (!missing.isEmpty()) {
            problems.add("table items lacks column(s) " + String.join(", ", missing));
            return false;
        }
        try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'")) {
            if (!rs.next() || rs.getLong(1) == 0) {
                problems.add("table meta is missing");
                return false;
            }
        }
        return true;
    }

    private static void states(Statement s, List<String> problems, Map<String, Long> counts) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT state, COUNT(*) FROM items GROUP BY state ORDER BY state")) {
            while (rs.next()) {
                int code = rs.getInt(1);
                long n = rs.getLong(2);
                try {
                    counts.put(DeliveryState.ofCode(code).name().toLowerCase(java.util.Locale.ROOT), n);
                } catch (IllegalArgumentException e) {
                    problems.add(n + " event(s) with state code " + code + ", which is no delivery state");
                }
            }
        }
        try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM items WHERE attempts < 0 OR accepted_at <= 0")) {
            if (rs.next() && rs.getLong(1) > 0) {
                problems.add(rs.getLong(1) + " event(s) with a negative attempt count or no acceptance time");
            }
        }
    }

    private static void seqs(Statement s, List<String> problems) throws SQLException {
        long min;
        long max;
        try (ResultSet rs = s.executeQuery("SELECT MIN(seq), MAX(seq) FROM items")) {
            rs.next();
            min = rs.getLong(1);
            max = rs.getLong(2);
        }
        Long next = null;
        try (ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE name = 'next_seq'")) {
            if (rs.next()) {
                next = rs.getLong(1);
            }
        }
        if (next == null) {
            problems.add("meta has no next_seq: the agent would not know which sequence number comes next");
            return;
        }
        if (min < 0 || (max > 0 && min == 0)) {
            problems.add("sequence numbers below 1 (lowest " + min + ")");
        }
        if (next <= max) {
            problems.add("next_seq " + next + " is not above the highest sequence number " + max
                    + ": new events would reuse numbers and be ordered before older ones");
        }
    }

    /** True when {@code e} (or a cause) is SQLite saying the file is damaged or not a database. */
    public static boolean isCorruption(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLiteException s) {
                int primary = s.getResultCode().code & 0xff;
                if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
