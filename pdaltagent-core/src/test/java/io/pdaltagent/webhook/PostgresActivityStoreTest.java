package io.pdaltagent.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shared activity store on the real PostgreSQL of the build machine (bin/test starts it). */
class PostgresActivityStoreTest {
    static final String ADMIN = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    String schema;
    JdbcActivityStore a;
    JdbcActivityStore b;

    @BeforeEach
    void setUp() throws Exception {
        schema = "wh_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(ADMIN); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        a = JdbcActivityStore.postgres(ADMIN + "&currentSchema=" + schema, Clock.systemUTC());
        b = JdbcActivityStore.postgres(ADMIN + "&currentSchema=" + schema, Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws Exception {
        a.close();
        b.close();
        try (Connection c = DriverManager.getConnection(ADMIN); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }

    static List<ActivityStore.Staged> entries(int n) {
        List<ActivityStore.Staged> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new ActivityStore.Staged("E" + i, "PINC1", Instant.now(), WebhookBodies.webhookId("E" + i),
                    "{}".getBytes(), "x"));
        }
        return out;
    }

    @Test
    void twoAgentsStagingTheSameEntriesAtOnceGetEachEntryExactlyOnce() throws Exception {
        List<ActivityStore.Staged> list = entries(300);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Callable<Set<String>> byA = () -> a.stage(list, "agent-a");
            Callable<Set<String>> byB = () -> b.stage(list, "agent-b");
            Future<Set<String>> fa = pool.submit(byA);
            Future<Set<String>> fb = pool.submit(byB);
            Set<String> union = new HashSet<>(fa.get());
            union.addAll(fb.get());
            assertThat(fa.get().size() + fb.get().size()).isEqualTo(300);
            assertThat(union).hasSize(300);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void oneHolderAtATimeAndTheLeaseRunsOutWhenNotRenewed() {
        assertThat(a.tryLease("agent-a", Duration.ofSeconds(2))).isTrue();
        assertThat(b.tryLease("agent-b", Duration.ofSeconds(2))).isFalse();
        assertThat(a.tryLease("agent-a", Duration.ofSeconds(2))).as("renewal by the holder").isTrue();
        await().atMost(Duration.ofSeconds(20)).until(() -> b.tryLease("agent-b", Duration.ofSeconds(30)));
        assertThat(a.tryLease("agent-a", Duration.ofSeconds(2))).isFalse();
        b.releaseLease("agent-b");
        assertThat(a.tryLease("agent-a", Duration.ofSeconds(2))).as("a released lease is free at once").isTrue();
    }

    @Test
    void aDeadAgentsStagedEntryIsAdoptedByOneAgentOnly() {
        a.stage(entries(1), "agent-dead");
        assertThat(a.adopt("E0", "agent-dead", "agent-a")).isTrue();
        assertThat(b.adopt("E0", "agent-dead", "agent-b")).isFalse();
        assertThat(b.staged()).extracting(ActivityStore.Staged::stagedBy).containsExactly("agent-a");
        a.markForwarded(List.of("E0"));
        assertThat(b.staged()).isEmpty();
        assertThat(b.known(List.of("E0", "E1"))).containsExactly("E0");
        assertThat(b.prune(Instant.now().plusSeconds(60))).isEqualTo(1);
        b.saveCursor(Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(a.cursor()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
    }
}
