package io.pdaltagent.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.delivery.EnvProxySelector;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.SqliteEventQueue;
import io.pdaltagent.testing.FakePagerDutyApi;
import io.pdaltagent.testing.ForwardingEventQueue;
import io.pdaltagent.testing.ManualClock;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Polls against a fake REST API over HTTP, into a real embedded queue and activity store. */
class PollCycleTest {
    static final Instant T0 = Instant.parse("2026-06-01T12:00:00Z");
    static final String TOKEN = "u+abcdefghijklmnopqr";

    @TempDir
    Path dir;
    final ManualClock clock = new ManualClock(T0);
    FakePagerDutyApi api;
    SqliteEventQueue sqlite;
    RecordingQueue queue;
    JdbcActivityStore store;

    /** The queue, recording every append that succeeded, in call order. */
    static final class RecordingQueue extends ForwardingEventQueue {
        final List<NewItem> appended = new CopyOnWriteArrayList<>();

        RecordingQueue(SqliteEventQueue q) {
            super(q);
        }

        @Override
        public CompletableFuture<Long> append(NewItem item) {
            return super.append(item).thenApply(seq -> {
                appended.add(item);
                return seq;
            });
        }
    }

    @BeforeEach
    void setUp() {
        api = FakePagerDutyApi.start(TOKEN).service("PSVC1", "DB").service("PSVC2", "Web");
        sqlite = SqliteEventQueue.open(dir.resolve("data"), clock, 1_000_000);
        queue = new RecordingQueue(sqlite);
        store = JdbcActivityStore.embedded(dir.resolve("data"), clock);
    }

    @AfterEach
    void tearDown() {
        api.close();
        store.close();
        sqlite.close();
    }

    static AgentConfig.WebhookConfig config(boolean all, List<String> services, String format) {
        return new AgentConfig.WebhookConfig(URI.create("http://unused"), "Token token=" + TOKEN,
                URI.create("http://127.0.0.1:9/hook"), Duration.ofSeconds(10), all, Duration.ofDays(30), services,
                null, format, null, null, Duration.ofHours(1), Duration.ofSeconds(30));
    }

    PollCycle cycle(AgentConfig.WebhookConfig c) {
        return cycle(c, "Token token=" + TOKEN);
    }

    PollCycle cycle(AgentConfig.WebhookConfig c, String auth) {
        LogEntriesClient client = new LogEntriesClient(URI.create(api.baseUrl()), auth, EnvProxySelector.direct(), null, "test");
        Forwarder f = new Forwarder(queue, store, new io.pdaltagent.queue.Destination("webhook", c.destUrl().toString()),
                "agent-a", clock);
        return new PollCycle(client, store, f, new WebhookBodies(c.format(), null, c.destUrl().toString()), c, "agent-a", clock);
    }

    List<String> entryIdsOf(String incident) {
        return queue.appended.stream().filter(i -> i.orderingKey().equals(incident))
                .map(i -> FakePagerDutyApi.json(i.body()).path("event").path("data").path("id").asText() + "/"
                        + FakePagerDutyApi.json(i.body()).path("event").path("event_type").asText())
                .toList();
    }

    @Test
    void forwardsEachEntryOnceInOrderPerIncidentAcrossPolls() throws Exception {
        api.incident("PINC1", "PSVC1", "disk").incident("PINC2", "PSVC2", "web");
        api.entry("E1", "trigger_log_entry", "PINC1", T0.minusSeconds(60));
        api.entry("E2", "trigger_log_entry", "PINC2", T0.minusSeconds(59));
        api.entry("E3", "acknowledge_log_entry", "PINC1", T0.minusSeconds(58));
        api.entry("E4", "resolve_log_entry", "PINC1", T0.minusSeconds(58)); // same second, later
        api.entry("E5", "resolve_log_entry", "PINC2", T0.minusSeconds(30));

        PollCycle c = cycle(config(false, List.of(), "v3"));
        assertThat(c.run()).isEqualTo(new PollCycle.Result.Done(5));
        clock.advance(Duration.ofSeconds(10));
        assertThat(c.run()).isEqualTo(new PollCycle.Result.Done(0));

        assertThat(entryIdsOf("PINC1")).containsExactly("PINC1/incident.triggered", "PINC1/incident.acknowledged",
                "PINC1/incident.resolved");
        assertThat(entryIdsOf("PINC2")).containsExactly("PINC2/incident.triggered", "PINC2/incident.resolved");
        assertThat(queue.appended).extracting(NewItem::dedupKey).doesNotHaveDuplicates()
                .contains(WebhookBodies.webhookId("E1"));
        assertThat(store.cursor()).isEqualTo(T0.plusSeconds(10));
    }

