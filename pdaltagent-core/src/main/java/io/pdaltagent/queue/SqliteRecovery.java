package io.pdaltagent.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What opening the embedded store reads back into memory, in as few passes as the indexes allow, so
 * that an agent restarted on a large backlog (1,000,000 events: BENCHMARKS.md, "Restart with
 * 1,000,000 events queued") delivers again within seconds:
 * <ul>
 *   <li>one pass over the open-items index ({@code items_open}, which holds each open item's key and
 *       state: the table itself is not read), in sequence order: each key's
 *       open sequence numbers ({@link OpenSeqs}), the count per open state, and the items that were
 *       in flight when the last process stopped;</li>
 *   <li>the closed states counted from their own partial indexes, never by a scan of the table
 *       (delivered records are kept for a while and may outnumber the open ones);</li>
 *   <li>in-flight items set back to pending by sequence number (the mark is not written in normal
 *       operation, so there are normally none: before, a {@code WHERE state = 1} update scanned the
 *       whole table at every start).</li>
 * </ul>
 * Runs before the queue serves anything; single-threaded.
 */
final class SqliteRecovery {
    /** Sequence numbers per UPDATE statement (SQLite's default limit of bound parameters is 32,766). */
    private static final int UPDATE_CHUNK = 500;

    private static final String CLOSED = SqliteSchema.stateIn(DeliveryState.DELIVERED, DeliveryState.DEAD);

    private SqliteRecovery() {
    }

    /**
     * @param open      items in an open state (in-flight ones counted as pending)
     * @param perState  items per state, index {@link DeliveryState#code}
     * @param inFlight  sequence numbers of the items that were in flight, to set back to pending
     */
    record Loaded(long open, long[] perState, List<Long> inFlight) {
    }

    /** Reads the open items into {@code openSeqs} (key → its open sequence numbers) and counts every state. */
    static Loaded load(Connection reader, Map<String, OpenSeqs> openSeqs) throws SQLException {
        long[] perState = new long[DeliveryState.values().length];
        List<Long> inFlight = new ArrayList<>();
        long open = 0;
        String lastKey = null;
        OpenSeqs lastSeqs = null;
        try (Statement s = reader.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT seq, ordering_key, state FROM items INDEXED BY items_open "
                        + "WHERE " + SqliteSchema.OPEN + " ORDER BY seq")) {
            while (rs.next()) {
                long seq = rs.getLong(1);
                String key = rs.getString(2);
                int state = rs.getInt(3);
                // consecutive items often share a key (one map look-up for a run of them)
                if (!key.equals(lastKey)) {
                    lastKey = key;
                    lastSeqs = openSeqs.computeIfAbsent(key, k -> new OpenSeqs());
                }
                lastSeqs.add(seq);
                if (state == DeliveryState.IN_FLIGHT.code) {
                    inFlight.add(seq);
                    state = DeliveryState.PENDING.code;
                }
                perState[state]++;
                open++;
            }
        }
        // the same terms as the partial indexes' WHERE clauses (items_closed, items_suppressed), so
        // that SQLite counts the index entries
        count(reader, "SELECT state, COUNT(*) FROM items WHERE " + CLOSED + " GROUP BY state", perState);
        int suppressed = DeliveryState.SUPPRESSED.code;
        count(reader, "SELECT " + suppressed + ", COUNT(*) FROM items WHERE state = " + suppressed, perState);
        return new Loaded(open, perState, inFlight);
    }

    /** Sets these in-flight items back to pending, on the writing connection; returns how many changed. */
    static int resetInFlight(Connection writer, List<Long> seqs) throws SQLException {
        int changed = 0;
        for (int from = 0; from < seqs.size(); from += UPDATE_CHUNK) {
            List<Long> chunk = seqs.subList(from, Math.min(seqs.size(), from + UPDATE_CHUNK));
            StringBuilder sql = new StringBuilder("UPDATE items SET state = " + DeliveryState.PENDING.code
                    + " WHERE state = " + DeliveryState.IN_FLIGHT.code + " AND seq IN (");
            for (int i = 0; i < chunk.size(); i++) {
                sql.append(i == 0 ? "?" : ",?");
            }
            try (PreparedStatement ps = writer.prepareStatement(sql.append(')').toString())) {
                for (int i = 0; i < chunk.size(); i++) {
                    ps.setLong(i + 1, chunk.get(i));
                }
                changed += ps.executeUpdate();
            }
        }
        return changed;
    }

    private static void count(Connection c, String sql, long[] perState) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                perState[rs.getInt(1)] = rs.getLong(2);
            }
        }
    }
}
