package io.pdaltagent.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of the embedded store. Callers hand it operations; its thread takes whatever
 * has arrived (up to {@link #MAX_BATCH}), runs it in one transaction and commits once, then
 * completes every operation's future. One fsync then covers many events: with 64 producers this
 * gives several times the rate of a transaction per event, at the cost of the time one commit takes.
 *
 * <p>Sequence numbers are assigned here, in commit order, above both the newest row and a high-water
 * mark kept in the {@code meta} table, so they increase even across pruning and restarts.
 */
final class SqliteWriter {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteWriter.class);
    /** Bounds one transaction's size and so the latency of the commit that ends it. */
    static final int MAX_BATCH = 2048;

    /** A state change of one item, guarded by its expected current state. */
    record Update(long seq, DeliveryState from, DeliveryState to, int attemptsDelta, Instant nextAttemptAt,
                  int status, String error) {
    }

    private sealed interface Op {
        CompletableFuture<?> future();
    }

    private record InsertOp(NewItem item, CompletableFuture<Long> future) implements Op {
    }

    private record UpdateOp(Update update, CompletableFuture<Void> future) implements Op {
    }

    private record RunOp<T>(SqliteEventQueue.SqlFunction<T> fn, CompletableFuture<T> future) implements Op {
    }

    private final Connection conn;
    private final Clock clock;
    private final LinkedBlockingQueue<Op> ops = new LinkedBlockingQueue<>();
    private final Thread thread;
    /**
     * Completes the futures of a committed batch, in order. What callers chained to them (writing
     * the 202 answers, releasing keys) then runs there, not on the writer, which only runs SQL.
     */
    private final ExecutorService completer = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("queue-completer").daemon(true).factory());
    private final PreparedStatement insert;
    private final PreparedStatement update;
    private final PreparedStatement saveSeq;
    private long nextSeq;
    private volatile boolean stopping;
    private volatile boolean healthy = true;
    /** A group commit slower than this is logged (see recordCommit). */
    static final long SLOW_COMMIT_NANOS = Math.round(CommitStats.SLOW_SECONDS * 1e9);
    static final long SLOW_COMMIT_WARN_INTERVAL_NANOS = 10_000_000_000L;
    /** False when no transaction could be opened after a failure: nothing is written until one is. */
    private boolean inTransaction = true;  // the writer's thread only, as are the fields below
    private long failingSinceNanos;
    private long failedCommits;
    private long lastFailureLogNanos;
    static final long FAILURE_LOG_INTERVAL_NANOS = 30_000_000_000L;
    private long slowSinceWarn;
    private long lastSlowWarn;
    private final java.util.concurrent.atomic.LongAdder commits = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder commitNanos = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder slowCommits = new java.util.concurrent.atomic.LongAdder();

    SqliteWriter(Connection conn, Clock clock) throws SQLException {
        this.conn = conn;
        this.clock = clock;
        conn.setAutoCommit(false);
        try (Statement s = conn.createStatement();
             ResultSet rs = s.executeQuery("SELECT max((SELECT value FROM meta WHERE name = 'next_seq'), "
                     + "(SELECT coalesce(max(seq), 0) + 1 FROM items))")) {
            nextSeq = rs.next() ? rs.getLong(1) : 1;
        }
        conn.commit();
        insert = conn.prepareStatement("INSERT INTO items(seq, ordering_key, dest_kind, dest_target, content_type, body, "
                + "dedup_key, accepted_at, state, attempts, next_attempt_at, last_status, last_error, updated_at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0, ?, ?)");
        // a delivered item keeps its record (for status counts) but not its body
        update = conn.prepareStatement("UPDATE items SET state = ?, attempts = attempts + ?, next_attempt_at = ?, "
                + "last_status = ?, last_error = ?, updated_at = ?, body = CASE WHEN ? = 3 THEN x'' ELSE body END "
                + "WHERE seq = ? AND state IN (?, ?)");
        saveSeq = conn.prepareStatement("UPDATE meta SET value = ? WHERE name = 'next_seq'");
        thread = Thread.ofPlatform().name("queue-writer").daemon(false).start(this::loop);
    }

    /** A suppressed item's last_error: the suppressor's name after this prefix. */
    static final String SUPPRESSED_PREFIX = NewItem.SUPPRESSED_PREFIX;

    CompletableFuture<Long> insert(NewItem item) {
        return submit(new InsertOp(item, new CompletableFuture<>()));
    }

    CompletableFuture<Void> update(Update u) {
        return submit(new UpdateOp(u, new CompletableFuture<>()));
    }

    <T> CompletableFuture<T> run(SqliteEventQueue.SqlFunction<T> fn) {
        return submit(new RunOp<>(fn, new CompletableFuture<>()));
    }

    @SuppressWarnings("unchecked")
    private <T> CompletableFuture<T> submit(Op op) {
        if (stopping) {
            return CompletableFuture.failedFuture(new StoreUnavailableException("queue closed"));
        }
        ops.add(op);
        return (CompletableFuture<T>) op.future();
    }

    /** Group commits so far (admin operations, which commit alone, are not counted). */
    CommitStats commitStats() {
        return new CommitStats(commits.sum(), commitNanos.sum() / 1e9, slowCommits.sum());
    }

    boolean isHealthy() {
        return healthy && thread.isAlive();
    }

    /** Finishes every operation handed in so far, then stops the thread and closes the connection. */
    void close() {
        stopping = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
            if (!thread.isAlive()) {
                saveHighWaterMark();
                conn.commit();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException e) {
            LOG.warn("could not store the queue's sequence high-water mark: {}", e.getMessage());
        }
        completer.shutdown();
        try {
            completer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        SqliteEventQueue.closeQuietly(insert);
        SqliteEventQueue.closeQuietly(update);
        SqliteEventQueue.closeQuietly(saveSeq);
        SqliteEventQueue.closeQuietly(conn);
    }

    private void loop() {
        List<Op> batch = new ArrayList<>(MAX_BATCH);
        while (true) {
            try {
                Op first = ops.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (stopping && ops.isEmpty()) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                ops.drainTo(batch, MAX_BATCH - 1);
                process(batch);
            } catch (InterruptedException e) {
                if (stopping) {
                    return;
                }
            } catch (RuntimeException | Error e) {
                // never let the writer die: fail what it held and go on
                LOG.error("queue writer failed on a batch", e);
                batch.forEach(op -> op.future().completeExceptionally(e));
            } finally {
                batch.clear();
            }
        }
    }

    /**
     * Counts a group commit and its time (for {@link #commitStats}). A slow one holds every client
     * waiting for its answer: one WARN line (at most one per {@link #SLOW_COMMIT_WARN_INTERVAL_NANOS})
     * says how long and where the time went, so that a slow or stalling disk shows in the log.
     */
    private void recordCommit(int ops, long started, long committing, long done) {
        long total = done - started;
        commits.increment();
        commitNanos.add(total);
        if (total < SLOW_COMMIT_NANOS) {
            return;
        }
        slowCommits.increment();
        slowSinceWarn++;
        if (lastSlowWarn != 0 && done - lastSlowWarn < SLOW_COMMIT_WARN_INTERVAL_NANOS) {
            return;
        }
        LOG.warn("queue commit of {} operation(s) took {} ms ({} ms writing, {} ms committing and syncing); "
                        + "{} slow commit(s) since the last warning: the disk is slow, and clients wait as long for answers",
                ops, total / 1_000_000, (committing - started) / 1_000_000, (done - committing) / 1_000_000, slowSinceWarn);
        slowSinceWarn = 0;
        lastSlowWarn = done;
    }

    /** Runs the batch: inserts and updates in one transaction; each admin operation in its own. */
    private void process(List<Op> batch) {
        List<Op> group = new ArrayList<>(batch.size());
        for (Op op : batch) {
            if (op instanceof RunOp<?> run) {
                commitGroup(group);
                group.clear();
                runAlone(run);
            } else {
                group.add(op);
            }
        }
        commitGroup(group);
    }

    private void commitGroup(List<Op> group) {
        if (group.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        if (!inTransaction && !restoreTransaction()) {
            writeFailed(group.size(), "no transaction could be opened on the queue's database");
            StoreUnavailableException failure = new StoreUnavailableException("cannot store: the queue's database "
                    + "could not open a transaction");
            group.forEach(op -> op.future().completeExceptionally(failure));
            return;
        }
        long[] seqs = new long[group.size()];
        Throwable[] opErrors = new Throwable[group.size()];
        long now = clock.millis();
        try {
            int pendingInserts = 0;
            for (int i = 0; i < group.size(); i++) {
                Op op = group.get(i);
                if (op instanceof InsertOp ins) {
                    NewItem n = ins.item();
                    seqs[i] = nextSeq++;
                    insert.setLong(1, seqs[i]);
                    insert.setString(2, n.orderingKey());
                    insert.setString(3, n.destination().kind());
                    insert.setString(4, n.destination().target());
                    insert.setString(5, n.contentType());
                    insert.setBytes(6, n.body());
                    insert.setString(7, n.dedupKey());
                    insert.setLong(8, n.acceptedAt().toEpochMilli());
                    insert.setInt(9, n.arrivalState().code);
                    insert.setLong(10, n.acceptedAt().toEpochMilli());
                    insert.setString(11, n.arrivalNote());
                    insert.setLong(12, now);
                    insert.addBatch();
                    pendingInserts++;
                } else if (op instanceof UpdateOp up) {
                    if (pendingInserts > 0) {
                        insert.executeBatch();
                        pendingInserts = 0;
                    }
                    Update u = up.update();
                    update.setInt(1, u.to().code);
                    update.setInt(2, u.attemptsDelta());
                    update.setLong(3, u.nextAttemptAt().toEpochMilli());
                    update.setInt(4, u.status());
                    update.setString(5, u.error());
                    update.setLong(6, now);
                    update.setInt(7, u.to().code);
                    update.setLong(8, u.seq());
                    if (u.from() == DeliveryState.IN_FLIGHT) {
                        // in flight is not stored: the row still says what it was when it was claimed
                        update.setInt(9, DeliveryState.PENDING.code);
                        update.setInt(10, DeliveryState.RETRY_SCHEDULED.code);
                    } else {
                        update.setInt(9, u.from().code);
                        update.setInt(10, u.from().code);
                    }
                    if (update.executeUpdate() != 1) {
                        opErrors[i] = new IllegalStateException("Event(seq=" + u.seq() + ") is not " + u.from()
                                + "; cannot move it to " + u.to());
                    }
                }
            }
            if (pendingInserts > 0) {
                insert.executeBatch();
            }
            long committing = System.nanoTime();
            conn.commit();
            writeWorked();
            recordCommit(group.size(), started, committing, System.nanoTime());
        } catch (SQLException e) {
            // the group's sequence numbers are not used again: should a failed commit have stored
            // anything after all, a later row must not collide with it (gaps are harmless)
            restoreTransaction();
            writeFailed(group.size(), e.getMessage());
            StoreUnavailableException failure = new StoreUnavailableException("cannot store: " + e.getMessage(), e);
            group.forEach(op -> op.future().completeExceptionally(failure));
            return;
        }
        List<Op> done = List.copyOf(group);
        completer.execute(() -> {
            for (int i = 0; i < done.size(); i++) {
                Op op = done.get(i);
                if (opErrors[i] != null) {
                    op.future().completeExceptionally(opErrors[i]);
                } else if (op instanceof InsertOp ins) {
                    ins.future().complete(seqs[i]);
                } else if (op instanceof UpdateOp up) {
                    up.future().complete(null);
                }
            }
        });
    }

    private <T> void runAlone(RunOp<T> run) {
        T result;
        try {
            // operations that delete rows may delete the newest ones: keep the high-water mark first
            if (!inTransaction && !restoreTransaction()) {
                throw new StoreUnavailableException("cannot store: the queue's database could not open a transaction");
            }
            saveHighWaterMark();
            result = run.fn().apply(conn);
            conn.commit();
        } catch (SQLException | RuntimeException e) {
            restoreTransaction();
            run.future().completeExceptionally(e);
            return;
        }
        run.future().complete(result);
    }

    /**
     * Stores the next sequence number. Not done per batch (it would add a page to every commit): the
     * newest row's seq tells the same, except after rows are deleted, which only admin operations
     * and pruning do, and they call this first.
     */
    private void saveHighWaterMark() throws SQLException {
        saveSeq.setLong(1, nextSeq);
        saveSeq.executeUpdate();
    }

    /**
     * After a failed statement or commit: rolls back and makes sure a transaction is open for the next
     * write; returns whether one is. SQLite may already have rolled back by itself (a full disk, an
     * I/O error); the driver's rollback then fails, and as the driver opens the next transaction only
     * after a successful commit or rollback, the next statements would each be stored at once,
     * whatever became of their group (seen with a full disk: events answered 503 yet stored, and
     * every later write failing on "cannot commit - no transaction is active"). So a BEGIN follows a
     * failed rollback; while neither works, the writer writes nothing.
     */
    private boolean restoreTransaction() {
        try {
            conn.rollback();
            inTransaction = true;
            return true;
        } catch (SQLException e) {
            LOG.debug("rollback: {}", e.getMessage());
        }
        try (Statement s = conn.createStatement()) {
            s.execute("BEGIN");
            inTransaction = true;
        } catch (SQLException e) {
            LOG.debug("begin: {}", e.getMessage());
            inTransaction = false;
        }
        return inTransaction;
    }

    /**
     * A failed group commit: one ERROR when writes start failing, then at most one every
     * {@link #FAILURE_LOG_INTERVAL_NANOS} with the count (a full disk would otherwise write a line
     * per client retry, onto the same disk).
     */
    private void writeFailed(int ops, String reason) {
        long now = System.nanoTime();
        failedCommits++;
        if (healthy) {
            healthy = false;
            failingSinceNanos = now;
            failedCommits = 1;
            lastFailureLogNanos = now;
            LOG.error("queue writes fail ({} operation(s) not stored): {}; events are answered 503 until writes work "
                    + "again", ops, reason);
        } else if (now - lastFailureLogNanos >= FAILURE_LOG_INTERVAL_NANOS) {
            lastFailureLogNanos = now;
            LOG.error("queue writes still fail after {} s ({} failed commits): {}",
                    (now - failingSinceNanos) / 1_000_000_000L, failedCommits, reason);
        }
    }

    private void writeWorked() {
        if (!healthy) {
            LOG.info("queue writes work again after {} s ({} failed commits)",
                    (System.nanoTime() - failingSinceNanos) / 1_000_000_000L, failedCommits);
            healthy = true;
        }
    }
}
