package io.pdaltagent.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.testing.EventQueueContract;
import io.pdaltagent.testing.ManualClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteEventQueueTest extends EventQueueContract {
    @TempDir
    Path dir;

    @Override
    protected EventQueue newQueue(ManualClock clock, long maxOpen) {
        return SqliteEventQueue.open(dir, clock, maxOpen);
    }

    private void reopen() {
        queue.close();
        queue = SqliteEventQueue.open(dir, clock, 1_000);
    }

    /** Caps the database at its current size plus {@code extraPages} (SQLite then fails writes with SQLITE_FULL). */
    private void capDatabase(long extraPages) {
        ((SqliteEventQueue) queue).writeAndWait(c -> {
            try (java.sql.Statement s = c.createStatement()) {
                long pages;
                try (java.sql.ResultSet rs = s.executeQuery("PRAGMA page_count")) {
                    pages = rs.next() ? rs.getLong(1) : 0;
                }
                s.execute("PRAGMA max_page_count = " + (pages + extraPages));
            }
            return null;
        });
    }

    @Test
    void aFullDiskCostsOnlyTheEventsRefusedWhileFullAndWritesWorkAgainOnceThereIsRoom() throws Exception {
        String big = "x".repeat(3000);
        java.util.Map<String, List<String>> acked = new java.util.TreeMap<>();
        java.util.function.BiConsumer<String, String> send = (key, body) -> {
            try {
                append(key, body);
                acked.computeIfAbsent(key, k -> new java.util.ArrayList<>()).add(body);
            } catch (java.util.concurrent.CompletionException e) {
                assertThat(e.getCause()).isInstanceOf(StoreUnavailableException.class);
            }
        };
        for (int i = 0; i < 10; i++) {
            send.accept("k" + (i % 3), i + big);
        }
        capDatabase(20);
        int refused = 0;
        for (int i = 10; i < 200; i++) {
            int before = acked.values().stream().mapToInt(List::size).sum();
            send.accept("k" + (i % 3), i + big);
            if (acked.values().stream().mapToInt(List::size).sum() == before) {
                refused++;
            }
        }
        assertThat(refused).as("writes refused while the database is full").isGreaterThan(100);
        assertThat(queue.isHealthy()).isFalse();

        capDatabase(1_000_000);
        for (int i = 200; i < 210; i++) {
            send.accept("k" + (i % 3), i + big);
        }
        assertThat(acked.values().stream().mapToInt(List::size).sum()).as("accepted in all").isGreaterThan(20);
        assertThat(queue.isHealthy()).isTrue();

        // exactly what was acknowledged is stored (nothing refused slipped in), in order per key
        java.util.Map<String, List<String>> inStore = new java.util.TreeMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("queue.db"));
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT ordering_key, body FROM items ORDER BY seq")) {
            while (rs.next()) {
                inStore.computeIfAbsent(rs.getString(1), k -> new java.util.ArrayList<>())
                        .add(new String(rs.getBytes(2), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        assertThat(inStore).isEqualTo(acked);
        // and the queue hands out exactly those, key by key
        java.util.Map<String, List<String>> delivered = new java.util.TreeMap<>();
        for (List<QueuedItem> batch = claimAll(); !batch.isEmpty(); batch = claimAll()) {
            for (QueuedItem i : batch) {
                delivered.computeIfAbsent(i.orderingKey(), k -> new java.util.ArrayList<>()).add(body(i));
                queue.complete(i, new Completion.Delivered(202)).join();
            }
        }
        assertThat(delivered).isEqualTo(acked);
        assertThat(queue.openCount()).isZero();
    }

    @Test
    void commitsAreCountedAndTimed() {
        CommitStats before = queue.commitStats();
        append("k1", "a");
        append("k1", "b");
        CommitStats after = queue.commitStats();
        assertThat(after.commits() - before.commits()).isBetween(1L, 2L);
        assertThat(after.seconds()).isGreaterThan(before.seconds());
    }

    @Test
    void itemsSurviveAReopenInOrder() throws Exception {
        append("k1", "a");
        append("k1", "b");
        append("k2", "c");
        reopen();
        assertThat(queue.openCount()).isEqualTo(3);
        List<QueuedItem> claimed = claimAll();
        assertThat(claimed).extracting(EventQueueContract::body).containsExactlyInAnyOrder("a", "c");
    }

    @Test
    void itemsInFlightWhenTheProcessStoppedArePendingAfterReopen() throws Exception {
        append("k1", "a");
        append("k1", "b");
        QueuedItem a = claimAll().get(0);
        reopen();
        List<QueuedItem> again = claimAll();
        assertThat(again).extracting(EventQueueContract::body).containsExactly("a");
        assertThat(again.get(0).seq()).isEqualTo(a.seq());
    }

    @Test
    void anInFlightMarkOnDiskIsPendingAfterReopenAndCountedAsPending() throws Exception {
        long a = append("k1", "a");
        append("k1", "b");
        // what an agent that wrote the in-flight mark left behind when it stopped mid-attempt
        ((SqliteEventQueue) queue).writeAndWait(c -> {
            try (Statement s = c.createStatement()) {
                return s.executeUpdate("UPDATE items SET state = " + DeliveryState.IN_FLIGHT.code + " WHERE seq = " + a);
            }
        });
        reopen();
        assertThat(queue.stats().inFlight()).isZero();
        assertThat(queue.get(a).state()).isEqualTo(DeliveryState.PENDING);
        List<QueuedItem> again = claimAll();
        assertThat(again).extracting(EventQueueContract::body).containsExactly("a");
        queue.complete(again.get(0), new Completion.Delivered(202)).join();
        assertThat(claimAll()).extracting(EventQueueContract::body).containsExactly("b");
    }

    @Test
    void theCountOfEveryStateSurvivesAReopen() throws Exception {
        append("k1", "delivered");
        append("k2", "dead");
        append("k3", "retry");
        append("k4", "pending");
        queue.append(item("k5", "suppressed").suppressed("rule quiet")).join();
        for (QueuedItem i : claimAll()) {
            Completion outcome = switch (body(i)) {
                case "delivered" -> new Completion.Delivered(202);
                case "dead" -> new Completion.Dead(400, "rejected");
                case "retry" -> new Completion.Retry(clock.instant().plusSeconds(60), 503, "down");
                default -> new Completion.Released();
            };
            queue.complete(i, outcome).join();
        }
        QueueStats before = queue.stats();
        reopen();
        QueueStats after = queue.stats();
        assertThat(after).usingRecursiveComparison().isEqualTo(before);
        assertThat(after.open()).isEqualTo(2);
        assertThat(after.retryScheduled()).isEqualTo(1);
        assertThat(after.delivered()).isEqualTo(1);
        assertThat(after.dead()).isEqualTo(1);
        assertThat(queue.suppressedCounts(null)).extracting(SuppressedCount::count).containsExactly(1L);
        assertThat(queue.keyStats("k4")).singleElement().extracting(KeyStats::pending).isEqualTo(1L);
    }

    @Test
    void aRetryScheduleSurvivesAReopen() throws Exception {
        append("k1", "a");
        queue.complete(claimAll().get(0), new Completion.Retry(clock.instant().plusSeconds(60), 503, "down")).join();
        reopen();
        assertThat(queue.claim(10, NO_WAIT)).isEmpty();
        clock.advance(Duration.ofSeconds(61));
        List<QueuedItem> due = claimAll();
        assertThat(due).extracting(EventQueueContract::body).containsExactly("a");
        assertThat(due.get(0).attempts()).isEqualTo(2);
        assertThat(due.get(0).lastError()).isEqualTo("down");
    }

    @Test
    void sequenceNumbersKeepIncreasingAfterPruningAndReopen() throws Exception {
        long first = append("k1", "a");
        queue.complete(claimAll().get(0), new Completion.Delivered(202)).join();
        clock.advance(Duration.ofDays(8));
        queue.pruneDelivered(clock.instant().minus(Duration.ofDays(7)));
        reopen();
        assertThat(append("k1", "b")).isGreaterThan(first);
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefused() {
        assertThatThrownBy(() -> SqliteEventQueue.open(dir, clock, 10))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("in use by another process");
    }

    @Test
    void theDatabaseRunsInWalModeWithFullSynchronousCommits() throws Exception {
        append("k1", "a");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("queue.db"));
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
        }
    }

    @Test
    void aDeliveredItemKeepsItsRecordButNotItsBody() throws Exception {
        long seq = append("k1", "secret body");
        queue.complete(claimAll().get(0), new Completion.Delivered(202)).join();
        QueuedItem delivered = queue.get(seq);
        assertThat(delivered.state()).isEqualTo(DeliveryState.DELIVERED);
        assertThat(delivered.body()).isEmpty();
    }

    @Test
    void aDeliveredItemCannotBeCompletedAgain() throws Exception {
        append("k1", "a");
        QueuedItem a = claimAll().get(0);
        queue.complete(a, new Completion.Delivered(202)).join();

        assertThatThrownBy(() -> queue.complete(a, new Completion.Retry(clock.instant().plusSeconds(5), 503, "down")).join())
                .cause().isInstanceOfSatisfying(IllegalStateTransitionException.class, e -> {
                    assertThat(e.from()).isEqualTo(DeliveryState.DELIVERED);
                    assertThat(e.to()).isEqualTo(DeliveryState.RETRY_SCHEDULED);
                });
        assertThat(queue.get(a.seq()).state()).as("unchanged").isEqualTo(DeliveryState.DELIVERED);
    }

    @Test
    void aDeadItemCannotBeDeliveredButCanBeRetriedByAPerson() throws Exception {
        append("k1", "a");
        QueuedItem a = claimAll().get(0);
        queue.complete(a, new Completion.Dead(400, "bad")).join();

        assertThatThrownBy(() -> queue.complete(a, new Completion.Delivered(202)).join())
                .cause().isInstanceOf(IllegalStateTransitionException.class)
                .hasMessageContaining("DEAD -> DELIVERED");
        assertThat(queue.retryDead("k1")).isEqualTo(1);
        assertThat(queue.get(a.seq()).state()).isEqualTo(DeliveryState.PENDING);
    }

    @Test
    void anItemThatWasNeverClaimedCannotBeCompleted() throws Exception {
        long seq = append("k1", "a");
        QueuedItem pending = queue.get(seq);

        assertThatThrownBy(() -> queue.complete(pending, new Completion.Delivered(202)).join())
                .cause().isInstanceOfSatisfying(IllegalStateTransitionException.class,
                        e -> assertThat(e.from()).isEqualTo(DeliveryState.PENDING));
        assertThatThrownBy(() -> queue.complete(pending, new Completion.Dead(400, "bad")).join())
                .as("allowed by the table from PENDING, but only a claim's attempt can end")
                .cause().isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not claimed");
        assertThat(claimAll()).extracting(QueuedItem::seq).as("still the key's head, claimable").containsExactly(seq);
    }

    @Test
    void anOutcomeTheStoreRefusesNamesTheStateTheItemIsIn() throws Exception {
        append("k1", "a");
        QueuedItem a = claimAll().get(0);
        // the row changes under the claim (as another writer or a repair would)
        ((SqliteEventQueue) queue).writeAndWait(c -> {
            try (Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE items SET state = " + DeliveryState.DELIVERED.code + " WHERE seq = " + a.seq());
            }
            return null;
        });

        assertThatThrownBy(() -> queue.complete(a, new Completion.Retry(clock.instant(), 503, "down")).join())
                .hasCauseInstanceOf(IllegalStateTransitionException.class)
                .hasMessageContaining("DELIVERED -> RETRY_SCHEDULED");
    }

    @Test
    void noStateNumberIsSpelledInTheStoresSql() throws Exception {
        for (String file : List.of("SqliteEventQueue.java", "SqliteWriter.java", "SqliteSchema.java")) {
            String src = java.nio.file.Files.readString(Path.of("src/main/java/io/pdaltagent/queue", file));
            assertThat(src).as(file).doesNotContainPattern("state\\s*(=|IN \\()\\s*[0-9]")
                    .doesNotContainPattern("WHEN \\? = [0-9]");
        }
    }

    @Test
    void appendsAfterCloseFailAsUnavailable() {
        queue.close();
        assertThatThrownBy(() -> queue.append(item("k1", "a")).join()).hasCauseInstanceOf(StoreUnavailableException.class);
        assertThat(queue.isHealthy()).isFalse();
        queue = null;
    }
}
