package io.pdaltagent.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DueKeysTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private final ManualClock clock = new ManualClock(T0);
    private final DueKeys due = new DueKeys(clock);

    private List<String> poll() {
        List<String> out = new ArrayList<>();
        due.pollDue((key, at) -> out.add(key + "@" + Duration.between(T0, at).toSeconds()));
        return out;
    }

    @Test
    void keysComeOutInDueOrderOnlyOnceTheirTimeHasCome() {
        due.add(T0.plusSeconds(5), "b");
        due.add(T0.plusSeconds(2), "a");
        due.add(T0.plusSeconds(9), "c");
        due.add(T0.plusSeconds(2), "a2");
        assertThat(poll()).isEmpty();

        clock.advance(Duration.ofSeconds(5));
        assertThat(poll()).containsExactlyInAnyOrder("a@2", "a2@2", "b@5").endsWith("b@5");
        assertThat(poll()).as("each wake is handed out once").isEmpty();

        clock.advance(Duration.ofSeconds(4));
        assertThat(poll()).containsExactly("c@9");
    }

    @Test
    void aClaimerSleepsUntilTheNextKeyIsDueAtMost() {
        long minute = TimeUnit.MINUTES.toNanos(1);
        assertThat(due.waitNanos(minute)).as("nothing due: the whole wait").isEqualTo(minute);

        due.add(T0.plusSeconds(3), "a");
        assertThat(due.waitNanos(minute)).isEqualTo(TimeUnit.SECONDS.toNanos(3));
        assertThat(due.waitNanos(TimeUnit.SECONDS.toNanos(1))).as("a shorter wait stays").isEqualTo(TimeUnit.SECONDS.toNanos(1));

        clock.advance(Duration.ofSeconds(10));
        assertThat(due.waitNanos(minute)).as("overdue: a short nap, never a busy loop")
                .isEqualTo(TimeUnit.MILLISECONDS.toNanos(1));
    }

    @Test
    void aWaitIsMeasuredOnTheTickerNotTheWallClock() {
        due.add(T0.plusSeconds(10), "a");
        clock.step(Duration.ofHours(-1));
        assertThat(due.waitNanos(Long.MAX_VALUE)).as("a step back does not lengthen the wait")
                .isEqualTo(TimeUnit.SECONDS.toNanos(10));
        clock.step(Duration.ofHours(2));
        assertThat(poll()).as("a step forward does not end it").isEmpty();

        clock.advance(Duration.ofSeconds(10));
        assertThat(poll()).as("handed out with the wall-clock time it was added with").containsExactly("a@10");
    }
}
