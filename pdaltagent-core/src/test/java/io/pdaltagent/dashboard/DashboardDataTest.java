package io.pdaltagent.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.observe.Metrics;
import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.InMemoryEventQueue;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The keys document's compact rows, and retry / purge of a key, of everything or of chosen events. */
class DashboardDataTest {
    static final String K1 = "key1aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static final String K4 = "key4aaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private final ManualClock clock = new ManualClock();

    @Test
    @SuppressWarnings("unchecked")
    void keysAreCompactRowsInTheNamedColumnOrderWithMaskedKeys() throws Exception {
        try (InMemoryEventQueue queue = new InMemoryEventQueue(clock, 1000)) {
            deadEvent(queue, K4, "d1");
            byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
            queue.append(new NewItem(K1, Destination.events("/v2/enqueue"), "application/json", body, "o1", clock.instant())).get();
            clock.advance(Duration.ofSeconds(90));
            queue.append(new NewItem(K1, Destination.events("/v2/enqueue"), "application/json", body, "o2", clock.instant())).get();
            assertThat(queue.claim(10, Duration.ZERO)).hasSize(1);
            Map<String, Object> keys = data(queue).keys(new KeyTable.Query(KeyTable.Sort.OLDEST, null, false, 0, 100));
            assertThat(keys.get("columns")).isEqualTo(List.of("ref", "key", "pending", "succeeded", "dead", "throttled",
                    "in_flight", "oldest_age_ms"));
            List<Object[]> rows = (List<Object[]>) keys.get("rows");
            assertThat(rows).hasSize(2);
            assertThat(rows.get(0)).containsExactly(DashboardData.ref(K1), "****" + K1.substring(28), 2L, 0L, 0L, 0, 1L, 90_000L);
            assertThat(rows.get(1)).containsExactly(DashboardData.ref(K4), "****" + K4.substring(28), 0L, 0L, 1L, 0, 0L, null);
            assertThat((Map<String, Object>) keys.get("totals")).containsEntry("keys", 2).containsEntry("dead", 1L);
        }
    }

    @Test
    void chosenEventsAreRetriedOrPurgedWhereDeadAndOthersLeftAlone() throws Exception {
        try (InMemoryEventQueue queue = new InMemoryEventQueue(clock, 1000)) {
            deadEvent(queue, K4, "d1");
            deadEvent(queue, K4, "d2");
            deadEvent(queue, K1, "d3");
            List<Long> dead = queue.listDead(null, 10).stream().map(QueuedItem::seq).toList();
            DashboardData data = data(queue);

            assertThat(data.retry(new DashboardData.Target.Events(List.of(dead.get(0), 999L)))).isEqualTo(1);
            assertThat(data.retry(new DashboardData.Target.Events(List.of(dead.get(0))))).as("no longer dead").isZero();
            assertThat(data.purge(new DashboardData.Target.Events(List.of(dead.get(1))))).isEqualTo(1);
            assertThat(queue.get(dead.get(1))).isNull();
            assertThat(queue.stats().dead()).isEqualTo(1);
            assertThat(data.purge(new DashboardData.Target.Key(DashboardData.ref(K1)))).isEqualTo(1);
            assertThat(data.retry(new DashboardData.Target.All())).isZero();
            assertThat(new DashboardData.Target.Events(List.of(3L, 4L)).toString()).isEqualTo("2 chosen events");
        }
    }

    private void deadEvent(InMemoryEventQueue q, String key, String dedup) throws Exception {
        byte[] body = ("{\"routing_key\":\"" + key + "\",\"dedup_key\":\"" + dedup + "\"}").getBytes(StandardCharsets.UTF_8);
        q.append(new NewItem(key, Destination.events("/v2/enqueue"), "application/json", body, dedup, clock.instant())).get();
        for (QueuedItem c : q.claim(10, Duration.ZERO)) {
            q.complete(c, new Completion.Dead(400, "rejected " + dedup)).get();
        }
    }

    private DashboardData data(InMemoryEventQueue queue) {
        return new DashboardData(queue, new Metrics("test"), new MinuteHistory(clock), clock, "test", null);
    }
}