    @Test
    void pagesUntilMoreIsFalse() throws Exception {
        api.incident("PINC1", "PSVC1", "disk");
        for (int i = 0; i < 250; i++) {
            api.entry("E" + i, "annotate_log_entry", "PINC1", T0.minusSeconds(600 - i));
        }
        assertThat(cycle(config(false, List.of(), "v3")).run()).isEqualTo(new PollCycle.Result.Done(250));
        assertThat(api.requests()).extracting(r -> r.param("offset")).containsExactly("0", "100", "200");
        assertThat(api.requests().get(0).query().get("include[]")).containsExactly("incidents", "services");
        assertThat(api.requests().get(0).authorization()).isEqualTo("Token token=" + TOKEN);
        // in the order they happened
        assertThat(queue.appended).extracting(i -> FakePagerDutyApi.json(i.body()).path("event").path("occurred_at").asText())
                .isSorted();
    }

    @Test
    void splitsTheWindowWhenPagerDutyCountsMoreThanTheSplitSize() throws Exception {
        api.incident("PINC1", "PSVC1", "disk");
        int n = PollCycle.SPLIT_ABOVE + 500;
        for (int i = 0; i < n; i++) {
            api.entry("E" + i, "annotate_log_entry", "PINC1", T0.minusMillis(3_000_000L - i * 1000L));
        }
        assertThat(cycle(config(false, List.of(), "v3")).run()).isEqualTo(new PollCycle.Result.Done(n));
        assertThat(queue.appended).hasSize(n);
        assertThat(queue.appended).extracting(NewItem::dedupKey).doesNotHaveDuplicates();
        // the hour was read as more than one window: the whole, then its halves
        assertThat(api.requests().stream().map(r -> r.param("since") + ".." + r.param("until")).distinct().count())
                .isGreaterThanOrEqualTo(3);
        assertThat(api.requests()).allMatch(r -> r.status() == 200);
    }

