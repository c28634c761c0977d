package io.pdaltagent.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.observe.Metrics;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.InMemoryEventQueue;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dashboard's suppressed page: counts per key and suppressor, then the events with masked keys. */
class DashboardSuppressedTest {
    private static final String KEY = "0123456789abcdef0123456789abcdef";

    @Test
    @SuppressWarnings("unchecked")
    void suppressedEventsAreCountedPerKeyAndSuppressorAndShownWithTheirBody() throws Exception {
        ManualClock clock = new ManualClock();
        try (InMemoryEventQueue queue = new InMemoryEventQueue(clock, 1000)) {
            byte[] body = ("{\"routing_key\":\"" + KEY + "\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\"noise\"}}")
                    .getBytes(StandardCharsets.UTF_8);
            NewItem item = new NewItem(KEY, Destination.events("/v2/enqueue"), "application/json", body, "d1", clock.instant());
            queue.append(item.suppressed("rule drop-tests")).get();
            queue.append(item.suppressed("rule drop-tests")).get();
            queue.append(item).get();
            DashboardData data = new DashboardData(queue, new Metrics("test"), new MinuteHistory(clock), clock, "test", null);

            Map<String, Object> s = data.suppressed();

            assertThat(s.get("kept")).isEqualTo(true);
            List<Map<String, Object>> counts = (List<Map<String, Object>>) s.get("counts");
            assertThat(counts).hasSize(1);
            assertThat(counts.get(0)).containsEntry("by", "rule drop-tests").containsEntry("count", 2L);
            assertThat((String) counts.get(0).get("key")).doesNotContain(KEY);
            List<Map<String, Object>> events = (List<Map<String, Object>>) s.get("events");
            assertThat(events).hasSize(2);
            assertThat((String) events.get(0).get("by")).contains("rule drop-tests");
            assertThat((String) events.get(0).get("body")).contains("noise").doesNotContain(KEY);
        }
    }
}
