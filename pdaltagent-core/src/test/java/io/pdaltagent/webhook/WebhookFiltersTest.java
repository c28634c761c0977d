package io.pdaltagent.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.delivery.EnvProxySelector;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.SqliteEventQueue;
import io.pdaltagent.testing.FakePagerDutyApi;
import io.pdaltagent.testing.ForwardingEventQueue;
import io.pdaltagent.testing.ManualClock;
import io.pdaltagent.testing.PluginJar;
import io.pdaltagent.transform.RuleStats;
import io.pdaltagent.transform.Transforms;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugins' webhook filters in the relay: a plugin jar built here, loaded as the agent loads it,
 * run by a poll against the fake REST API into a real embedded queue and activity store.
 */
public class WebhookFiltersTest {
    static final Instant T0 = PollCycleTest.T0;
    static final String TOKEN = PollCycleTest.TOKEN;
    static final Duration TIMEOUT = Duration.ofMillis(200);

    @TempDir
    Path dir;
    final ManualClock clock = new ManualClock(T0);
    FakePagerDutyApi api;
    SqliteEventQueue sqlite;
    FlakyQueue queue;
    JdbcActivityStore store;
    Transforms transforms;

    /** The queue, recording every append that succeeded; refuses appends while {@code failing}. */
    static final class FlakyQueue extends ForwardingEventQueue {
        final List<NewItem> appended = new CopyOnWriteArrayList<>();
        volatile boolean failing;

        FlakyQueue(SqliteEventQueue q) {
            super(q);
        }

        @Override
        public CompletableFuture<Long> append(NewItem item) {
            if (failing) {
                return CompletableFuture.failedFuture(new IllegalStateException("queue store failed"));
            }
            return super.append(item).thenApply(seq -> {
                appended.add(item);
                return seq;
            });
        }
    }

    /** Tag (adds event.data.tagged_by), DropQuiet (drops incident PQUIET), Throws (on acknowledged), Hangs (on resolved). */
    public static Path pluginJar(Path pluginsDir) throws Exception {
        Files.createDirectories(pluginsDir);
        return PluginJar.builder()
                .source("hooks.Throws", """
                        package hooks;
                        import io.pdaltagent.api.WebhookFilter;
                        public class Throws implements WebhookFilter {
                            public Result filter(Webhook w) {
                                if (w.eventType().equals("incident.acknowledged")) throw new IllegalStateException("plugin bug");
                                return Result.unchanged();
                            }
                        }""")
                .source("hooks.Hangs", """
                        package hooks;
                        import io.pdaltagent.api.WebhookFilter;
                        public class Hangs implements WebhookFilter {
                            public Result filter(Webhook w) {
                                if (w.eventType().equals("incident.resolved")) {
                                    long until = System.nanoTime() + 3_000_000_000L;
                                    while (System.nanoTime() < until) {
                                        try { Thread.sleep(100); } catch (InterruptedException ignored) { }
                                    }
                                }
                                return Result.unchanged();
                            }
                        }""")
                .source("hooks.DropQuiet", """
                        package hooks;
                        import io.pdaltagent.api.WebhookFilter;
                        public class DropQuiet implements WebhookFilter {
                            public Result filter(Webhook w) {
                                return "PQUIET".equals(w.incidentId()) ? Result.drop() : Result.unchanged();
                            }
                        }""")
                .source("hooks.Tag", """
                        package hooks;
                        import io.pdaltagent.api.WebhookFilter;
                        import java.util.Map;
                        public class Tag implements WebhookFilter {
                            @SuppressWarnings("unchecked")
                            public Result filter(Webhook w) {
                                Map<String, Object> event = (Map<String, Object>) w.body().get("event");
                                Map<String, Object> data = (Map<String, Object>) event.get("data");
                                data.put("tagged_by", "hooks");
                                return Result.changed(w.body());
                            }
                        }""")
                .service("io.pdaltagent.api.WebhookFilter", "hooks.Throws")
                .service("io.pdaltagent.api.WebhookFilter", "hooks.Hangs")
                .service("io.pdaltagent.api.WebhookFilter", "hooks.DropQuiet")
                .service("io.pdaltagent.api.WebhookFilter", "hooks.Tag")
                .write(pluginsDir.resolve("hooks.jar"));
    }

    @BeforeEach
    void setUp() throws Exception {
        api = FakePagerDutyApi.start(TOKEN).service("PSVC1", "DB");
        sqlite = SqliteEventQueue.open(dir.resolve("data"), clock, 1_000_000);
        queue = new FlakyQueue(sqlite);
        store = JdbcActivityStore.embedded(dir.resolve("data"), clock);
        pluginJar(dir.resolve("plugins"));
        transforms = Transforms.start(new AgentConfig.TransformConfig(Set.of(), null, dir.resolve("plugins"), TIMEOUT),
                Clock.systemUTC());
    }

    @AfterEach
    void tearDown() {
        transforms.close();
        api.close();
        store.close();
        sqlite.close();
    }

    Forwarder forwarder() {
        return new Forwarder(queue, store, new Destination("webhook", "http://127.0.0.1:9/hook"), "agent-a", clock);
    }

    PollCycle cycle(Forwarder f) {
        AgentConfig.WebhookConfig c = PollCycleTest.config(false, List.of(), "v3");
        LogEntriesClient client = new LogEntriesClient(URI.create(api.baseUrl()), "Token token=" + TOKEN,
                EnvProxySelector.direct(), null, "test");
        return new PollCycle(client, store, f, new WebhookBodies(c.format(), null, c.destUrl().toString()), c, "agent-a",
                clock, transforms.webhookFilters());
    }

