package io.pdaltagent.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.KeyStats;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueueFullException;
import io.pdaltagent.queue.QueueStats;
import io.pdaltagent.queue.QueuedItem;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link EventQueue} backend must have. A backend's test extends this class and
 * supplies {@link #newQueue}; nothing else.
 */
@Timeout(60)
public abstract class EventQueueContract {
    protected static final Duration NO_WAIT = Duration.ZERO;
    protected static final Duration SHORT = Duration.ofMillis(50);
    protected static final Duration PATIENT = Duration.ofSeconds(10);

    protected ManualClock clock;
    protected EventQueue queue;

    /** A new, empty queue with the given maximum of open items. */
    protected abstract EventQueue newQueue(ManualClock clock, long maxOpen) throws Exception;

    @BeforeEach
    void createQueue() throws Exception {
        clock = new ManualClock();
        queue = newQueue(clock, 1_000);
    }

    @AfterEach
    void closeQueue() {
        if (queue != null) {
            queue.close();
        }
    }

    protected NewItem item(String key, String body) {
        return new NewItem(key, Destination.events("/v2/enqueue"), "application/json",
                body.getBytes(StandardCharsets.UTF_8), "dk-" + body, clock.instant());
    }

    protected long append(String key, String body) {
        return queue.append(item(key, body)).join();
    }

    protected static String body(QueuedItem i) {
        return new String(i.body(), StandardCharsets.UTF_8);
    }

    /**
     * Claims what is due. claim returns as soon as one item is there, so the wait costs nothing when
     * something is due; it is long because a broker on a busy shared machine can take far more than
     * {@link #SHORT} to hand over an item after the completion of the one before.
     */
    protected List<QueuedItem> claimAll() throws InterruptedException {
        return queue.claim(100, PATIENT);
    }

    @Test
    void appendReturnsIncreasingSequenceNumbers() {
        long a = append("k1", "a");
        long b = append("k2", "b");
        long c = append("k1", "c");
        assertThat(a).isLessThan(b);
        assertThat(b).isLessThan(c);
    }

    @Test
    void claimedItemCarriesWhatWasAppended() throws Exception {
        Instant accepted = clock.instant();
        queue.append(new NewItem("key-1", new Destination("events", "/x-ere/key-1?a=b"), "application/x-test",
                new byte[] {0, 1, 2, (byte) 0xff}, "dedup-1", accepted)).join();
        List<QueuedItem> claimed = claimAll();
        assertThat(claimed).hasSize(1);
        QueuedItem i = claimed.get(0);
        assertThat(i.orderingKey()).isEqualTo("key-1");
        assertThat(i.destination()).isEqualTo(new Destination("events", "/x-ere/key-1?a=b"));
        assertThat(i.contentType()).isEqualTo("application/x-test");
        assertThat(i.body()).containsExactly(0, 1, 2, 0xff);
        assertThat(i.dedupKey()).isEqualTo("dedup-1");
        assertThat(i.acceptedAt()).isEqualTo(accepted);
        assertThat(i.state()).isEqualTo(DeliveryState.IN_FLIGHT);
        assertThat(i.attempts()).isEqualTo(1);
    }

    @Test
    void claimReturnsOnlyTheHeadOfEachKey() throws Exception {
        append("k1", "k1-first");
        append("k1", "k1-second");
        append("k2", "k2-first");
        List<QueuedItem> claimed = claimAll();
        assertThat(claimed).extracting(EventQueueContract::body).containsExactlyInAnyOrder("k1-first", "k2-first");
    }

    @Test
    void aKeyWithAnItemInFlightIsNotClaimedAgain() throws Exception {
        append("k1", "one");
        append("k1", "two");
        assertThat(claimAll()).hasSize(1);
        assertThat(queue.claim(100, NO_WAIT)).isEmpty();
    }

    @Test
    void itemsOfOneKeyAreClaimedInAppendOrder() throws Exception {
        for (int i = 0; i < 20; i++) {
            append("k1", "e" + i);
        }
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            List<QueuedItem> claimed = claimAll();
            assertThat(claimed).hasSize(1);
            seen.add(body(claimed.get(0)));
            queue.complete(claimed.get(0), new Completion.Delivered(202)).join();
        }
        assertThat(seen).containsExactly("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9",
                "e10", "e11", "e12", "e13", "e14", "e15", "e16", "e17", "e18", "e19");
        assertThat(queue.claim(100, NO_WAIT)).isEmpty();
        assertThat(queue.openCount()).isZero();
    }

    @Test
    void claimRespectsItsMaximum() throws Exception {
        for (int k = 0; k < 10; k++) {
            append("k" + k, "b" + k);
        }
        assertThat(queue.claim(3, SHORT)).hasSize(3);
        assertThat(queue.claim(100, SHORT)).hasSize(7);
    }

    @Test
    void aRetryHoldsItsKeyUntilDueWhileOtherKeysGoOn() throws Exception {
        append("slow", "s1");
        append("slow", "s2");
        append("fast", "f1");
        append("fast", "f2");
        List<QueuedItem> first = claimAll();
        QueuedItem s1 = first.stream().filter(i -> body(i).equals("s1")).findFirst().orElseThrow();
        QueuedItem f1 = first.stream().filter(i -> body(i).equals("f1")).findFirst().orElseThrow();
        queue.complete(s1, new Completion.Retry(clock.instant().plusSeconds(30), 503, "HTTP 503")).join();
        queue.complete(f1, new Completion.Delivered(202)).join();

        List<QueuedItem> second = claimAll();
        assertThat(second).extracting(EventQueueContract::body).containsExactly("f2");
        queue.complete(second.get(0), new Completion.Delivered(202)).join();
        assertThat(queue.claim(100, NO_WAIT)).isEmpty();

        clock.advance(Duration.ofSeconds(31));
        List<QueuedItem> third = claimAll();
        assertThat(third).extracting(EventQueueContract::body).containsExactly("s1");
        assertThat(third.get(0).attempts()).isEqualTo(2);
        assertThat(third.get(0).lastStatus()).isEqualTo(503);
        assertThat(third.get(0).lastError()).isEqualTo("HTTP 503");
    }

    @Test
    void keyStatsMarkAKeyWaitingForARetryAsThrottled() throws Exception {
        Instant accepted = clock.instant();
        append("slow", "s1");
        queue.complete(claimAll().get(0), new Completion.Retry(clock.instant().plusSeconds(30), 429, "throttled")).join();
        assertThat(queue.keyStats("slow")).containsExactly(new KeyStats("slow", 1, 0, 0, 0, true, accepted));
    }

    @Test
    void aDeadHeadReleasesItsKeyToTheNextItemAndKeepsTheAnswer() throws Exception {
        append("k1", "bad");
        append("k1", "good");
        QueuedItem bad = claimAll().get(0);
        queue.complete(bad, new Completion.Dead(400, "{\"status\":\"invalid event\"}")).join();
        List<QueuedItem> next = claimAll();
        assertThat(next).extracting(EventQueueContract::body).containsExactly("good");
        List<QueuedItem> dead = queue.listDead(null, 10);
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).lastStatus()).isEqualTo(400);
        assertThat(dead.get(0).lastError()).isEqualTo("{\"status\":\"invalid event\"}");
        assertThat(body(dead.get(0))).isEqualTo("bad");
        assertThat(queue.get(bad.seq()).state()).isEqualTo(DeliveryState.DEAD);
    }

    @Test
    void aReleasedItemIsClaimedAgainWithoutCountingTheAttempt() throws Exception {
        append("k1", "a");
        QueuedItem first = claimAll().get(0);
        queue.complete(first, new Completion.Released()).join();
        QueuedItem again = claimAll().get(0);
        assertThat(again.seq()).isEqualTo(first.seq());
        assertThat(again.attempts()).isEqualTo(1);
    }

    @Test
    void completingAnItemThatIsNotInFlightFails() throws Exception {
        append("k1", "a");
        QueuedItem claimed = claimAll().get(0);
        queue.complete(claimed, new Completion.Delivered(202)).join();
        CompletableFuture<Void> again = queue.complete(claimed, new Completion.Delivered(202));
        assertThatThrownBy(again::get).isInstanceOf(ExecutionException.class);
    }

    @Test
    void appendFailsWithQueueFullAtTheMaximumAndWorksAgainAfterDelivery() throws Exception {
        queue.close();
        queue = newQueue(clock, 3);
        append("k1", "a");
        append("k2", "b");
        append("k3", "c");
        CompletableFuture<Long> fourth = queue.append(item("k4", "d"));
        assertThatThrownBy(fourth::join).hasCauseInstanceOf(QueueFullException.class);
        QueuedItem one = claimAll().get(0);
        queue.complete(one, new Completion.Delivered(202)).join();
        assertThat(queue.append(item("k4", "d")).join()).isPositive();
    }

    @Test
    void deadItemsDoNotCountAgainstTheMaximum() throws Exception {
        queue.close();
        queue = newQueue(clock, 1);
        append("k1", "a");
        queue.complete(claimAll().get(0), new Completion.Dead(400, "no")).join();
        assertThat(queue.append(item("k1", "b")).join()).isPositive();
    }

    @Test
    void retryDeadMovesDeadItemsBackToPendingForOneKeyOrAll() throws Exception {
        append("k1", "a");
        append("k2", "b");
        append("k2", "c");
        for (QueuedItem i : claimAll()) {
            queue.complete(i, new Completion.Dead(400, "bad")).join();
        }
        queue.complete(claimAll().get(0), new Completion.Dead(400, "bad")).join();
        assertThat(queue.listDead(null, 10)).hasSize(3);

        assertThat(queue.retryDead("k1")).isEqualTo(1);
        assertThat(queue.listDead(null, 10)).hasSize(2);
        assertThat(claimAll()).extracting(EventQueueContract::body).containsExactly("a");

        assertThat(queue.retryDead(null)).isEqualTo(2);
        assertThat(queue.listDead(null, 10)).isEmpty();
        assertThat(claimAll()).extracting(EventQueueContract::body).containsExactly("b");
        assertThat(queue.retryDead(null)).isZero();
    }

    @Test
    void aRetriedDeadItemGoesOutAtOnceEvenWhileItsKeyWaitsForARetry() throws Exception {
        append("k1", "bad");
        append("k1", "slow");
        queue.complete(claimAll().get(0), new Completion.Dead(400, "bad")).join();
        queue.complete(claimAll().get(0), new Completion.Retry(clock.instant().plusSeconds(3600), 429, "throttled")).join();
        assertThat(queue.claim(10, NO_WAIT)).isEmpty();
        assertThat(queue.retryDead("k1")).isEqualTo(1);
        assertThat(claimAll()).extracting(EventQueueContract::body).containsExactly("bad");
    }

    @Test
    void retryDeadItemsMovesOnlyTheNamedDeadItems() throws Exception {
        long a = append("k1", "a");
        long b = append("k1", "b");
        long c = append("k2", "c");
        for (int round = 0; round < 2; round++) {
            for (QueuedItem i : claimAll()) {
                queue.complete(i, new Completion.Dead(400, "bad")).join();
            }
        }
        assertThat(queue.listDead(null, 10)).extracting(QueuedItem::seq).containsExactlyInAnyOrder(a, b, c);
        long open = append("k3", "d");

        assertThat(queue.retryDeadItems(List.of(b, open, 999_999_999L))).as("only b is dead among these").isEqualTo(1);
        assertThat(queue.listDead(null, 10)).extracting(QueuedItem::seq).containsExactlyInAnyOrder(a, c);
        List<QueuedItem> claimed = new ArrayList<>(claimAll());
        if (claimed.size() < 2) {
            claimed.addAll(claimAll()); // a broker hands the retried item over a moment after the other
        }
        assertThat(claimed).extracting(EventQueueContract::body).containsExactlyInAnyOrder("b", "d");
        assertThat(claimed).allSatisfy(i -> assertThat(i.attempts()).as("attempts start again").isEqualTo(1));
        assertThat(queue.retryDeadItems(List.of())).isZero();
    }

    @Test
    void purgeDeadItemsDeletesOnlyTheNamedDeadItems() throws Exception {
        long a = append("k1", "a");
        long b = append("k2", "b");
        for (QueuedItem i : claimAll()) {
            queue.complete(i, new Completion.Dead(400, "bad")).join();
        }
        long open = append("k3", "c");
        assertThat(queue.purgeDeadItems(List.of(a, open))).isEqualTo(1);
        assertThat(queue.listDead(null, 10)).extracting(QueuedItem::seq).containsExactly(b);
        assertThat(claimAll()).extracting(QueuedItem::seq).as("an open item is never purged").containsExactly(open);
        assertThat(queue.purgeDeadItems(List.of(a))).as("already gone").isZero();
    }

    @Test
    void anItemAppendedDeadIsKeptAsDeadWithItsReasonAndCanBeRetried() throws Exception {
        long d = queue.append(item("k1", "old").dead("dead in PagerDuty Agent")).get(5, TimeUnit.SECONDS);
        long live = append("k1", "new");
        assertThat(queue.openCount()).as("a dead arrival takes no open slot").isEqualTo(1);
        assertThat(queue.listDead(null, 10)).extracting(QueuedItem::seq, QueuedItem::lastError, QueuedItem::attempts)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(d, "dead in PagerDuty Agent", 0));
        assertThat(queue.get(d).state()).isEqualTo(DeliveryState.DEAD);
        List<QueuedItem> claimed = claimAll();
        assertThat(claimed).extracting(QueuedItem::seq).as("it holds no place in k1's order").containsExactly(live);
        queue.complete(claimed.get(0), new Completion.Delivered(202)).join();
        assertThat(queue.keyStats("k1")).extracting(KeyStats::dead).containsExactly(1L);
        assertThat(queue.retryDeadItems(List.of(d))).isEqualTo(1);
        assertThat(claimAll()).extracting(EventQueueContract::body).containsExactly("old");
    }

    @Test
    void purgeDeletesDeadItemsAndRefusesOpenStates() throws Exception {
        append("k1", "a");
        append("k2", "b");
        for (QueuedItem i : claimAll()) {
            queue.complete(i, new Completion.Dead(400, "bad")).join();
        }
        assertThat(queue.purge(DeliveryState.DEAD, "k1")).isEqualTo(1);
        assertThat(queue.purge(DeliveryState.DEAD, null)).isEqualTo(1);
        assertThat(queue.listDead(null, 10)).isEmpty();
        assertThatThrownBy(() -> queue.purge(DeliveryState.PENDING, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keyStatsCountPendingSucceededAndDeadPerKey() throws Exception {
        Instant accepted = clock.instant();
        append("k1", "a");
        append("k1", "b");
        append("k1", "c");
        append("k2", "d");
        for (QueuedItem i : claimAll()) {
            queue.complete(i, body(i).equals("a") ? new Completion.Delivered(202) : new Completion.Dead(400, "x")).join();
        }
        queue.complete(claimAll().get(0), new Completion.Dead(400, "x")).join();
        assertThat(queue.keyStats(null)).containsExactly(
                new KeyStats("k1", 1, 0, 1, 1, false, accepted),
                new KeyStats("k2", 0, 0, 0, 1, false, null));
        assertThat(queue.keyStats("k2")).containsExactly(new KeyStats("k2", 0, 0, 0, 1, false, null));
        assertThat(queue.keyStats("nope")).isEmpty();
    }

    @Test
    void keyStatsCountItemsInFlightAndTheOldestOpenItemPerKey() throws Exception {
        Instant first = clock.instant();
        append("k1", "a");
        clock.advance(Duration.ofSeconds(5));
        Instant second = clock.instant();
        append("k1", "b");
        append("k2", "c");
        List<QueuedItem> claimed = claimAll();
        assertThat(claimed).extracting(EventQueueContract::body).containsExactlyInAnyOrder("a", "c");
        assertThat(queue.keyStats(null)).containsExactly(
                new KeyStats("k1", 2, 1, 0, 0, false, first),
                new KeyStats("k2", 1, 1, 0, 0, false, second));
        for (QueuedItem i : claimed) {
            queue.complete(i, body(i).equals("a") ? new Completion.Delivered(202) : new Completion.Dead(400, "x")).join();
        }
        assertThat(queue.keyStats(null)).containsExactly(
                new KeyStats("k1", 1, 0, 1, 0, false, second),
                new KeyStats("k2", 0, 0, 0, 1, false, null));
    }

    @Test
    void statsCountStatesAndTheOldestOpenItem() throws Exception {
        Instant first = clock.instant();
        append("k1", "a");
        clock.advance(Duration.ofSeconds(5));
        append("k2", "b");
        append("k3", "c");
        List<QueuedItem> claimed = claimAll();
        QueuedItem a = claimed.stream().filter(i -> body(i).equals("a")).findFirst().orElseThrow();
        QueuedItem b = claimed.stream().filter(i -> body(i).equals("b")).findFirst().orElseThrow();
        queue.complete(a, new Completion.Delivered(202)).join();
        queue.complete(b, new Completion.Retry(clock.instant().plusSeconds(60), 500, "x")).join();
        QueueStats s = queue.stats();
        assertThat(s.open()).isEqualTo(2);
        assertThat(s.retryScheduled()).isEqualTo(1);
        assertThat(s.inFlight()).isEqualTo(1);
        assertThat(s.delivered()).isEqualTo(1);
        assertThat(s.dead()).isZero();
        assertThat(s.oldestOpenAcceptedAt()).isEqualTo(first.plusSeconds(5));
        assertThat(queue.openCount()).isEqualTo(2);
    }

    @Test
    void pruneDeliveredRemovesOnlyDeliveredRecordsOlderThanTheCutoff() throws Exception {
        append("k1", "a");
        queue.complete(claimAll().get(0), new Completion.Delivered(202)).join();
        clock.advance(Duration.ofHours(2));
        append("k1", "b");
        queue.complete(claimAll().get(0), new Completion.Delivered(202)).join();
        append("k1", "c");
        assertThat(queue.pruneDelivered(clock.instant().minus(Duration.ofHours(1)))).isEqualTo(1);
        assertThat(queue.keyStats("k1")).containsExactly(new KeyStats("k1", 1, 0, 1, 0, false, clock.instant()));
    }

    @Test
    void claimWaitsForAnAppend() throws Exception {
        CompletableFuture<List<QueuedItem>> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return queue.claim(10, Duration.ofSeconds(20));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        append("k1", "late");
        assertThat(waiting.get(10, TimeUnit.SECONDS)).extracting(EventQueueContract::body).containsExactly("late");
    }

    @Test
    void concurrentProducersAndConsumersKeepPerKeyOrderAndClaimNothingTwice() throws Exception {
        queue.close();
        queue = newQueue(clock, 100_000);
        int producers = 8;
        int perProducer = 250;
        int keys = 16;
        Map<String, List<Long>> deliveredSeqs = new ConcurrentHashMap<>();
        Set<Long> inFlight = ConcurrentHashMap.newKeySet();
        List<String> violations = new CopyOnWriteArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<Void>> appends = new CopyOnWriteArrayList<>();
            for (int p = 0; p < producers; p++) {
                int pid = p;
                pool.submit(() -> {
                    for (int i = 0; i < perProducer; i++) {
                        appends.add(queue.append(item("key-" + ((pid * 7 + i) % keys), pid + ":" + i))
                                .thenAccept(seq -> { }));
                    }
                });
            }
            CompletableFuture<Void> consumer = CompletableFuture.runAsync(() -> {
                try {
                    int done = 0;
                    while (done < producers * perProducer) {
                        List<QueuedItem> batch = queue.claim(8, SHORT);
                        List<CompletableFuture<Void>> completions = new ArrayList<>();
                        for (QueuedItem i : batch) {
                            if (!inFlight.add(i.seq())) {
                                violations.add("claimed twice: " + i.seq());
                            }
                            completions.add(CompletableFuture.runAsync(() -> {
                                deliveredSeqs.computeIfAbsent(i.orderingKey(), k -> new CopyOnWriteArrayList<>()).add(i.seq());
                                inFlight.remove(i.seq());
                                queue.complete(i, new Completion.Delivered(202)).join();
                            }, pool));
                        }
                        completions.forEach(CompletableFuture::join);
                        done += batch.size();
                    }
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            consumer.get(45, TimeUnit.SECONDS);
            appends.forEach(CompletableFuture::join);
        }
        assertThat(violations).isEmpty();
        assertThat(deliveredSeqs.values().stream().mapToInt(List::size).sum()).isEqualTo(producers * perProducer);
        deliveredSeqs.forEach((k, seqs) -> assertThat(seqs).as("order of %s", k).isSorted());
        assertThat(queue.openCount()).isZero();
    }

    @Test
    void keepsASuppressedItemWithoutDeliveringItOrCountingItAsOpen() throws Exception {
        if (!queue.keepsSuppressed()) {
            // such a backend is never given a suppressed item (the intake counts and drops it); it says so
            assertThatThrownBy(() -> queue.listSuppressed(null, 10)).isInstanceOf(UnsupportedOperationException.class);
            return;
        }
        long first = append("k1", "one");
        long kept = queue.append(item("k1", "quiet").suppressed("drop-tests")).get(5, TimeUnit.SECONDS);
        long kept2 = queue.append(item("k2", "quiet2").suppressed("night-window")).get(5, TimeUnit.SECONDS);
        long second = append("k1", "two");
        assertThat(queue.openCount()).isEqualTo(2);
        assertThat(queue.get(kept).state()).isEqualTo(DeliveryState.SUPPRESSED);
        List<QueuedItem> claimed = claimAll();
        assertThat(claimed).extracting(QueuedItem::seq).containsExactly(first);
        queue.complete(claimed.get(0), new Completion.Delivered(202)).get(5, TimeUnit.SECONDS);
        assertThat(claimAll()).extracting(QueuedItem::seq).as("the suppressed item holds no place in k1's order")
                .containsExactly(second);
        assertThat(queue.listSuppressed(null, 10)).extracting(QueuedItem::seq, QueuedItem::lastError)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(kept, "suppressed by drop-tests"),
                        org.assertj.core.groups.Tuple.tuple(kept2, "suppressed by night-window"));
        assertThat(queue.listSuppressed("k2", 10)).hasSize(1);
        assertThat(queue.suppressedCounts(null)).containsExactly(new io.pdaltagent.queue.SuppressedCount("k1", "drop-tests", 1),
                new io.pdaltagent.queue.SuppressedCount("k2", "night-window", 1));
        assertThat(queue.keyStats(null)).extracting(KeyStats::key).doesNotContain("k2");
    }

    // ------------------------------------------------------------ pacing and clock steps

    @Test
    void aPacedKeysNextItemWaitsUntilItsSendIsAllowedWhileOtherKeysGoOn() throws Exception {
        append("paced", "p1");
        append("paced", "p2");
        append("free", "f1");
        append("free", "f2");
        for (QueuedItem i : claimAll()) {
            Instant due = body(i).equals("p1") ? clock.instant().plusSeconds(10) : null;
            queue.complete(i, new Completion.Delivered(202, due)).join();
        }
        assertThat(claimAll()).as("the paced key waits; the other does not").extracting(EventQueueContract::body)
                .containsExactly("f2");
        assertThat(queue.keyStats("paced")).extracting(KeyStats::throttled).containsExactly(true);

        clock.advance(Duration.ofSeconds(10));
        assertThat(claimAll()).extracting(EventQueueContract::body).containsExactly("p2");
    }

    @Test
    void anItemGivenBackUnsentForItsPaceWaitsWithoutCountingAnAttempt() throws Exception {
        append("paced", "p1");
        QueuedItem first = claimAll().get(0);
        queue.complete(first, new Completion.Released(clock.instant().plusSeconds(5))).join();
        assertThat(queue.claim(100, NO_WAIT)).isEmpty();

        clock.advance(Duration.ofSeconds(5));
        List<QueuedItem> again = claimAll();
        assertThat(again).extracting(EventQueueContract::body).containsExactly("p1");
        assertThat(again.get(0).attempts()).isEqualTo(first.attempts());
    }

    @Test
    void aRetryIsDueAfterItsWaitEvenWhenTheWallClockStepsBack() throws Exception {
        append("k1", "a");
        queue.complete(claimAll().get(0), new Completion.Retry(clock.instant().plusSeconds(30), 503, "HTTP 503")).join();
        clock.step(Duration.ofHours(-1));
        assertThat(queue.claim(100, NO_WAIT)).isEmpty();

        clock.advance(Duration.ofSeconds(30));
        assertThat(claimAll()).as("not frozen for the hour the clock went back").extracting(EventQueueContract::body)
                .containsExactly("a");
    }

    @Test
    void aRetryIsNotDueEarlyWhenTheWallClockStepsForward() throws Exception {
        append("k1", "a");
        append("k2", "b");
        for (QueuedItem i : claimAll()) {
            queue.complete(i, new Completion.Retry(clock.instant().plusSeconds(30 + (body(i).equals("a") ? 0 : 60)), 503,
                    "HTTP 503")).join();
        }
        clock.step(Duration.ofHours(1));
        assertThat(queue.claim(100, NO_WAIT)).as("a step ahead does not fire every retry at once").isEmpty();

        clock.advance(Duration.ofSeconds(30));
        assertThat(claimAll()).extracting(EventQueueContract::body).containsExactly("a");
        clock.advance(Duration.ofSeconds(60));
        assertThat(claimAll()).extracting(EventQueueContract::body).containsExactly("b");
    }
}