    @Test
    void splitsTheWindowBeforeTheOffsetCapWhenNoTotalIsGiven() throws Exception {
        api.withholdTotal().incident("PINC1", "PSVC1", "disk");
        int n = FakePagerDutyApi.OFFSET_CAP + 200;
        for (int i = 0; i < n; i++) {
            api.entry("E" + i, "annotate_log_entry", "PINC1", T0.minusMillis(3_000_000L - i * 250L));
        }
        assertThat(cycle(config(false, List.of(), "v3")).run()).isEqualTo(new PollCycle.Result.Done(n));
        assertThat(api.requests()).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(200);
            assertThat(Integer.parseInt(r.param("offset")) + Integer.parseInt(r.param("limit")))
                    .isLessThanOrEqualTo(FakePagerDutyApi.OFFSET_CAP);
        });
        assertThat(queue.appended).extracting(NewItem::dedupKey).doesNotHaveDuplicates().hasSize(n);
    }

    @Test
    void forwardsOnlyTheListedServices() throws Exception {
        api.incident("PINC1", "PSVC1", "disk").incident("PINC2", "PSVC2", "web");
        api.entry("E1", "trigger_log_entry", "PINC1", T0.minusSeconds(60));
        api.entry("E2", "trigger_log_entry", "PINC2", T0.minusSeconds(50));
        assertThat(cycle(config(false, List.of("PSVC2"), "v3")).run()).isEqualTo(new PollCycle.Result.Done(1));
        assertThat(queue.appended).extracting(NewItem::orderingKey).containsExactly("PINC2");
    }

    @Test
    void nonLifecycleEntriesOnlyWithTheAllLogEntriesSwitch() throws Exception {
        api.incident("PINC1", "PSVC1", "disk");
        api.entry("E1", "trigger_log_entry", "PINC1", T0.minusSeconds(60));
        api.entry("E2", "priority_change_log_entry", "PINC1", T0.minusSeconds(50));
        api.entry("E3", "notify_log_entry", "PINC1", T0.minusSeconds(40));

        assertThat(cycle(config(false, List.of(), "v3")).run()).isEqualTo(new PollCycle.Result.Done(1));
        assertThat(api.requests().get(0).param("is_overview")).isEqualTo("true");

        store.saveCursor(T0.minus(Duration.ofHours(1)));
        assertThat(cycle(config(true, List.of(), "v3")).run()).isEqualTo(new PollCycle.Result.Done(2));
        assertThat(api.requests().getLast().param("is_overview")).isNull();
        assertThat(entryIdsOf("PINC1")).containsExactly("PINC1/incident.triggered", "PINC1/incident.priority_updated",
                "PINC1/incident.notify");
    }

    @Test
    void aRateLimitEndsThePollWithPagerDutysResetAndTheNextPollGoesOn() throws Exception {
        api.incident("PINC1", "PSVC1", "disk");
        for (int i = 0; i < 150; i++) {
            api.entry("E" + i, "annotate_log_entry", "PINC1", T0.minusSeconds(600 - i));
        }
        api.script(FakePagerDutyApi.Scripted.rateLimited(7));
        PollCycle c = cycle(config(false, List.of(), "v3"));
        assertThat(c.run()).isEqualTo(new PollCycle.Result.RateLimited(Duration.ofSeconds(7), 0));
        assertThat(store.cursor()).isNull();
        assertThat(c.run()).isEqualTo(new PollCycle.Result.Done(150));
        assertThat(c.rateLimitedCount()).isEqualTo(1);
    }

    @Test
    void aRefusedTokenIsReportedAsSuch() throws Exception {
        api.incident("PINC1", "PSVC1", "disk").entry("E1", "trigger_log_entry", "PINC1", T0.minusSeconds(60));
        PollCycle.Result r = cycle(config(false, List.of(), "v3"), "Token token=wrong").run();
        assertThat(r).isInstanceOf(PollCycle.Result.Refused.class);
        assertThat(((PollCycle.Result.Refused) r).status()).isEqualTo(401);
        assertThat(((PollCycle.Result.Refused) r).message()).contains("Authentication failed");
        assertThat(queue.appended).isEmpty();
        assertThat(cycle(config(false, List.of(), "v3"), "Bearer " + TOKEN).run()).isEqualTo(new PollCycle.Result.Done(1));
    }

    @Test
    void theFirstPollLooksBackOnlyTheConfiguredInterval() throws Exception {
        api.incident("PINC1", "PSVC1", "disk");
        api.entry("OLD", "trigger_log_entry", "PINC1", T0.minus(Duration.ofHours(2)));
        api.entry("NEW", "resolve_log_entry", "PINC1", T0.minus(Duration.ofMinutes(30)));
        assertThat(cycle(config(false, List.of(), "v3")).run()).isEqualTo(new PollCycle.Result.Done(1));
        assertThat(Instant.parse(api.requests().get(0).param("since"))).isEqualTo(T0.minus(Duration.ofHours(1)));
    }

    @Test
    void anEntryThatShowsUpLateWithinTheOverlapIsForwarded() throws Exception {
        api.incident("PINC1", "PSVC1", "disk");
        api.entry("E1", "trigger_log_entry", "PINC1", T0.minusSeconds(60));
        PollCycle c = cycle(config(false, List.of(), "v3"));
        assertThat(c.run()).isEqualTo(new PollCycle.Result.Done(1));
        // created before the cursor, listed by PagerDuty only now
        api.entry("E2", "acknowledge_log_entry", "PINC1", T0.minusSeconds(5));
        clock.advance(Duration.ofSeconds(10));
        assertThat(c.run()).isEqualTo(new PollCycle.Result.Done(1));
        assertThat(entryIdsOf("PINC1")).containsExactly("PINC1/incident.triggered", "PINC1/incident.acknowledged");
    }

    @Test
    void recoveryAfterACrashQueuesEachStagedEntryExactlyOnce() throws Exception {
        // the state a SIGKILL leaves: A and B staged; A's append made it to the queue, B's did not
        byte[] body = "{\"event\":{}}".getBytes();
        List<ActivityStore.Staged> staged = List.of(
                new ActivityStore.Staged("A", "PINC1", T0, WebhookBodies.webhookId("A"), body, "agent-a"),
                new ActivityStore.Staged("B", "PINC1", T0, WebhookBodies.webhookId("B"), body, "agent-a"));
        assertThat(store.stage(staged, "agent-a")).containsExactlyInAnyOrder("A", "B");
        sqlite.append(new NewItem("PINC1", new io.pdaltagent.queue.Destination("webhook", "http://x/"),
                "application/json", body, WebhookBodies.webhookId("A"), T0)).join();

        Forwarder f = new Forwarder(queue, store, new io.pdaltagent.queue.Destination("webhook", "http://x/"), "agent-a", clock);
        assertThat(f.recover(false)).isEqualTo(1);
        assertThat(queue.appended).extracting(NewItem::dedupKey).containsExactly(WebhookBodies.webhookId("B"));
        assertThat(store.staged()).isEmpty();
        assertThat(f.recover(false)).isZero();
        // and a later poll that sees A and B again skips them
        assertThat(store.known(List.of("A", "B"))).containsExactlyInAnyOrder("A", "B");
        assertThat(store.stage(staged, "agent-b")).isEmpty();
    }

    @Test
    void v3BodiesCarryTheIncidentAsData() throws Exception {
        api.incident("PINC1", "PSVC1", "disk").entry("E1", "trigger_log_entry", "PINC1", T0.minusSeconds(60));
        cycle(config(false, List.of(), "v3")).run();
        JsonNode event = FakePagerDutyApi.json(queue.appended.get(0).body()).get("event");
        Map<String, Object> names = new java.util.TreeMap<>();
        event.fieldNames().forEachRemaining(n -> names.put(n, 1));
        assertThat(names.keySet()).containsExactly("agent", "client", "data", "event_type", "id", "occurred_at",
                "resource_type");
        assertThat(event.path("id").asText()).isEqualTo(WebhookBodies.webhookId("E1"));
        assertThat(event.path("resource_type").asText()).isEqualTo("incident");
        assertThat(event.path("occurred_at").asText()).isEqualTo(T0.minusSeconds(60).toString());
        assertThat(event.path("client").path("name").asText()).isEqualTo("Monitoring");
        JsonNode data = event.get("data");
        assertThat(data.path("type").asText()).isEqualTo("incident");
        assertThat(data.path("id").asText()).isEqualTo("PINC1");
        assertThat(data.path("number").asInt()).isEqualTo(1);
        assertThat(data.path("status").asText()).isEqualTo("triggered");
        assertThat(data.path("title").asText()).isEqualTo("disk");
        assertThat(data.path("service").path("id").asText()).isEqualTo("PSVC1");
        assertThat(data.path("assignees").get(0).path("type").asText()).isEqualTo("user_reference");
        assertThat(data.has("escalation_policy") && data.has("urgency") && data.has("incident_key") && data.has("html_url"))
                .isTrue();
    }

    @Test
    void v2BodiesAreTheLegacyMessagesShape() throws Exception {
        api.incident("PINC1", "PSVC1", "disk").entry("E1", "acknowledge_log_entry", "PINC1", T0.minusSeconds(60));
        cycle(config(false, List.of(), "v2")).run();
        JsonNode root = FakePagerDutyApi.json(queue.appended.get(0).body());
        assertThat(root.path("messages")).hasSize(1);
        JsonNode m = root.path("messages").get(0);
        assertThat(m.path("event").asText()).isEqualTo("incident.acknowledge");
        assertThat(m.path("id").asText()).isEqualTo(WebhookBodies.webhookId("E1"));
        assertThat(m.path("created_on").asText()).isEqualTo(T0.minusSeconds(60).toString());
        assertThat(m.path("incident").path("incident_number").asInt()).isEqualTo(1);
        assertThat(m.path("incident").path("service").path("name").asText()).isEqualTo("DB");
        assertThat(m.path("log_entries")).hasSize(1);
        assertThat(m.path("log_entries").get(0).path("type").asText()).isEqualTo("acknowledge_log_entry");
        assertThat(m.path("log_entries").get(0).path("incident").path("type").asText()).isEqualTo("incident_reference");
        JsonNode w = m.path("webhook");
        assertThat(w.path("type").asText()).isEqualTo("webhook");
        assertThat(w.path("endpoint_url").asText()).isEqualTo("http://127.0.0.1:9/hook");
        assertThat(w.path("outbound_integration").path("id").asText()).isEqualTo("PJFWPEP");
        assertThat(w.path("config").isObject()).isTrue();
    }

    @Test
    void eventTypesFollowTheDocumentedTable() {
        Map<String, String> expected = new java.util.LinkedHashMap<>();
        expected.put("trigger_log_entry", "incident.triggered");
        expected.put("acknowledge_log_entry", "incident.acknowledged");
        expected.put("unacknowledge_log_entry", "incident.unacknowledged");
        expected.put("resolve_log_entry", "incident.resolved");
        expected.put("assign_log_entry", "incident.reassigned");
        expected.put("escalate_log_entry", "incident.escalated");
        expected.put("delegate_log_entry", "incident.delegated");
        expected.put("annotate_log_entry", "incident.annotated");
        expected.put("priority_change_log_entry", "incident.priority_updated");
        expected.put("responder_request_log_entry", "incident.responder.added");
        Map<String, String> actual = expected.keySet().stream()
                .collect(Collectors.toMap(k -> k, LogEntryTypes::v3EventType, (a, b) -> a, java.util.LinkedHashMap::new));
        assertThat(actual).isEqualTo(expected);
        assertThat(LogEntryTypes.forwarded("priority_change_log_entry", false)).isFalse();
        assertThat(LogEntryTypes.forwarded("priority_change_log_entry", true)).isTrue();
        assertThat(LogEntryTypes.forwarded("resolve_log_entry", false)).isTrue();
        assertThat(new ArrayList<>(List.of(LogEntryTypes.v2Event("trigger_log_entry")))).containsExactly("incident.trigger");
    }
}
