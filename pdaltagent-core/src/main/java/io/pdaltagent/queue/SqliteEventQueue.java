package io.pdaltagent.queue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded durable queue: one SQLite database in WAL mode with {@code synchronous=FULL} in the
 * data directory.
 *
 * <p><b>Threads.</b> One writer thread owns the only writing connection and group-commits whatever
 * writes have arrived since its last commit (see {@link SqliteWriter}); an append's future completes
 * after the commit that holds it. Reads (claims, listings, counts) use a small pool of read-only
 * connections, which WAL lets run beside the writer. A checkpoint thread folds the WAL back into the
 * database so that it does not grow without bound.
 *
 * <p><b>Ownership.</b> One process owns a data directory at a time: {@link #open} takes an exclusive
 * lock on {@code queue.lock} and fails with a clear message when another process holds it.
 *
 * <pre>{@code
 * try (var queue = SqliteEventQueue.open(dataDir, Clock.systemUTC(), 1_000_000)) {
 *     long seq = queue.append(item).join();      // durable now
 *     List<QueuedItem> batch = queue.claim(64, Duration.ofMillis(100));
 *     queue.complete(batch.get(0), new Completion.Delivered(202)).join();
 * }
 * }</pre>
 */
public final class SqliteEventQueue implements EventQueue {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteEventQueue.class);
    static final String DB_FILE = "queue.db";
    static final String LOCK_FILE = "queue.lock";
    /** Bytes per database page for a new queue file (SQLite's default is 4096). */
    static final int PAGE_SIZE = 1024;
    /**
     * Page caches (KiB), allocated by SQLite outside the Java heap as pages are read. The writer's
     * working set is the end of the table and of its index (appends) plus the pages of the keys'
     * heads (outcomes): a few thousand 1 KiB pages; a miss costs a read from the OS page cache,
     * not from disk. (16 MiB here was ~16 MB of the agent's RSS under load; see BENCHMARKS.md.)
     * The checkpointer copies log frames without its page cache.
     */
    private static final int WRITER_CACHE_KIB = 4096;
    private static final int READER_CACHE_KIB = 1024;
    private static final int CHECKPOINTER_CACHE_KIB = 256;
    /** Readers: the dispatcher's claims plus a few admin or health queries at once. */
    private static final int READERS = 4;
    private static final String COLUMNS = "seq, ordering_key, dest_kind, dest_target, content_type, body, dedup_key, "
            + "accepted_at, state, attempts, next_attempt_at, last_status, last_error";

    private final Path dbFile;
    private final Clock clock;
    private final long maxOpen;
    private final ClaimScheduler schedule;
    private final SqliteHeads heads = new SqliteHeads();
    private final SqliteWriter writer;
    private final BlockingQueue<Connection> readers = new ArrayBlockingQueue<>(READERS);
    private final AtomicLong open = new AtomicLong();
    /** Each key's open items, ascending: where a claim finds the key's head (see OpenSeqs). */
    private final java.util.concurrent.ConcurrentHashMap<String, OpenSeqs> openSeqs =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Items claimed and not completed (seq to ordering key): IN_FLIGHT is kept in memory only (see take). */
    private final Map<Long, String> inFlight = new java.util.concurrent.ConcurrentHashMap<>();
    /** Items per state (index: DeliveryState.code), kept in memory so that health and metrics never scan. */
    private final AtomicLongArray perState = new AtomicLongArray(DeliveryState.values().length);
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Checkpointer checkpointer;
    private volatile boolean closed;

    private SqliteEventQueue(Path dataDir, Clock clock, long maxOpen, FileChannel lockChannel, FileLock lock)
            throws SQLException {
        this.dbFile = dataDir.resolve(DB_FILE);
        this.clock = clock;
        this.maxOpen = maxOpen;
        this.schedule = new ClaimScheduler(clock);
        this.lockChannel = lockChannel;
        this.lock = lock;
        long t0 = System.nanoTime();
        Connection w = connect(false, WRITER_CACHE_KIB);
        SqliteSchema.migrate(w);
        for (int i = 0; i < READERS; i++) {
            readers.add(connect(true, READER_CACHE_KIB));
        }
        SqliteRecovery.Loaded loaded = withReader(c -> SqliteRecovery.load(c, openSeqs));
        // an attempt under way when the last process stopped was never finished: try it again
        int recovered = SqliteRecovery.resetInFlight(w, loaded.inFlight());
        if (recovered > 0) {
            LOG.info("{} event(s) that were in flight when the agent last stopped are pending again", recovered);
        }
        long openItems = loaded.open();
        open.set(openItems);
        for (int i = 0; i < loaded.perState().length; i++) {
            perState.set(i, loaded.perState()[i]);
        }
        openSeqs.forEach((key, seqs) -> schedule.opened(key, seqs.size()));
        this.writer = new SqliteWriter(w, clock);
        this.checkpointer = new Checkpointer(connect(false, CHECKPOINTER_CACHE_KIB));
        LOG.info("embedded queue {} opened in {} ms: {} event(s) waiting", dbFile,
                (System.nanoTime() - t0) / 1_000_000, openItems);
    }

    /**
     * Opens (creating if needed) the queue in {@code dataDir}.
     *
     * @throws StoreUnavailableException when the directory cannot be used or another process owns it
     */
    public static SqliteEventQueue open(Path dataDir, Clock clock, long maxOpen) {
        FileChannel ch = null;
        try {
            Files.createDirectories(dataDir);
            ch = FileChannel.open(dataDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                throw new StoreUnavailableException("the queue in " + dataDir
                        + " is in use by another process (is another pdagentd running on this data directory?)");
            }
            return new SqliteEventQueue(dataDir, clock, maxOpen, ch, l);
        } catch (IOException | SQLException e) {
            closeQuietly(ch);
            throw new StoreUnavailableException("cannot open the queue in " + dataDir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private Connection connect(boolean readOnly, int cacheKib) throws SQLException {
        java.util.Properties props = new java.util.Properties();
        // nothing reads generated keys (rows carry their own seq); without this the driver matches
        // every INSERT/UPDATE against a pattern to find out whether it should fetch them
        props.setProperty("jdbc.get_generated_keys", "false");
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile, props);
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout = 10000");
            if (!readOnly) {
                // before anything creates the file: every touched page goes into the WAL whole;
                // small pages keep the bytes written per event small (no effect on an existing database)
                s.execute("PRAGMA page_size = " + PAGE_SIZE);
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = FULL");
                // checkpoints run on their own thread, not inside a commit
                s.execute("PRAGMA wal_autocheckpoint = 0");
                // the log is written over from its start after each RESTART checkpoint (Checkpointer);
                // should readers ever have held it past that, the file is cut back to this on the next reset
                s.execute("PRAGMA journal_size_limit = " + (128L * 1024 * 1024));
            } else {
                s.execute("PRAGMA query_only = 1");
            }
            s.execute("PRAGMA cache_size = -" + cacheKib);
            s.execute("PRAGMA temp_store = MEMORY");
        }
        return c;
    }

    private void addOpen(String key, long seq) {
        openSeqs.compute(key, (k, seqs) -> {
            OpenSeqs s = seqs == null ? new OpenSeqs() : seqs;
            s.add(seq);
            return s;
        });
    }

    private void removeOpen(String key, long seq) {
        openSeqs.computeIfPresent(key, (k, seqs) -> {
            seqs.remove(seq);
            return seqs.isEmpty() ? null : seqs;
        });
    }

    private void moved(DeliveryState from, DeliveryState to, long n) {
        perState.addAndGet(from.code, -n);
        perState.addAndGet(to.code, n);
    }

    @Override
    public CompletableFuture<Long> append(NewItem item) {
        if (closed) {
            return CompletableFuture.failedFuture(new StoreUnavailableException("queue closed"));
        }
        if (item.arrivalState() != DeliveryState.PENDING) {
            // suppressed or dead on arrival: no open slot, no place in its key's order
            return writer.insert(item).whenComplete((seq, err) -> {
                if (err == null) {
                    perState.incrementAndGet(item.arrivalState().code);
                }
            });
        }
        long now = open.incrementAndGet();
        if (now > maxOpen) {
            open.decrementAndGet();
            return CompletableFuture.failedFuture(new QueueFullException(now - 1, maxOpen));
        }
        return writer.insert(item).whenComplete((seq, err) -> {
            if (err != null) {
                open.decrementAndGet();
            } else {
                perState.incrementAndGet(DeliveryState.PENDING.code);
                addOpen(item.orderingKey(), seq);
                schedule.opened(item.orderingKey(), 1);
            }
        });
    }

    @Override
    public List<QueuedItem> claim(int max, Duration maxWait) throws InterruptedException {
        return schedule.claim(max, maxWait, heads);
    }

    /** The claim scheduler's view of the store: heads found through OpenSeqs, read in one query. */
    private final class SqliteHeads implements ClaimScheduler.Heads {
        @Override
        public List<ClaimScheduler.Head> read(List<String> keys) {
            long[] headSeqs = new long[keys.size()];
            for (int i = 0; i < headSeqs.length; i++) {
                OpenSeqs open = openSeqs.get(keys.get(i));
                headSeqs[i] = open == null ? -1 : open.first();
            }
            List<QueuedItem> rows;
            try {
                rows = withReader(c -> readRows(c, headSeqs));
            } catch (SQLException e) {
                throw new StoreUnavailableException("cannot read the queue: " + e.getMessage(), e);
            }
            List<ClaimScheduler.Head> out = new ArrayList<>(rows.size());
            for (QueuedItem row : rows) {
                out.add(row == null ? ClaimScheduler.Skip.NONE : ClaimScheduler.Head.open(row));
            }
            return out;
        }

        @Override
        public List<QueuedItem> take(List<QueuedItem> due) {
            List<QueuedItem> out = new ArrayList<>(due.size());
            for (QueuedItem head : due) {
                // IN_FLIGHT lives in memory only: after a crash an item in flight is due again
                // anyway, so writing the mark would cost a page write per delivery for nothing.
                // The attempt is counted when its outcome is stored.
                moved(head.state(), DeliveryState.IN_FLIGHT, 1);
                inFlight.put(head.seq(), head.orderingKey());
                out.add(new QueuedItem(head.seq(), head.orderingKey(), head.destination(), head.contentType(),
                        head.body(), head.dedupKey(), head.acceptedAt(), DeliveryState.IN_FLIGHT,
                        head.attempts() + 1, head.nextAttemptAt(), head.lastStatus(), head.lastError()));
            }
            return out;
        }
    }

    /** The open rows with these sequence numbers, in the same order (null for -1 or a closed row): one query. */
    private static List<QueuedItem> readRows(Connection c, long[] seqs) throws SQLException {
        Map<Long, QueuedItem> bySeq = new java.util.HashMap<>();
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM items WHERE " + SqliteSchema.OPEN + " AND seq IN (");
        for (int i = 0; i < seqs.length; i++) {
            sql.append(i == 0 ? "?" : ",?");
        }
        try (PreparedStatement ps = c.prepareStatement(sql.append(')').toString())) {
            for (int i = 0; i < seqs.length; i++) {
                ps.setLong(i + 1, seqs[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    QueuedItem row = read(rs);
                    bySeq.put(row.seq(), row);
                }
            }
        }
        List<QueuedItem> rows = new ArrayList<>(seqs.length);
        for (long seq : seqs) {
            rows.add(bySeq.get(seq));
        }
        return rows;
    }

    @Override
    public CompletableFuture<Void> complete(QueuedItem claimed, Completion c) {
        DeliveryState to = c.targetState();
        if (inFlight.remove(claimed.seq()) == null) {
            return CompletableFuture.failedFuture(notInFlight(claimed.seq(), to));
        }
        DeliveryState.checkTransition(DeliveryState.IN_FLIGHT, to);
        SqliteWriter.Update u = switch (c) {
            case Completion.Delivered d -> new SqliteWriter.Update(claimed.seq(), DeliveryState.IN_FLIGHT, to, 1,
                    claimed.nextAttemptAt(), d.status(), claimed.lastError());
            case Completion.Retry r -> new SqliteWriter.Update(claimed.seq(), DeliveryState.IN_FLIGHT, to, 1,
                    r.at(), r.status(), r.error());
            case Completion.Dead d -> new SqliteWriter.Update(claimed.seq(), DeliveryState.IN_FLIGHT, to, 1,
                    claimed.nextAttemptAt(), d.status(), d.reason());
            case Completion.Released r -> new SqliteWriter.Update(claimed.seq(), DeliveryState.IN_FLIGHT, to, 0,
                    claimed.nextAttemptAt(), claimed.lastStatus(), claimed.lastError());
        };
        long closedCount = to.isOpen() ? 0 : 1;
        Instant dueAt = c.nextClaimAt();
        return writer.update(u).whenComplete((v, err) -> {
            if (err != null) {
                // the outcome is not stored: the item stays due in the store and is retried
                // after the next start; hold the key a while instead of delivering out of order
                LOG.error("could not store the outcome of Event(seq={}): {}", claimed.seq(), err.getMessage());
                schedule.released(claimed.orderingKey(), 0, clock.instant().plusSeconds(5));
                return;
            }
            open.addAndGet(-closedCount);
            moved(DeliveryState.IN_FLIGHT, to, 1);
            if (closedCount > 0) {
                removeOpen(claimed.orderingKey(), claimed.seq());
            }
            schedule.released(claimed.orderingKey(), closedCount, dueAt);
        });
    }

    /**
     * Completing an item this process has not claimed: the transition is checked against the state
     * the store holds it in, and refused either way, as only a claim's attempt can end.
     */
    private IllegalStateException notInFlight(long seq, DeliveryState to) {
        QueuedItem stored = get(seq);
        if (stored == null) {
            return new IllegalStateException("Event(seq=" + seq + ") is not in the queue; cannot move it to " + to);
        }
        if (!stored.state().canMoveTo(to)) {
            return new IllegalStateTransitionException(stored.state(), to);
        }
        return new IllegalStateException("Event(seq=" + seq + ") is " + stored.state()
                + ", not claimed: only the attempt of a claim can end");
    }

    @Override
    public int retryDead(String keyOrNull) {
        return keyOrNull == null ? retryDeadWhere("", List.of()) : retryDeadWhere(" AND ordering_key = ?", List.of(keyOrNull));
    }

    @Override
    public int retryDeadItems(java.util.Collection<Long> seqs) {
        int n = 0;
        for (List<Long> chunk : chunks(seqs)) {
            n += retryDeadWhere(" AND seq IN (" + marks(chunk.size()) + ")", List.copyOf(chunk));
        }
        return n;
    }

    @Override
    public int purgeDeadItems(java.util.Collection<Long> seqs) {
        int total = 0;
        for (List<Long> chunk : chunks(seqs)) {
            int n = writeAndWait(c -> {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM items WHERE " + SqliteSchema.DEAD
                        + " AND seq IN (" + marks(chunk.size()) + ")")) {
                    bind(ps, List.copyOf(chunk));
                    return ps.executeUpdate();
                }
            });
            perState.addAndGet(DeliveryState.DEAD.code, -n);
            total += n;
        }
        return total;
    }

    /** Dead items matching {@code where} (an SQL condition on items, with its parameters) back to PENDING. */
    private int retryDeadWhere(String where, List<Object> params) {
        DeliveryState.checkTransition(DeliveryState.DEAD, DeliveryState.PENDING);
        Map<String, List<Long>> perKey = writeAndWait(c -> {
            Map<String, List<Long>> revived = new TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT ordering_key, seq FROM items WHERE "
                    + SqliteSchema.DEAD + where)) {
                bind(ps, params);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        revived.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getLong(2));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE items SET state = " + DeliveryState.PENDING.code
                    + ", attempts = 0, next_attempt_at = ?, updated_at = ? WHERE " + SqliteSchema.DEAD + where)) {
                long now = clock.millis();
                ps.setLong(1, now);
                ps.setLong(2, now);
                for (int i = 0; i < params.size(); i++) {
                    ps.setObject(i + 3, params.get(i));
                }
                ps.executeUpdate();
            }
            return revived;
        });
        long total = 0;
        for (Map.Entry<String, List<Long>> e : perKey.entrySet()) {
            long n = e.getValue().size();
            e.getValue().forEach(seq -> addOpen(e.getKey(), seq));
            open.addAndGet(n);
            moved(DeliveryState.DEAD, DeliveryState.PENDING, n);
            schedule.opened(e.getKey(), n, true);
            total += n;
        }
        return (int) total;
    }

    private static List<List<Long>> chunks(java.util.Collection<Long> seqs) {
        List<Long> all = List.copyOf(new java.util.TreeSet<>(seqs));
        List<List<Long>> out = new ArrayList<>();
        for (int from = 0; from < all.size(); from += 500) {
            out.add(all.subList(from, Math.min(all.size(), from + 500)));
        }
        return out;
    }

    private static String marks(int n) {
        return String.join(",", java.util.Collections.nCopies(n, "?"));
    }

    private static void bind(PreparedStatement ps, List<?> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            ps.setObject(i + 1, params.get(i));
        }
    }

    @Override
    public int purge(DeliveryState state, String keyOrNull) {
        if (state.isOpen()) {
            throw new IllegalArgumentException("only DEAD or DELIVERED items can be purged, not " + state);
        }
        int n = writeAndWait(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM items WHERE state = ?"
                    + (keyOrNull == null ? "" : " AND ordering_key = ?"))) {
                ps.setInt(1, state.code);
                if (keyOrNull != null) {
                    ps.setString(2, keyOrNull);
                }
                return ps.executeUpdate();
            }
        });
        perState.addAndGet(state.code, -n);
        return n;
    }

    /** Items in {@code state}, oldest first, for one key or all, at most {@code limit}. */
    private List<QueuedItem> listIn(DeliveryState state, String keyOrNull, int limit) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM items WHERE state = ?"
                    + (keyOrNull == null ? "" : " AND ordering_key = ?") + " ORDER BY seq LIMIT ?")) {
                int i = 1;
                ps.setInt(i++, state.code);
                if (keyOrNull != null) {
                    ps.setString(i++, keyOrNull);
                }
                ps.setInt(i, limit);
                List<QueuedItem> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(read(rs));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public List<QueuedItem> listDead(String keyOrNull, int limit) {
        return listIn(DeliveryState.DEAD, keyOrNull, limit);
    }

    /** One scan of the items per 500 keys (dedup_key has no index: this runs only in crash recovery). */
    @Override
    public java.util.Optional<java.util.Set<String>> presentDedupKeys(java.util.Collection<String> dedupKeys) {
        List<String> all = List.copyOf(dedupKeys);
        java.util.Set<String> present = new java.util.HashSet<>();
        for (int from = 0; from < all.size(); from += 500) {
            List<String> chunk = all.subList(from, Math.min(all.size(), from + 500));
            present.addAll(read(c -> {
                String marks = String.join(",", java.util.Collections.nCopies(chunk.size(), "?"));
                try (PreparedStatement ps = c.prepareStatement("SELECT dedup_key FROM items WHERE dedup_key IN (" + marks + ")")) {
                    for (int i = 0; i < chunk.size(); i++) {
                        ps.setString(i + 1, chunk.get(i));
                    }
                    java.util.Set<String> found = new java.util.HashSet<>();
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            found.add(rs.getString(1));
                        }
                    }
                    return found;
                }
            }));
        }
        return java.util.Optional.of(present);
    }

    @Override
    public QueuedItem get(long seq) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM items WHERE seq = ?")) {
                ps.setLong(1, seq);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? read(rs) : null;
                }
            }
        });
    }

    @Override
    public List<KeyStats> keyStats(String keyOrNull) {
        Map<String, long[]> counts = new TreeMap<>();
        Map<String, Instant> oldest = new HashMap<>();
        read(c -> {
            // one grouped query: counts per state, and the oldest accepted_at of each key's open rows
            try (PreparedStatement ps = c.prepareStatement("SELECT ordering_key, state, COUNT(*), MIN(accepted_at)"
                    + " FROM items" + (keyOrNull == null ? "" : " WHERE ordering_key = ?")
                    + " GROUP BY ordering_key, state")) {
                if (keyOrNull != null) {
                    ps.setString(1, keyOrNull);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        DeliveryState s = DeliveryState.ofCode(rs.getInt(2));
                        if (s == DeliveryState.SUPPRESSED) {
                            continue; // not part of pd-queue status; see suppressedCounts
                        }
                        String key = rs.getString(1);
                        long[] c3 = counts.computeIfAbsent(key, k -> new long[4]);
                        c3[s.isOpen() ? 0 : s == DeliveryState.DELIVERED ? 2 : 3] += rs.getLong(3);
                        if (s.isOpen()) {
                            oldest.merge(key, Instant.ofEpochMilli(rs.getLong(4)), (a, b) -> a.isBefore(b) ? a : b);
                        }
                    }
                }
            }
            return null;
        });
        // IN_FLIGHT is not stored (see take): the claimed items are counted from memory
        inFlight.values().forEach(k -> {
            long[] c = counts.get(k);
            if (c != null) {
                c[1]++;
            }
        });
        List<KeyStats> out = new ArrayList<>(counts.size());
        counts.forEach((k, c) -> out.add(new KeyStats(k, c[0], Math.min(c[1], c[0]), c[2], c[3],
                schedule.isWaiting(k), oldest.get(k))));
        return out;
    }

    @Override
    public QueueStats stats() {
        return read(c -> {
            Instant oldest = null;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT accepted_at FROM items WHERE " + SqliteSchema.OPEN + " ORDER BY seq LIMIT 1")) {
                if (rs.next()) {
                    oldest = Instant.ofEpochMilli(rs.getLong(1));
                }
            }
            return new QueueStats(open.get(), perState.get(DeliveryState.IN_FLIGHT.code),
                    perState.get(DeliveryState.RETRY_SCHEDULED.code), perState.get(DeliveryState.DELIVERED.code),
                    perState.get(DeliveryState.DEAD.code), oldest);
        });
    }

    @Override
    public long openCount() {
        return open.get();
    }

    @Override
    public int pruneDelivered(Instant cutoff) {
        int total = 0;
        while (true) {
            int n = writeAndWait(c -> {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM items WHERE seq IN (SELECT seq FROM items "
                        + "WHERE " + SqliteSchema.DELIVERED + " AND updated_at < ? ORDER BY updated_at LIMIT 5000)")) {
                    ps.setLong(1, cutoff.toEpochMilli());
                    return ps.executeUpdate();
                }
            });
            total += n;
            perState.addAndGet(DeliveryState.DELIVERED.code, -n);
            if (n < 5000) {
                return total + pruneSuppressed(cutoff);
            }
        }
    }

    /** Suppressed records are kept as long as delivered ones. */
    private int pruneSuppressed(Instant cutoff) {
        int n = writeAndWait(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM items WHERE " + SqliteSchema.SUPPRESSED + " AND updated_at < ?")) {
                ps.setLong(1, cutoff.toEpochMilli());
                return ps.executeUpdate();
            }
        });
        perState.addAndGet(DeliveryState.SUPPRESSED.code, -n);
        return n;
    }

    @Override
    public boolean keepsSuppressed() {
        return true;
    }

    @Override
    public List<QueuedItem> listSuppressed(String keyOrNull, int limit) {
        return listIn(DeliveryState.SUPPRESSED, keyOrNull, limit);
    }

    @Override
    public List<SuppressedCount> suppressedCounts(String keyOrNull) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT ordering_key, last_error, COUNT(*) FROM items "
                    + "WHERE " + SqliteSchema.SUPPRESSED + (keyOrNull == null ? "" : " AND ordering_key = ?")
                    + " GROUP BY ordering_key, last_error ORDER BY ordering_key, last_error")) {
                if (keyOrNull != null) {
                    ps.setString(1, keyOrNull);
                }
                List<SuppressedCount> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String by = rs.getString(2);
                        by = by != null && by.startsWith(SqliteWriter.SUPPRESSED_PREFIX)
                                ? by.substring(SqliteWriter.SUPPRESSED_PREFIX.length()) : String.valueOf(by);
                        out.add(new SuppressedCount(rs.getString(1), by, rs.getLong(3)));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public CommitStats commitStats() {
        return writer.commitStats();
    }

    @Override
    public boolean isHealthy() {
        return !closed && writer.isHealthy();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        schedule.close();
        writer.close();
        checkpointer.close();
        for (Connection c : readers) {
            closeQuietly(c);
        }
        try {
            lock.release();
        } catch (IOException e) {
            LOG.debug("releasing the queue lock: {}", e.getMessage());
        }
        closeQuietly(lockChannel);
        LOG.info("embedded queue closed");
    }

    // ---- helpers

    @FunctionalInterface
    interface SqlFunction<T> {
        T apply(Connection c) throws SQLException;
    }

    private <T> T withReader(SqlFunction<T> f) throws SQLException {
        Connection c;
        try {
            c = readers.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting for a read connection", e);
        }
        try {
            return f.apply(c);
        } finally {
            readers.add(c);
        }
    }

    private <T> T read(SqlFunction<T> f) {
        if (closed) {
            throw new StoreUnavailableException("queue closed");
        }
        try {
            return withReader(f);
        } catch (SQLException e) {
            throw new StoreUnavailableException("cannot read the queue: " + e.getMessage(), e);
        }
    }

    /** Runs {@code f} on the writer's connection, in its own transaction (admin operations; tests). */
    <T> T writeAndWait(SqlFunction<T> f) {
        if (closed) {
            throw new StoreUnavailableException("queue closed");
        }
        try {
            return writer.run(f).join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new StoreUnavailableException("cannot write the queue: " + cause.getMessage(), cause);
        }
    }

    private static QueuedItem read(ResultSet rs) throws SQLException {
        return new QueuedItem(rs.getLong(1), rs.getString(2), new Destination(rs.getString(3), rs.getString(4)),
                rs.getString(5), rs.getBytes(6), rs.getString(7), Instant.ofEpochMilli(rs.getLong(8)),
                DeliveryState.ofCode(rs.getInt(9)), rs.getInt(10), Instant.ofEpochMilli(rs.getLong(11)),
                rs.getInt(12), rs.getString(13));
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("close: {}", e.getMessage());
        }
    }
}
