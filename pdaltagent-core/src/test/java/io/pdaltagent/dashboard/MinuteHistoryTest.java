package io.pdaltagent.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MinuteHistoryTest {
    private final ManualClock clock = new ManualClock();
    private final MinuteHistory history = new MinuteHistory(clock);

    @Test
    void countsFallIntoTheirMinuteOldestFirst() {
        history.accepted("/v2/enqueue");
        history.accepted("/v2/enqueue");
        clock.advance(Duration.ofMinutes(1));
        history.accepted("/v2/enqueue");
        history.dead(null, 400, "bad");
        Map<String, Object> s = history.snapshot(3);
        assertThat(s.get("accepted")).isEqualTo(List.of(0L, 2L, 1L));
        assertThat(s.get("dead")).isEqualTo(List.of(0L, 0L, 1L));
        assertThat(s.get("delivered")).isEqualTo(List.of(0L, 0L, 0L));
    }

    @Test
    @SuppressWarnings("unchecked")
    void minutesOlderThanTheWindowDropOutWhenTheirSlotIsReused() {
        history.accepted("/v2/enqueue");
        clock.advance(Duration.ofMinutes(MinuteHistory.MINUTES));
        Map<String, Object> s = history.snapshot(MinuteHistory.MINUTES);
        assertThat((List<Object>) s.get("accepted")).hasSize(MinuteHistory.MINUTES).containsOnly(0L);
        history.accepted("/v2/enqueue");
        List<?> now = (List<?>) history.snapshot(MinuteHistory.MINUTES).get("accepted");
        assertThat(now.get(now.size() - 1)).isEqualTo(1L);
        assertThat(now.stream().mapToLong(v -> (Long) v).sum()).isEqualTo(1L);
    }

    @Test
    void aWindowBeyondTheRingIsRefused() {
        assertThatThrownBy(() -> history.snapshot(MinuteHistory.MINUTES + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> history.snapshot(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
