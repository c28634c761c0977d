package io.pdaltagent.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class KeyPacerTest {
    private final ManualClock clock = new ManualClock();
    /** PagerDuty's documented rate, a burst of 10: one send per 500 ms at full pace. */
    private final KeyPacer pacer = new KeyPacer(new AgentConfig.PacingConfig(120, 10), clock::nanoTime);

    private int sendsNow(String key) {
        int n = 0;
        while (pacer.acquire(key) instanceof KeyPacer.Decision.Go) {
            n++;
        }
        return n;
    }

    private Duration waitOf(String key) {
        return ((KeyPacer.Decision.Wait) pacer.acquire(key)).delay();
    }

    @Test
    void aQuietKeySendsItsBurstThenOneTokenPerIntervalOfTheRate() {
        assertThat(sendsNow("a")).isEqualTo(10);
        assertThat(waitOf("a")).isEqualTo(Duration.ofMillis(500));
        assertThat(pacer.untilNext("a")).isEqualTo(Duration.ofMillis(500));

        clock.advance(Duration.ofMillis(499));
        assertThat(pacer.acquire("a")).isInstanceOf(KeyPacer.Decision.Wait.class);
        clock.advance(Duration.ofMillis(1));
        assertThat(sendsNow("a")).isEqualTo(1);

        clock.advance(Duration.ofMinutes(1));
        assertThat(sendsNow("a")).as("an idle key earns no more than its burst").isEqualTo(10);
    }

    @Test
    void aBacklogGoesOutAtTheRate() {
        int sent = sendsNow("a");
        for (int step = 0; step < 600; step++) {
            clock.advance(Duration.ofMillis(100));
            sent += sendsNow("a");
        }
        assertThat(sent).as("burst + one minute at 120/min").isEqualTo(10 + 120);
    }

    @Test
    void otherKeysAreNotSlowedByABusyOne() {
        sendsNow("busy");
        pacer.throttled("busy", Duration.ofSeconds(30));
        assertThat(sendsNow("other")).isEqualTo(10);
        assertThat(pacer.isThrottled("other")).isFalse();
        assertThat(pacer.isThrottled("busy")).isTrue();
        assertThat(pacer.throttledKeys()).isEqualTo(1);
    }

    @Test
    void a429WithRetryAfterHoldsTheKeyThatLongEarningNothingMeanwhile() {
        sendsNow("a");
        pacer.throttled("a", Duration.ofSeconds(20));
        assertThat(pacer.untilNext("a")).isEqualTo(Duration.ofSeconds(20));
        assertThat(pacer.throttles()).isEqualTo(1);
        assertThat(pacer.isThrottled("a")).isTrue();

        clock.advance(Duration.ofSeconds(20));
        assertThat(sendsNow("a")).as("the retry, not a burst into the window just freed").isEqualTo(1);
        assertThat(waitOf("a")).as("PagerDuty said when: a lone 429 does not slow the key").isEqualTo(Duration.ofMillis(500));
        assertThat(pacer.isThrottled("a")).isFalse();
    }

    @Test
    void aSecond429WithinAMinuteHalvesTheRateEvenWithRetryAfter() {
        sendsNow("a");
        pacer.throttled("a", Duration.ofSeconds(5));
        clock.advance(Duration.ofSeconds(30));
        sendsNow("a");
        pacer.throttled("a", Duration.ofSeconds(5));
        clock.advance(Duration.ofSeconds(5));
        assertThat(sendsNow("a")).isEqualTo(1);
        assertThat(waitOf("a")).as("halved: about one send per second").isBetween(Duration.ofMillis(950), Duration.ofMillis(1000));

        clock.advance(Duration.ofMinutes(10));
        sendsNow("a");
        pacer.throttled("a", Duration.ofSeconds(5));
        clock.advance(Duration.ofSeconds(5));
        sendsNow("a");
        assertThat(waitOf("a")).as("a 429 long after the last is a lone one again").isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void a429WithoutRetryAfterHalvesTheRateEachTimeDownToAFloor() {
        sendsNow("a");
        pacer.throttled("a", null);
        assertThat(pacer.untilNext("a")).isEqualTo(Duration.ofSeconds(1));
        pacer.throttled("a", null);
        assertThat(pacer.untilNext("a")).isEqualTo(Duration.ofSeconds(2));
        for (int i = 0; i < 20; i++) {
            pacer.throttled("a", null);
        }
        assertThat(pacer.untilNext("a")).as("floor: 120/64 per minute").isEqualTo(Duration.ofMillis(32_000));
    }

    @Test
    void theRateRecoversLinearlyToFullPaceFiveMinutesAfterAHalving() {
        sendsNow("a");
        pacer.throttled("a", null);
        clock.advance(Duration.ofSeconds(150));
        sendsNow("a");
        assertThat(waitOf("a").toMillis()).as("75%% of full pace: 90/min").isBetween(660L, 670L);
        clock.advance(Duration.ofSeconds(150));
        sendsNow("a");
        assertThat(waitOf("a")).isEqualTo(Duration.ofMillis(500));
        assertThat(pacer.isThrottled("a")).isFalse();
    }

    @Test
    void keysFullAgainAtFullPaceAreForgotten() {
        for (int i = 0; i < 1000; i++) {
            pacer.acquire("k" + i);
        }
        pacer.throttled("k0", Duration.ofMinutes(10));
        assertThat(pacer.trackedKeys()).isEqualTo(1000);

        clock.advance(Duration.ofMinutes(1));
        pacer.acquire("new");
        assertThat(pacer.trackedKeys()).as("the throttled key and the one just used stay").isEqualTo(2);
        assertThat(pacer.isThrottled("k0")).isTrue();
    }

    @Test
    void aStepOfTheWallClockChangesNothing() {
        sendsNow("a");
        clock.step(Duration.ofHours(-2));
        assertThat(pacer.untilNext("a")).isEqualTo(Duration.ofMillis(500));
        clock.step(Duration.ofHours(5));
        assertThat(pacer.acquire("a")).as("no tokens from a jump ahead").isInstanceOf(KeyPacer.Decision.Wait.class);
    }

    @Test
    void isNotMadeWhenPacingIsOff() {
        assertThatThrownBy(() -> new KeyPacer(AgentConfig.PacingConfig.OFF, clock::nanoTime))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void repeatDetectionAndRecoveryFollowTheConfiguredWindow() {
        KeyPacer fast = new KeyPacer(new AgentConfig.PacingConfig(1200, 10, Duration.ofSeconds(6)), clock::nanoTime);
        fast.throttled("a", null);
        assertThat(fast.isThrottled("a")).isTrue();
        clock.advance(Duration.ofSeconds(30));
        assertThat(fast.isThrottled("a")).as("five windows of 6 s after a halving: full pace").isFalse();
    }
}
