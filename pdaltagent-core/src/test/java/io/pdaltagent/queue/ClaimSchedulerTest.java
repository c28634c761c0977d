package io.pdaltagent.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClaimSchedulerTest {
    private final ManualClock clock = new ManualClock();
    private final ClaimScheduler schedule = new ClaimScheduler(clock);

    private List<String> ready() throws InterruptedException {
        return schedule.takeReady(100, Duration.ZERO);
    }

    @Test
    void aPacedKeyWithNothingOpenStillHoldsAnItemAppendedBeforeItsTime() throws Exception {
        schedule.opened("k", 1);
        assertThat(ready()).containsExactly("k");
        schedule.released("k", 1, clock.instant().plusSeconds(2));

        schedule.opened("k", 1);
        assertThat(ready()).as("the new item waits for the key's pace").isEmpty();
        assertThat(schedule.isWaiting("k")).isTrue();

        clock.advance(Duration.ofSeconds(2));
        assertThat(ready()).containsExactly("k");
    }

    @Test
    void aPacedKeyThatGotNothingNewIsForgottenWhenItsTimeComes() throws Exception {
        schedule.opened("k", 1);
        ready();
        schedule.released("k", 1, clock.instant().plusSeconds(2));
        clock.advance(Duration.ofSeconds(2));

        assertThat(ready()).isEmpty();
        assertThat(schedule.isWaiting("k")).isFalse();
        schedule.opened("k", 1);
        assertThat(ready()).as("known again as a new key").containsExactly("k");
    }

    @Test
    void aDueTimeIsKnownOnlyWhenThisProcessSetIt() throws Exception {
        schedule.opened("k", 1);
        assertThat(schedule.dueTimeKnown("k")).as("learned from the store").isFalse();
        ready();
        schedule.released("k", 0, clock.instant().plusSeconds(30));
        assertThat(schedule.dueTimeKnown("k")).isTrue();

        schedule.opened("k", 1, true);
        assertThat(schedule.dueTimeKnown("k")).as("woken by a person's retry: the store decides").isFalse();
    }

    @Test
    void aNewHeadsDueTimeIsTheStoresNotTheSchedules() throws Exception {
        schedule.opened("k", 2);
        ready();
        schedule.released("k", 1, null);
        assertThat(schedule.dueTimeKnown("k")).as("the next item may wait for a retry stored earlier").isFalse();
    }
}
