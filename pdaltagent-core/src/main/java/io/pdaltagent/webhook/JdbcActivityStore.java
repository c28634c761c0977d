package io.pdaltagent.webhook;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ActivityStore} over JDBC: embedded SQLite ({@code activity.db} in the data directory,
 * WAL, {@code synchronous=FULL}) or a shared PostgreSQL database ({@code PDAGENTD_ACTIVITY_DB_URL}).
 * The tables are the same in both; they differ in the blob type and in the lease, which only the
 * shared store has (it uses the database's clock, so agents with skewed clocks agree on expiry).
 *
 * <p><b>Threads.</b> One connection, used under this object's lock; the poller is its only
 * regular user. A failed statement is rolled back and thrown as {@link ActivityStoreException};
 * a broken PostgreSQL connection is replaced on the next call.
 */
public final class JdbcActivityStore implements ActivityStore {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcActivityStore.class);
    static final String DB_FILE = "activity.db";
    private static final int STAGED = 0;
    private static final int FORWARDED = 1;
    /** Keys per IN (...) query: well inside SQLite's and PostgreSQL's parameter limits. */
    private static final int IN_CHUNK = 500;
    /** Serialises the CREATE TABLE IF NOT EXISTS of agents starting at once on one PostgreSQL database. */
    private static final long SCHEMA_LOCK = 0x7064616c74L;
    private static final int CONNECT_TIMEOUT_SECONDS = 10;

    private enum Dialect { SQLITE, POSTGRESQL }

    private final Dialect dialect;
    private final String url;
    private final Clock clock;
    private Connection connection;

    private JdbcActivityStore(Dialect dialect, String url, Clock clock) {
        this.dialect = dialect;
        this.url = url;
        this.clock = clock;
    }

    /** The embedded store in {@code dataDir}. */
    public static JdbcActivityStore embedded(Path dataDir, Clock clock) {
        try {
            Files.createDirectories(dataDir);
        } catch (java.io.IOException e) {
            throw new ActivityStoreException("cannot create " + dataDir + ": " + e.getMessage(), e);
        }
        JdbcActivityStore s = new JdbcActivityStore(Dialect.SQLITE, "jdbc:sqlite:" + dataDir.resolve(DB_FILE), clock);
        s.open();
        return s;
    }

    /** The shared store at a {@code jdbc:postgresql://} URL. */
    public static JdbcActivityStore postgres(String jdbcUrl, Clock clock) {
        JdbcActivityStore s = new JdbcActivityStore(Dialect.POSTGRESQL, jdbcUrl, clock);
        s.open();
        return s;
    }

    private synchronized void open() {
        try {
            connection();
        } catch (SQLException e) {
            throw new ActivityStoreException("cannot open the activity store (" + kind() + "): " + e.getMessage(), e);
        }
    }

    private Connection connection() throws SQLException {
        if (connection != null && dialect == Dialect.POSTGRESQL && !connection.isValid(CONNECT_TIMEOUT_SECONDS)) {
            closeQuietly();
        }
        if (connection != null) {
            return connection;
        }
        Connection c;
        if (dialect == Dialect.SQLITE) {
            c = DriverManager.getConnection(url);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA busy_timeout=10000");
            }
        } else {
            DriverManager.setLoginTimeout(CONNECT_TIMEOUT_SECONDS);
            c = DriverManager.getConnection(url);
        }
        c.setAutoCommit(false);
        try {
            createSchema(c);
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        connection = c;
        return c;
    }

    private void createSchema(Connection c) throws SQLException {
        String blob = dialect == Dialect.SQLITE ? "BLOB" : "BYTEA";
        try (Statement s = c.createStatement()) {
            if (dialect == Dialect.POSTGRESQL) {
                s.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
            }
            s.execute("""
                    CREATE TABLE IF NOT EXISTS webhook_activity (
                      entry_id    TEXT    PRIMARY KEY,
                      incident_id TEXT    NOT NULL,
                      created_at  BIGINT  NOT NULL,
                      state       INTEGER NOT NULL,
                      staged_by   TEXT    NOT NULL,
                      staged_at   BIGINT  NOT NULL,
                      staged_pos  INTEGER NOT NULL,
                      webhook_id  TEXT    NOT NULL,
                      body        %s
                    )""".formatted(blob));
            s.execute("CREATE INDEX IF NOT EXISTS webhook_activity_created ON webhook_activity(created_at)");
            s.execute("CREATE INDEX IF NOT EXISTS webhook_activity_staged ON webhook_activity(staged_at, staged_pos) "
                    + "WHERE state = " + STAGED);
            s.execute("CREATE TABLE IF NOT EXISTS webhook_poller_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS webhook_poller_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, "
                    + "expires_at BIGINT NOT NULL)");
        }
        c.commit();
    }

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code w} in one transaction: committed when it returns, rolled back when it throws. */
    private synchronized <T> T tx(String what, Work<T> w) {
        try {
            Connection c = connection();
            try {
                T t = w.run(c);
                c.commit();
                return t;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException rollback) {
                    closeQuietly();
                }
                throw e;
            }
        } catch (SQLException e) {
            if (dialect == Dialect.POSTGRESQL) {
                closeQuietly();
            }
            throw new ActivityStoreException("activity store (" + kind() + "): cannot " + what + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Set<String> known(Collection<String> entryIds) {
        List<String> all = List.copyOf(entryIds);
        return tx("read seen entries", c -> {
            Set<String> found = new HashSet<>();
            for (int from = 0; from < all.size(); from += IN_CHUNK) {
                List<String> chunk = all.subList(from, Math.min(all.size(), from + IN_CHUNK));
                String marks = String.join(",", Collections.nCopies(chunk.size(), "?"));
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT entry_id FROM webhook_activity WHERE entry_id IN (" + marks + ")")) {
                    for (int i = 0; i < chunk.size(); i++) {
                        ps.setString(i + 1, chunk.get(i));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            found.add(rs.getString(1));
                        }
                    }
                }
            }
            return found;
        });
    }

    @Override
    public Set<String> stage(List<Staged> entries, String holder) {
        if (entries.isEmpty()) {
            return Set.of();
        }
        long now = clock.millis();
        return tx("stage entries", c -> {
            Set<String> staged = new HashSet<>();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO webhook_activity(entry_id, incident_id, created_at, "
                    + "state, staged_by, staged_at, staged_pos, webhook_id, body) VALUES (?, ?, ?, " + STAGED
                    + ", ?, ?, ?, ?, ?) ON CONFLICT (entry_id) DO NOTHING")) {
                int pos = 0;
                for (Staged e : entries) {
                    ps.setString(1, e.entryId());
                    ps.setString(2, e.incidentId());
                    ps.setLong(3, e.createdAt().toEpochMilli());
                    ps.setString(4, holder);
                    ps.setLong(5, now);
                    ps.setInt(6, pos++);
                    ps.setString(7, e.webhookId());
                    ps.setBytes(8, e.body());
                    // one statement per entry: its count says whether this agent got the entry
                    if (ps.executeUpdate() == 1) {
                        staged.add(e.entryId());
                    }
                }
            }
            return staged;
        });
    }

    @Override
    public void markForwarded(Collection<String> entryIds) {
        if (entryIds.isEmpty()) {
            return;
        }
        tx("mark entries forwarded", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE webhook_activity SET state = " + FORWARDED + ", body = NULL WHERE entry_id = ?")) {
                for (String id : entryIds) {
                    ps.setString(1, id);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    @Override
    public List<Staged> staged() {
        return tx("read staged entries", c -> {
            List<Staged> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT entry_id, incident_id, created_at, webhook_id, body, "
                    + "staged_by FROM webhook_activity WHERE state = " + STAGED + " ORDER BY staged_at, staged_pos");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Staged(rs.getString(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3)),
                            rs.getString(4), rs.getBytes(5), rs.getString(6)));
                }
            }
            return out;
        });
    }

    @Override
    public boolean adopt(String entryId, String from, String to) {
        return tx("adopt a staged entry", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE webhook_activity SET staged_by = ? "
                    + "WHERE entry_id = ? AND staged_by = ? AND state = " + STAGED)) {
                ps.setString(1, to);
                ps.setString(2, entryId);
                ps.setString(3, from);
                return ps.executeUpdate() == 1;
            }
        });
    }

    @Override
    public Instant cursor() {
        return tx("read the cursor", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT value FROM webhook_poller_state WHERE name = 'cursor'");
                 ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Instant.parse(rs.getString(1)) : null;
            }
        });
    }

    @Override
    public void saveCursor(Instant until) {
        tx("save the cursor", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO webhook_poller_state(name, value) VALUES ('cursor', ?) "
                    + "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value")) {
                ps.setString(1, until.toString());
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public int prune(Instant cutoff) {
        return tx("prune", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM webhook_activity WHERE created_at < ? AND state = " + FORWARDED)) {
                ps.setLong(1, cutoff.toEpochMilli());
                return ps.executeUpdate();
            }
        });
    }

    @Override
    public boolean tryLease(String holder, Duration ttl) {
        if (dialect == Dialect.SQLITE) {
            return true;
        }
        String nowMs = "(extract(epoch from clock_timestamp()) * 1000)::bigint";
        return tx("take the poller lease", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO webhook_poller_lease(name, holder, expires_at) "
                    + "VALUES ('poller', ?, " + nowMs + " + ?) ON CONFLICT (name) DO UPDATE "
                    + "SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at "
                    + "WHERE webhook_poller_lease.holder = EXCLUDED.holder OR webhook_poller_lease.expires_at < " + nowMs
                    + " RETURNING holder")) {
                ps.setString(1, holder);
                ps.setLong(2, ttl.toMillis());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() && holder.equals(rs.getString(1));
                }
            }
        });
    }

    @Override
    public void releaseLease(String holder) {
        if (dialect == Dialect.SQLITE) {
            return;
        }
        tx("release the poller lease", c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM webhook_poller_lease WHERE name = 'poller' AND holder = ?")) {
                ps.setString(1, holder);
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public String kind() {
        return dialect == Dialect.SQLITE ? "embedded" : "postgresql";
    }

    private void closeQuietly() {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.debug("closing the activity store connection: {}", e.getMessage());
        }
        connection = null;
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }
}
