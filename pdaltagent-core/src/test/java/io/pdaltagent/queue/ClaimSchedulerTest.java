package io.pdaltagent.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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

    /** A backend of fixed answers per key, recording what it was asked to claim. */
    private static final class FixedHeads implements ClaimScheduler.Heads {
        final java.util.Map<String, ClaimScheduler.Head> answers = new java.util.HashMap<>();
        final List<QueuedItem> taken = new ArrayList<>();
        RuntimeException failure;

        @Override
        public List<ClaimScheduler.Head> read(List<String> keys) {
            if (failure != null) {
                throw failure;
            }
            return keys.stream().map(answers::get).toList();
        }

        @Override
        public List<QueuedItem> take(List<QueuedItem> due) {
            taken.addAll(due);
            return due;
        }
    }

    private QueuedItem head(String key, DeliveryState state, Instant next) {
        return new QueuedItem(1, key, Destination.events("/v2/enqueue"), "application/json", new byte[0], null,
                clock.instant(), state, 0, next, 0, null);
    }

    @Test
    void aReadyKeyForgottenIsNotServedAndTheOtherKeysAre() throws Exception {
        // a broker channel lost: the backend forgets the partition's keys, some of them ready
        for (String k : List.of("a", "b", "c")) {
            schedule.opened(k, 1);
        }
        schedule.forget("b");
        assertThat(ready()).containsExactly("a", "c");
        schedule.released("a", 1, null);
        schedule.released("c", 1, null);

        // its items come back (redelivered): the key is served once, not once per time it was opened
        schedule.forget("a");
        schedule.opened("b", 1);
        schedule.forget("b");
        schedule.opened("b", 2);
        assertThat(ready()).containsExactly("b");
        assertThat(ready()).isEmpty();
    }

    @Test
    void claimTakesDueHeadsForgetsEmptyKeysAndLeavesHeldOnesToTheBackend() throws Exception {
        FixedHeads heads = new FixedHeads();
        heads.answers.put("due", ClaimScheduler.Head.open(head("due", DeliveryState.PENDING, clock.instant())));
        heads.answers.put("gone", ClaimScheduler.Skip.NONE);
        heads.answers.put("held", ClaimScheduler.Skip.HELD);
        for (String k : List.of("due", "gone", "held")) {
            schedule.opened(k, 1);
        }

        assertThat(schedule.claim(10, Duration.ZERO, heads)).extracting(QueuedItem::orderingKey).containsExactly("due");
        schedule.opened("gone", 1);
        assertThat(ready()).as("a forgotten key is new again; a held one stays claimed").containsExactly("gone");
        schedule.released("held", 0, null);
        assertThat(ready()).containsExactly("held");
    }

    @Test
    void aRetryLearnedFromTheStoreIsWaitedForButOneSetHereIsNot() throws Exception {
        FixedHeads heads = new FixedHeads();
        Instant later = clock.instant().plusSeconds(30);
        heads.answers.put("k", ClaimScheduler.Head.open(head("k", DeliveryState.RETRY_SCHEDULED, later)));
        schedule.opened("k", 1);

        assertThat(schedule.claim(10, Duration.ZERO, heads)).as("due in 30 s, as the store says").isEmpty();
        assertThat(schedule.isWaiting("k")).isTrue();
        clock.advance(Duration.ofSeconds(30));
        assertThat(schedule.claim(10, Duration.ZERO, heads)).hasSize(1);

        // the wait set in this process is measured on the ticker: a wall clock stepped back does not extend it
        schedule.released("k", 0, clock.instant().plusSeconds(10));
        clock.advance(Duration.ofSeconds(10));
        clock.step(Duration.ofHours(-1));
        heads.answers.put("k", ClaimScheduler.Head.open(head("k", DeliveryState.RETRY_SCHEDULED, later)));
        assertThat(schedule.claim(10, Duration.ZERO, heads)).hasSize(1);
    }

    @Test
    void aHeadThatCannotBeReadHoldsItsKeyASecondAndTheClaimerIsTold() throws Exception {
        FixedHeads heads = new FixedHeads();
        heads.failure = new StoreUnavailableException("disk gone");
        schedule.opened("k", 1);

        assertThatThrownBy(() -> schedule.claim(10, Duration.ZERO, heads)).isInstanceOf(StoreUnavailableException.class);
        assertThat(schedule.isWaiting("k")).isTrue();
        heads.failure = null;
        heads.answers.put("k", ClaimScheduler.Head.open(head("k", DeliveryState.PENDING, clock.instant())));
        clock.advance(ClaimScheduler.READ_FAILURE_HOLD);
        assertThat(schedule.claim(10, Duration.ZERO, heads)).hasSize(1);
    }

    @Test
    void aHeadInAStateThatCannotBeClaimedHoldsTheKeysOfTheClaimASecondInsteadOfForEver() throws Exception {
        FixedHeads heads = new FixedHeads();
        heads.answers.put("a", ClaimScheduler.Head.open(head("a", DeliveryState.PENDING, clock.instant())));
        heads.answers.put("bad", ClaimScheduler.Head.open(head("bad", DeliveryState.DELIVERED, clock.instant())));
        heads.answers.put("c", ClaimScheduler.Head.open(head("c", DeliveryState.PENDING, clock.instant())));
        for (String k : List.of("a", "bad", "c")) {
            schedule.opened(k, 1);
        }

        assertThatThrownBy(() -> schedule.claim(10, Duration.ZERO, heads)).isInstanceOf(IllegalStateException.class);
        assertThat(List.of("a", "bad", "c")).allMatch(schedule::isWaiting);
        heads.answers.put("bad", ClaimScheduler.Skip.NONE);
        clock.advance(ClaimScheduler.READ_FAILURE_HOLD);
        assertThat(schedule.claim(10, Duration.ZERO, heads)).extracting(QueuedItem::orderingKey).containsExactly("a", "c");
    }
}