    Map<String, RuleStats> stats() {
        return ((io.pdaltagent.transform.WebhookPluginStage) transforms.webhookFilters()).stats();
    }

    void fourEntries() {
        api.incident("PINC1", "PSVC1", "disk").incident("PQUIET", "PSVC1", "noise");
        api.entry("E1", "trigger_log_entry", "PINC1", T0.minusSeconds(60));
        api.entry("E2", "trigger_log_entry", "PQUIET", T0.minusSeconds(59));
        api.entry("E3", "acknowledge_log_entry", "PINC1", T0.minusSeconds(58));
        api.entry("E4", "resolve_log_entry", "PINC1", T0.minusSeconds(57));
    }

    @Test
    void filtersChangeAndDropWebhooksAndAThrowingOrHangingFilterLeavesThemAsTheyWere() throws Exception {
        fourEntries();
        PollCycle c = cycle(forwarder());
        assertThat(c.run()).as("the dropped entry counts as forwarded").isEqualTo(new PollCycle.Result.Done(4));
        assertThat(Duration.ofNanos(stats().get("hooks.Hangs").nanos())).as("bounded by the timeout, not the 3 s hang")
                .isLessThan(Duration.ofMillis(2500));

        assertThat(queue.appended).extracting(NewItem::orderingKey).containsExactly("PINC1", "PINC1", "PINC1");
        assertThat(queue.appended).extracting(i -> FakePagerDutyApi.json(i.body()).path("event").path("event_type").asText())
                .containsExactly("incident.triggered", "incident.acknowledged", "incident.resolved");
        assertThat(queue.appended).as("the filters after a throwing or hanging one still ran")
                .allSatisfy(i -> assertThat(FakePagerDutyApi.json(i.body()).at("/event/data/tagged_by").asText())
                        .isEqualTo("hooks"));
        assertThat(queue.appended).extracting(NewItem::dedupKey).doesNotContain(WebhookBodies.webhookId("E2"));
        assertThat(store.known(List.of("E2"))).as("a dropped entry is known: never polled again").containsExactly("E2");
        assertThat(store.staged()).isEmpty();

        clock.advance(Duration.ofSeconds(10));
        assertThat(c.run()).isEqualTo(new PollCycle.Result.Done(0));
        assertThat(queue.appended).hasSize(3);

        Map<String, RuleStats> s = stats();
        assertThat(s.get("hooks.Tag").matched()).isEqualTo(3);
        assertThat(s.get("hooks.DropQuiet").matched()).isEqualTo(1);
        assertThat(s.get("hooks.DropQuiet").suppressed()).isEqualTo(1);
        assertThat(s.get("hooks.Throws").failed()).isEqualTo(1);
        assertThat(s.get("hooks.Hangs").failed()).isEqualTo(1);
        assertThat(s.get("hooks.Tag").failed()).isZero();
        StringBuilder metrics = new StringBuilder();
        transforms.write(metrics);
        assertThat(metrics.toString())
                .contains("pdaltagent_transform_plugin_webhook_filter_suppressed_total{plugin=\"hooks.DropQuiet\"} 1")
                .contains("pdaltagent_transform_plugin_webhook_filter_failed_total{plugin=\"hooks.Hangs\"} 1")
                .contains("pdaltagent_transform_plugin_webhook_filter_matched_total{plugin=\"hooks.Tag\"} 3");
    }

    @Test
    void aWebhookQueuedAgainAfterAFailedAppendIsTheFilteredBodyAndTheFiltersDoNotRunAgain() throws Exception {
        fourEntries();
        queue.failing = true;
        Forwarder f = forwarder();
        assertThatThrownBy(() -> cycle(f).run()).hasMessageContaining("could not be queued");
        assertThat(store.staged()).extracting(ActivityStore.Staged::entryId).containsExactly("E1", "E3", "E4");
        long tagged = stats().get("hooks.Tag").matched();

        queue.failing = false;
        assertThat(f.recover(false)).isEqualTo(3);
        assertThat(queue.appended).extracting(NewItem::dedupKey).containsExactly(WebhookBodies.webhookId("E1"),
                WebhookBodies.webhookId("E3"), WebhookBodies.webhookId("E4"));
        assertThat(queue.appended).allSatisfy(i -> assertThat(FakePagerDutyApi.json(i.body()).at("/event/data/tagged_by")
                .asText()).isEqualTo("hooks"));
        assertThat(stats().get("hooks.Tag").matched()).as("staged bodies are sent as staged").isEqualTo(tagged);
        assertThat(store.staged()).isEmpty();
    }

    @Test
    void aDroppedEntryLeftStagedByACrashIsMarkedWithoutReachingTheQueue() {
        ActivityStore.Staged dropped = new ActivityStore.Staged("E9", "PQUIET", T0, WebhookBodies.webhookId("E9"),
                Forwarder.DROPPED, "agent-a");
        assertThat(store.stage(List.of(dropped), "agent-a")).containsExactly("E9");
        assertThat(store.staged()).hasSize(1);
        assertThat(forwarder().recover(false)).isEqualTo(1);
        assertThat(queue.appended).isEmpty();
        assertThat(store.staged()).isEmpty();
        assertThat(store.known(List.of("E9"))).containsExactly("E9");
    }
}
