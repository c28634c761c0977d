package io.pdaltagent.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
    private final ManualClock clock = new ManualClock();
    private final LoginThrottle throttle = new LoginThrottle(clock);

    @Test
    void aSourceIsHeldBackAfterFiveFailuresUntilTheOldestAgesOut() {
        for (int i = 0; i < LoginThrottle.MAX_FAILURES_PER_SOURCE; i++) {
            assertThat(throttle.refusal("10.0.0.1")).isNull();
            throttle.failed("10.0.0.1");
            clock.advance(Duration.ofMinutes(1));
        }
        Duration wait = throttle.refusal("10.0.0.1");
        assertThat(wait).isNotNull().isBetween(Duration.ofMinutes(10), Duration.ofMinutes(11));
        assertThat(throttle.refusal("10.0.0.2")).as("another source is not held back").isNull();

        clock.advance(wait);
        assertThat(throttle.refusal("10.0.0.1")).isNull();
    }

    @Test
    void manySourcesTogetherAreHeldBackAtTheGlobalLimit() {
        for (int i = 0; i < LoginThrottle.MAX_FAILURES_TOTAL; i++) {
            throttle.failed("10.1.0." + i);
        }
        assertThat(throttle.refusal("10.9.9.9")).isNotNull();
        clock.advance(LoginThrottle.WINDOW);
        assertThat(throttle.refusal("10.9.9.9")).isNull();
    }

    @Test
    void trackedSourcesAreBounded() {
        for (int i = 0; i < LoginThrottle.MAX_SOURCES + 50; i++) {
            throttle.failed("s" + i);
            if (i % 40 == 0) {
                clock.advance(LoginThrottle.WINDOW);
            }
        }
        assertThat(throttle.trackedSources()).isLessThanOrEqualTo(LoginThrottle.MAX_SOURCES);
    }
}
