package io.pdaltagent.queue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Numbered schema migrations of the embedded store. The store's {@code PRAGMA user_version} is the
 * number of the last migration applied; each migration runs once, in its own transaction. Add new
 * migrations at the end; never edit one that has shipped.
 */
final class SqliteSchema {
    private SqliteSchema() {
    }

    /**
     * {@code state IN (…)} or {@code state = …} for these states, with the codes of
     * {@link DeliveryState}: SQL never spells a state's number itself. (The text stays what the
     * partial indexes below were created with, so that SQLite keeps matching queries to them.)
     */
    static String stateIn(DeliveryState... states) {
        if (states.length == 1) {
            return "state = " + states[0].code;
        }
        StringBuilder sb = new StringBuilder("state IN (");
        for (int i = 0; i < states.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(states[i].code);
        }
        return sb.append(')').toString();
    }

    /** Open items: they hold their key (see {@link DeliveryState#isOpen}). */
    static final String OPEN = stateIn(DeliveryState.PENDING, DeliveryState.IN_FLIGHT, DeliveryState.RETRY_SCHEDULED);
    static final String DELIVERED = stateIn(DeliveryState.DELIVERED);
    static final String DEAD = stateIn(DeliveryState.DEAD);
    static final String SUPPRESSED = stateIn(DeliveryState.SUPPRESSED);

    private static final List<String[]> MIGRATIONS = List.<String[]>of(
            // 1: the queue. seq is assigned by the single writer; state codes are DeliveryState.code.
            new String[] {
                """
                CREATE TABLE items (
                  seq             INTEGER PRIMARY KEY,
                  ordering_key    TEXT    NOT NULL,
                  dest_kind       TEXT    NOT NULL,
                  dest_target     TEXT    NOT NULL,
                  content_type    TEXT    NOT NULL,
                  body            BLOB    NOT NULL,
                  dedup_key       TEXT,
                  accepted_at     INTEGER NOT NULL,
                  state           INTEGER NOT NULL,
                  attempts        INTEGER NOT NULL DEFAULT 0,
                  next_attempt_at INTEGER NOT NULL,
                  last_status     INTEGER NOT NULL DEFAULT 0,
                  last_error      TEXT,
                  updated_at      INTEGER NOT NULL
                )""",
                // the head of a key: its lowest open seq
                "CREATE INDEX items_open_by_key ON items(ordering_key, seq) WHERE " + OPEN,
                // the oldest open item, for health
                "CREATE INDEX items_open_by_seq ON items(seq) WHERE " + OPEN,
                // pruning delivered records and listing dead ones
                "CREATE INDEX items_closed ON items(state, updated_at) WHERE "
                        + stateIn(DeliveryState.DELIVERED, DeliveryState.DEAD),
                "CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
                "INSERT INTO meta(name, value) VALUES ('next_seq', 1)"
            },
            // 2: heads are found through an in-memory index of each key's open items (OpenSeqs); the
            // by-key index cost every append a write of a leaf page of its own
            new String[] {
                "DROP INDEX IF EXISTS items_open_by_key"
            },
            // 3: suppressed events (state 5), listed by key and pruned by age
            new String[] {
                "CREATE INDEX items_suppressed ON items(ordering_key, seq) WHERE " + SUPPRESSED
            },
            // 4: the open items' index carries their key and state, so that opening the store reads
            // the index alone (SqliteRecovery): with 1,000,000 events queued, ~50 MB of index instead
            // of every table page (~1 GB); appends are still written at the index's end
            new String[] {
                "CREATE INDEX items_open ON items(seq, ordering_key, state) WHERE " + OPEN,
                "DROP INDEX IF EXISTS items_open_by_seq"
            });

    static int latestVersion() {
        return MIGRATIONS.size();
    }

    static void migrate(Connection c) throws SQLException {
        int current;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
            current = rs.next() ? rs.getInt(1) : 0;
        }
        if (current > MIGRATIONS.size()) {
            throw new SQLException("the queue database has schema version " + current
                    + ", newer than this agent knows (" + MIGRATIONS.size() + "): run a newer pdaltagent");
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            for (int v = current; v < MIGRATIONS.size(); v++) {
                try (Statement s = c.createStatement()) {
                    for (String sql : MIGRATIONS.get(v)) {
                        s.execute(sql);
                    }
                    s.execute("PRAGMA user_version = " + (v + 1));
                }
                c.commit();
            }
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }
}
