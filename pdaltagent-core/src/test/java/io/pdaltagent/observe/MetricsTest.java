package io.pdaltagent.observe;

import io.pdaltagent.testing.ManualClock;
import io.pdaltagent.testing.BrokenStatsQueue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.InMemoryEventQueue;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueuedItem;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MetricsTest {
    private static final Instant T0 = Instant.parse("2025-03-01T12:00:00Z");
    private static final String P = "pdaltagent_";

    private final ManualClock clock = new ManualClock(T0);
    private final InMemoryEventQueue queue = new InMemoryEventQueue(clock, 1000);
    private final Metrics metrics = new Metrics("1.2.3", clock);

    @AfterEach
    void close() {
        queue.close();
    }

    @Test
    void emptyExpositionParsesAndHasEveryFamilyInTheDocumentedOrder() {
        String text = metrics.scrape(queue, clock);
        Map<String, PromText.Family> f = PromText.parse(text);

        List<String> expected = new ArrayList<>(List.of(
                P + "build_info", P + "ingest_accepted_total", P + "ingest_rejected_total",
                P + "delivery_attempts_total", P + "delivered_total", P + "delivery_retries_total", P + "dead_total",
                P + "delivery_latency_seconds", P + "queue_healthy", P + "queue_depth", P + "queue_in_flight",
                P + "queue_retry_scheduled", P + "queue_dead", P + "queue_delivered_retained",
                P + "queue_oldest_pending_age_seconds"));
        if (f.containsKey("process_resident_memory_bytes")) {
            expected.add("process_resident_memory_bytes");
        }
        expected.addAll(List.of("jvm_memory_used_bytes", "jvm_threads_live"));
        assertThat(f.keySet()).containsExactlyElementsOf(expected);

        assertThat(f.get(P + "build_info").value(P + "build_info", "version", "1.2.3")).isEqualTo(1);
        assertThat(f.get(P + "delivery_attempts_total").value(P + "delivery_attempts_total")).isZero();
        assertThat(f.get(P + "queue_healthy").value(P + "queue_healthy")).isEqualTo(1);
        assertThat(f.get(P + "queue_oldest_pending_age_seconds").value(P + "queue_oldest_pending_age_seconds")).isZero();
        assertThat(f.get("jvm_memory_used_bytes").value("jvm_memory_used_bytes", "area", "heap")).isPositive();
        assertThat(f.get("jvm_memory_used_bytes").value("jvm_memory_used_bytes", "area", "nonheap")).isPositive();
        assertThat(f.get("jvm_threads_live").value("jvm_threads_live")).isPositive();
        PromText.Family h = f.get(P + "delivery_latency_seconds");
        assertThat(h.type).isEqualTo("histogram");
        assertThat(h.samples).filteredOn(s -> s.name().endsWith("_bucket")).hasSize(Metrics.LATENCY_BUCKETS_SECONDS.length + 1);
        assertThat(text).contains(P + "delivery_latency_seconds_bucket{le=\"0.005\"} 0\n",
                P + "delivery_latency_seconds_bucket{le=\"1\"} 0\n",
                P + "delivery_latency_seconds_bucket{le=\"3600\"} 0\n",
                P + "delivery_latency_seconds_bucket{le=\"+Inf\"} 0\n");
    }

    @Test
    void countersMoveWithListenerCalls() {
        QueuedItem item = item(1, "routing-key-0001");
        metrics.accepted("/v2/enqueue");
        metrics.accepted("/v2/enqueue");
        metrics.accepted("/generic/2010-04-15/create_event.json");
        metrics.rejected("/v2/enqueue", "invalid");
        metrics.rejected("/v2/enqueue", "queue_full");
        metrics.rejected("/v2/enqueue", "invalid");
        metrics.attempting(item);
        metrics.attempting(item);
        metrics.attempting(item);
        metrics.attempting(item);
        metrics.retryScheduled(item, 0, "connect timed out", Duration.ofSeconds(1));
        metrics.retryScheduled(item, 503, "unavailable", Duration.ofSeconds(2));
        metrics.retryScheduled(item, 0, "connection reset", Duration.ofSeconds(4));
        metrics.delivered(item, 202, Duration.ofMillis(30));
        metrics.dead(item, 400, "invalid event");
        metrics.dead(item, 0, "expired");

        Map<String, PromText.Family> f = PromText.parse(metrics.scrape(queue, clock));
        PromText.Family acc = f.get(P + "ingest_accepted_total");
        assertThat(acc.value(acc.name, "path", "/v2/enqueue")).isEqualTo(2);
        assertThat(acc.value(acc.name, "path", "/generic/2010-04-15/create_event.json")).isEqualTo(1);
        PromText.Family rej = f.get(P + "ingest_rejected_total");
        assertThat(rej.value(rej.name, "path", "/v2/enqueue", "reason", "invalid")).isEqualTo(2);
        assertThat(rej.value(rej.name, "path", "/v2/enqueue", "reason", "queue_full")).isEqualTo(1);
        assertThat(f.get(P + "delivery_attempts_total").value(P + "delivery_attempts_total")).isEqualTo(4);
        PromText.Family retries = f.get(P + "delivery_retries_total");
        assertThat(retries.value(retries.name, "status", "network")).isEqualTo(2);
        assertThat(retries.value(retries.name, "status", "503")).isEqualTo(1);
        PromText.Family delivered = f.get(P + "delivered_total");
        assertThat(delivered.value(delivered.name, "status", "202")).isEqualTo(1);
        PromText.Family dead = f.get(P + "dead_total");
        assertThat(dead.value(dead.name, "status", "400")).isEqualTo(1);
        assertThat(dead.value(dead.name, "status", "network")).isEqualTo(1);
        // children are sorted: network (status 0) first
        assertThat(dead.samples).extracting(s -> s.labels().get("status")).containsExactly("network", "400");
    }

    @Test
    void histogramBucketsAreInclusiveAndCumulative() {
        QueuedItem item = item(1, "k");
        metrics.delivered(item, 202, Duration.ofMillis(5));     // exactly on the 0.005 bound
        metrics.delivered(item, 202, Duration.ofMillis(6));     // 0.01
        metrics.delivered(item, 202, Duration.ofSeconds(1));    // 1
        metrics.delivered(item, 202, Duration.ofHours(2));      // only +Inf
        metrics.delivered(item, 202, Duration.ofMillis(-20));   // clock stepped back: counts as 0
        metrics.delivered(item, 202, null);                     // not observed, but counted as delivered

        Map<String, PromText.Family> f = PromText.parse(metrics.scrape(queue, clock));
        PromText.Family h = f.get(P + "delivery_latency_seconds");
        String b = h.name + "_bucket";
        assertThat(h.value(b, "le", "0.005")).isEqualTo(2);
        assertThat(h.value(b, "le", "0.01")).isEqualTo(3);
        assertThat(h.value(b, "le", "0.5")).isEqualTo(3);
        assertThat(h.value(b, "le", "1")).isEqualTo(4);
        assertThat(h.value(b, "le", "3600")).isEqualTo(4);
        assertThat(h.value(b, "le", "+Inf")).isEqualTo(5);
        assertThat(h.value(h.name + "_count")).isEqualTo(5);
        assertThat(h.value(h.name + "_sum")).isCloseTo(7201.011, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(f.get(P + "delivered_total").value(P + "delivered_total", "status", "202")).isEqualTo(6);
    }

    @Test
    void labelValuesAreEscapedAndParseBack() {
        String nasty = "/odd\\path\"with\nnewline";
        metrics.accepted(nasty);
        metrics.accepted(null);
        String text = metrics.scrape(queue, clock);
        assertThat(text).contains("path=\"/odd\\\\path\\\"with\\nnewline\"");
        PromText.Family acc = PromText.parse(text).get(P + "ingest_accepted_total");
        assertThat(acc.value(acc.name, "path", nasty)).isEqualTo(1);
        assertThat(acc.value(acc.name, "path", "unknown")).isEqualTo(1);
    }

    @Test
    void commitTimingsOfTheEmbeddedStoreAreCounters() {
        EventQueue timed = new io.pdaltagent.testing.ForwardingEventQueue(queue) {
            @Override
            public io.pdaltagent.queue.CommitStats commitStats() {
                return new io.pdaltagent.queue.CommitStats(1200, 1.75, 3);
            }
        };
        Map<String, PromText.Family> f = PromText.parse(metrics.scrape(timed, clock));
        java.util.function.ToDoubleFunction<String> counter = name -> {
            PromText.Family fam = f.get(P + name);
            assertThat(fam).as(name).isNotNull();
            assertThat(fam.type).isEqualTo("counter");
            return fam.value(fam.name);
        };
        assertThat(counter.applyAsDouble("queue_commits_total")).isEqualTo(1200);
        assertThat(counter.applyAsDouble("queue_commit_seconds_total")).isEqualTo(1.75);
        assertThat(counter.applyAsDouble("queue_slow_commits_total")).isEqualTo(3);
        assertThat(PromText.parse(metrics.scrape(queue, clock))).as("a store without timings: no families")
                .doesNotContainKey(P + "queue_commits_total");
    }

    @Test
    void gaugesReflectTheQueue() throws Exception {
        queue.append(newItem("key-a", T0)).get();
        clock.advance(Duration.ofSeconds(10));
        queue.append(newItem("key-a", clock.instant())).get();
        queue.append(newItem("key-b", clock.instant())).get();
        queue.append(newItem("key-c", clock.instant())).get();
        queue.append(newItem("key-d", clock.instant())).get();
        List<QueuedItem> claimed = queue.claim(10, Duration.ZERO);
        assertThat(claimed).extracting(QueuedItem::orderingKey).containsExactlyInAnyOrder("key-a", "key-b", "key-c", "key-d");
        for (QueuedItem c : claimed) {
            switch (c.orderingKey()) {
                case "key-b" -> queue.complete(c, new Completion.Delivered(202)).get();
                case "key-c" -> queue.complete(c, new Completion.Retry(clock.instant().plusSeconds(60), 503, "x")).get();
                case "key-d" -> queue.complete(c, new Completion.Dead(400, "invalid")).get();
                default -> { } // key-a stays in flight
            }
        }
        clock.advance(Duration.ofMillis(2500));

        Map<String, PromText.Family> f = PromText.parse(metrics.scrape(queue, clock));
        assertThat(g(f, "queue_depth")).isEqualTo(3);          // a (in flight), a (pending), c (retry)
        assertThat(g(f, "queue_in_flight")).isEqualTo(1);
        assertThat(g(f, "queue_retry_scheduled")).isEqualTo(1);
        assertThat(g(f, "queue_dead")).isEqualTo(1);
        assertThat(g(f, "queue_delivered_retained")).isEqualTo(1);
        assertThat(g(f, "queue_oldest_pending_age_seconds")).isEqualTo(12.5);
        assertThat(g(f, "queue_healthy")).isEqualTo(1);
    }

    @Test
    void aQueueWhoseStatsFailLeavesOnlyTheHealthyGaugeAtZero() {
        EventQueue broken = new BrokenStatsQueue(queue);
        Map<String, PromText.Family> f = PromText.parse(metrics.scrape(broken, clock));
        assertThat(g(f, "queue_healthy")).isZero();
        assertThat(f).doesNotContainKey(P + "queue_depth").doesNotContainKey(P + "queue_oldest_pending_age_seconds");
        assertThat(f).containsKey(P + "delivered_total").containsKey("jvm_threads_live");
    }

    @Test
    void aClosedQueueIsReportedUnhealthy() {
        queue.close();
        Map<String, PromText.Family> f = PromText.parse(metrics.scrape(queue, clock));
        assertThat(g(f, "queue_healthy")).isZero();
    }

    @Test
    void withoutAQueueThereAreNoQueueFamilies() {
        Map<String, PromText.Family> f = PromText.parse(metrics.scrape(null, clock));
        assertThat(f.keySet()).noneMatch(n -> n.startsWith(P + "queue_"));
    }

    @Test
    void twoScrapesWriteTheSameFamiliesInTheSameOrder() {
        metrics.rejected("/b", "z");
        metrics.rejected("/a", "y");
        metrics.rejected("/a", "x");
        String first = metrics.scrape(queue, clock);
        String second = metrics.scrape(queue, clock);
        assertThat(PromText.parse(first).keySet()).containsExactlyElementsOf(PromText.parse(second).keySet());
        PromText.Family rej = PromText.parse(first).get(P + "ingest_rejected_total");
        assertThat(rej.samples).extracting(s -> s.labels().get("path") + " " + s.labels().get("reason"))
                .containsExactly("/a x", "/a y", "/b z");
    }

    @Test
    void lastOutcomeFollowsTheMostRecentEnd() {
        QueuedItem item = item(5, "k");
        assertThat(metrics.lastOutcome()).isNull();
        metrics.attempting(item);
        assertThat(metrics.lastOutcome()).isNull();

        metrics.retryScheduled(item, 0, "timeout", Duration.ofSeconds(1));
        assertThat(metrics.lastOutcome()).isEqualTo(new Metrics.LastOutcome(T0, Metrics.Kind.RETRY, 0));

        clock.advance(Duration.ofMillis(1234));
        metrics.delivered(item, 202, Duration.ofSeconds(2));
        assertThat(metrics.lastOutcome()).isEqualTo(new Metrics.LastOutcome(T0.plusMillis(1234), Metrics.Kind.DELIVERED, 202));

        clock.advance(Duration.ofSeconds(1));
        metrics.dead(item, 400, "invalid");
        Metrics.LastOutcome last = metrics.lastOutcome();
        assertThat(last).isEqualTo(new Metrics.LastOutcome(T0.plusMillis(2234), Metrics.Kind.DEAD, 400));
        assertThat(last.kind().label()).isEqualTo("dead");
    }

    @Test
    void vmRssIsReadFromProcStatus() {
        assertThat(Metrics.parseVmRssBytes(List.of("Name:\tjava", "VmPeak:\t  999 kB", "VmRSS:\t   12345 kB", "Threads: 3")))
                .isEqualTo(12345L * 1024);
        assertThat(Metrics.parseVmRssBytes(List.of("Name:\tjava"))).isEqualTo(-1);
        assertThat(Metrics.parseVmRssBytes(List.of("VmRSS:\tgarbage kB"))).isEqualTo(-1);
    }

    @Test
    void residentMemoryIsWrittenWhereProcfsHasIt() throws Exception {
        java.nio.file.Path status = java.nio.file.Path.of("/proc/self/status");
        assumeTrue(java.nio.file.Files.isReadable(status)
                && Metrics.parseVmRssBytes(java.nio.file.Files.readAllLines(status, StandardCharsets.ISO_8859_1)) > 0);
        Map<String, PromText.Family> f = PromText.parse(metrics.scrape(queue, clock));
        assertThat(f.get("process_resident_memory_bytes").value("process_resident_memory_bytes")).isPositive();
    }

    @Test
    void valuesAndBoundsAreFormattedForPeople() {
        assertThat(Metrics.formatBound(0.005)).isEqualTo("0.005");
        assertThat(Metrics.formatBound(1)).isEqualTo("1");
        assertThat(Metrics.formatBound(3600)).isEqualTo("3600");
        assertThat(Metrics.formatDouble(12.5)).isEqualTo("12.5");
        assertThat(Metrics.formatDouble(3)).isEqualTo("3");
        assertThat(Metrics.formatDouble(Double.NaN)).isEqualTo("NaN");
        assertThat(Metrics.formatDouble(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    }

    @Test
    void hotPathDoesNotAllocateOnceLabelsAreKnown() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());

        Metrics m = new Metrics("x"); // the system clock's millis() does not allocate
        QueuedItem item = item(1, "k");
        Duration latency = Duration.ofMillis(42);
        Duration delay = Duration.ofSeconds(1);
        Runnable calls = () -> {
            m.accepted("/v2/enqueue");
            m.rejected("/v2/enqueue", "invalid");
            m.attempting(item);
            m.delivered(item, 202, latency);
            m.retryScheduled(item, 0, "timeout", delay);
            m.dead(item, 400, "invalid");
        };
        for (int i = 0; i < 50_000; i++) {
            calls.run();
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            calls.run();
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        // 600,000 listener calls: one small object each would be > 9 MB
        assertThat(allocated).isLessThan(1_000_000);
    }

    // ---------------------------------------------------------------- helpers

    private static double g(Map<String, PromText.Family> f, String shortName) {
        PromText.Family fam = f.get(P + shortName);
        assertThat(fam).as(shortName).isNotNull();
        assertThat(fam.type).isEqualTo("gauge");
        return fam.value(fam.name);
    }

    static NewItem newItem(String key, Instant acceptedAt) {
        return new NewItem(key, Destination.events("/v2/enqueue"), "application/json",
                "{\"event_action\":\"trigger\"}".getBytes(StandardCharsets.UTF_8), null, acceptedAt);
    }

    static QueuedItem item(long seq, String key) {
        return new QueuedItem(seq, key, Destination.events("/v2/enqueue"), "application/json",
                "{}".getBytes(StandardCharsets.UTF_8), null, T0, DeliveryState.IN_FLIGHT, 1, T0, 0, null);
    }
}
