package io.pdaltagent.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.InMemoryEventQueue;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The keys window: sorted and filtered over every key, cut to the asked rows, read again after its TTL. */
class KeyTableTest {
    private final ManualClock clock = new ManualClock();

    @Test
    void sortsAndFiltersEveryKeyThenSendsOnlyTheWindow() throws Exception {
        try (InMemoryEventQueue queue = new InMemoryEventQueue(clock, 10_000)) {
            for (int i = 0; i < 50; i++) {
                for (int n = 0; n <= i % 7; n++) {
                    append(queue, key(i), "e" + i + "-" + n);
                }
            }
            KeyTable table = new KeyTable(queue, clock);

            KeyTable.Window w = table.window(new KeyTable.Query(KeyTable.Sort.PENDING, null, false, 0, 5));
            assertThat(w.keys()).isEqualTo(50);
            assertThat(w.matching()).isEqualTo(50);
            assertThat(w.rows()).hasSize(5).allSatisfy(r -> assertThat(r.pending()).isEqualTo(7));
            assertThat(w.pending()).isEqualTo(queue.keyStats(null).stream().mapToLong(k -> k.pending()).sum());

            KeyTable.Window tail = table.window(new KeyTable.Query(KeyTable.Sort.PENDING, null, false, 48, 5));
            assertThat(tail.offset()).isEqualTo(48);
            assertThat(tail.rows()).hasSize(2).allSatisfy(r -> assertThat(r.pending()).isEqualTo(1));

            // the filter looks at the masked key (the last four characters), across every key, not the window
            KeyTable.Window f = table.window(new KeyTable.Query(KeyTable.Sort.KEY, "  0049 ", false, 0, 5));
            assertThat(f.matching()).isEqualTo(1);
            assertThat(f.rows()).singleElement().satisfies(r -> {
                assertThat(r.masked()).isEqualTo("****0049");
                assertThat(r.pending()).isEqualTo(49 % 7 + 1);
            });
            KeyTable.Window byKey = table.window(new KeyTable.Query(KeyTable.Sort.KEY, null, false, 0, 50));
            assertThat(byKey.rows()).extracting(KeyTable.Row::masked).isSorted();

            KeyTable.Window beyond = table.window(new KeyTable.Query(KeyTable.Sort.DEAD, null, false, 500, 5));
            assertThat(beyond.offset()).isEqualTo(50);
            assertThat(beyond.rows()).isEmpty();
        }
    }

    @Test
    void aSnapshotAnswersForItsTtlAndAChangeThroughTheDashboardIsSeenAtOnce() throws Exception {
        try (InMemoryEventQueue queue = new InMemoryEventQueue(clock, 1000)) {
            append(queue, key(1), "a");
            KeyTable table = new KeyTable(queue, clock);
            KeyTable.Query all = new KeyTable.Query(KeyTable.Sort.PENDING, null, false, 0, 10);
            assertThat(table.window(all).keys()).isEqualTo(1);

            append(queue, key(2), "b");
            assertThat(table.window(all).keys()).as("within the TTL").isEqualTo(1);
            clock.advance(KeyTable.TTL);
            assertThat(table.window(all).keys()).as("after the TTL").isEqualTo(2);

            append(queue, key(3), "c");
            table.invalidate();
            assertThat(table.window(all).keys()).isEqualTo(3);
            assertThat(table.keyOf(DashboardData.ref(key(3)))).isEqualTo(key(3));
            assertThat(table.keyOf("0000000000000000")).isNull();
        }
    }

    @Test
    void onlyDeadKeepsTheKeysWithDeadEvents() throws Exception {
        try (InMemoryEventQueue queue = new InMemoryEventQueue(clock, 1000)) {
            append(queue, key(1), "a");
            for (QueuedItem c : queue.claim(10, Duration.ZERO)) {
                queue.complete(c, new Completion.Dead(400, "rejected")).get();
            }
            append(queue, key(2), "b");
            KeyTable.Window w = new KeyTable(queue, clock).window(new KeyTable.Query(KeyTable.Sort.PENDING, null, true, 0, 10));
            assertThat(w.matching()).isEqualTo(1);
            assertThat(w.rows()).singleElement().satisfies(r -> assertThat(r.dead()).isEqualTo(1));
            assertThat(w.keys()).isEqualTo(2);
        }
    }

    @Test
    void inFlightAndTheOldestOpenItemAreShownAndSortable() throws Exception {
        try (InMemoryEventQueue queue = new InMemoryEventQueue(clock, 1000)) {
            append(queue, key(0), "a");
            clock.advance(Duration.ofSeconds(10));
            append(queue, key(1), "b");
            clock.advance(Duration.ofSeconds(10));
            append(queue, key(2), "c1");
            append(queue, key(2), "c2");
            for (QueuedItem i : queue.claim(10, Duration.ZERO)) {
                if (i.orderingKey().equals(key(0))) {
                    queue.complete(i, new Completion.Delivered(202)).join();
                }
            }
            KeyTable table = new KeyTable(queue, clock);
            KeyTable.Window byInFlight = table.window(new KeyTable.Query(KeyTable.Sort.of("inflight"), null, false, 0, 10));
            assertThat(byInFlight.rows()).extracting(KeyTable.Row::inFlight).containsExactly(1L, 1L, 0L);
            assertThat(byInFlight.rows()).extracting(KeyTable.Row::pending).containsExactly(1L, 2L, 0L);
            KeyTable.Window byOldest = table.window(new KeyTable.Query(KeyTable.Sort.of("oldest"), null, false, 0, 10));
            assertThat(byOldest.rows()).extracting(KeyTable.Row::key).containsExactly(key(1), key(2), key(0));
            assertThat(byOldest.rows()).extracting(KeyTable.Row::oldestOpenAcceptedAt)
                    .containsExactly(clock.instant().minusSeconds(10), clock.instant(), null);
        }
    }

    @Test
    void badQueriesAreRefusedWithTheirName() {
        assertThatThrownBy(() -> KeyTable.Sort.of("age")).hasMessageContaining("'sort'");
        assertThatThrownBy(() -> new KeyTable.Query(KeyTable.Sort.KEY, null, false, -1, 5)).hasMessageContaining("'offset'");
        assertThatThrownBy(() -> new KeyTable.Query(KeyTable.Sort.KEY, null, false, 0, KeyTable.MAX_LIMIT + 1))
                .hasMessageContaining("'limit'");
    }

    private static String key(int i) {
        return "routing" + String.format("%025d", i);
    }

    private void append(InMemoryEventQueue q, String key, String dedup) throws Exception {
        byte[] body = ("{\"routing_key\":\"" + key + "\",\"dedup_key\":\"" + dedup + "\"}").getBytes(StandardCharsets.UTF_8);
        q.append(new NewItem(key, Destination.events("/v2/enqueue"), "application/json", body, dedup, clock.instant())).get();
    }
}
