package io.pdaltagent.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.testing.ManualClock;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreCheckTest {
    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();

    private void storeWithEvents(int n) {
        try (SqliteEventQueue q = SqliteEventQueue.open(dir, clock, 1_000)) {
            for (int i = 0; i < n; i++) {
                q.append(new NewItem("key-" + (i % 2), Destination.events("/v2/enqueue"), "application/json",
                        ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), "dk" + i, clock.instant())).join();
            }
        }
    }

    private void sql(String statement) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("queue.db"));
             Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    @Test
    void aSoundStoreIsOkWithItsCountsPerState() {
        storeWithEvents(3);
        StoreCheck.Result r = StoreCheck.check(dir);
        assertThat(r.problems()).isEmpty();
        assertThat(r.counts()).containsEntry("pending", 3L);
        assertThat(r.file()).isEqualTo(dir.resolve("queue.db"));
    }

    @Test
    void aMissingFileIsAProblem() {
        assertThat(StoreCheck.check(dir).problems()).containsExactly("no queue database at " + dir.resolve("queue.db"));
    }

    @Test
    void aFileThatIsNotSqliteIsSaidToBeSo() throws Exception {
        Files.writeString(dir.resolve("queue.db"), "x".repeat(4096));
        assertThat(StoreCheck.check(dir).problems()).containsExactly(
                "not an SQLite database (its header is not \"SQLite format 3\")");
    }

    @Test
    void aTruncatedFileIsSaidToBeTruncated() throws Exception {
        storeWithEvents(200);
        Path db = dir.resolve("queue.db");
        try (RandomAccessFile f = new RandomAccessFile(db.toFile(), "rw")) {
            f.setLength(Files.size(db) / 2);
        }
        assertThat(StoreCheck.check(dir).problems()).first().asString().startsWith("the file is truncated: its header counts");
    }

    @Test
    void anUnknownStateCodeAndReusedSequenceNumbersAreProblems() throws Exception {
        storeWithEvents(3);
        sql("UPDATE items SET state = 9 WHERE seq = 2");
        sql("UPDATE meta SET value = 2 WHERE name = 'next_seq'");
        assertThat(StoreCheck.check(dir).problems()).containsExactly(
                "1 event(s) with state code 9, which is no delivery state",
                "next_seq 2 is not above the highest sequence number 3: new events would reuse numbers and be ordered "
                        + "before older ones");
    }

    @Test
    void aDamagedStoreIsMovedAsideAtOpenAndAnEmptyOneTakesItsPlace() throws Exception {
        Files.writeString(dir.resolve("queue.db"), "garbage".repeat(1000));
        assertThatThrownBy(() -> SqliteEventQueue.open(dir, clock, 10))
                .satisfies(e -> assertThat(StoreCheck.isCorruption(e)).isTrue());

        try (SqliteEventQueue q = StoreQuarantine.open(dir, clock, 10)) {
            assertThat(q.stats().open()).isZero();
            assertThat(q.isHealthy()).isTrue();
        }
        List<Path> kept;
        try (Stream<Path> s = Files.walk(dir.resolve(StoreQuarantine.DIR))) {
            kept = s.filter(Files::isRegularFile).toList();
        }
        assertThat(kept).hasSize(1);
        assertThat(Files.readString(kept.get(0))).startsWith("garbage");
        assertThat(StoreCheck.check(dir).ok()).isTrue();
    }

    @Test
    void aStoreHeldByAnotherAgentIsNotMovedAside() {
        try (SqliteEventQueue held = SqliteEventQueue.open(dir, clock, 10)) {
            assertThatThrownBy(() -> StoreQuarantine.open(dir, clock, 10)).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("in use by another process");
            assertThat(dir.resolve(StoreQuarantine.DIR)).doesNotExist();
        }
    }
}
