package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDutyApi;
import io.pdaltagent.testing.WebhookReceiver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook relay end to end: bin/pdagentd as its own process polling a fake PagerDuty REST API
 * over HTTP and posting to a receiver that verifies signatures with only the secret.
 */
@Timeout(420)
class WebhookRelayIT {
    static final String TOKEN = "y_NbAkKc66ryYTWUXYEu";
    static final String SECRET = "whsec-relay-test";
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    /** How long the receiver stays down in the outage test: ten of PDAGENTD_RETRY_MAX_MILLIS below. */
    static final long RECEIVER_DOWN_SECONDS = 20;

    static Map<String, String> env(FakePagerDutyApi api, WebhookReceiver receiver, Path data) {
        Map<String, String> env = new HashMap<>();
        env.put("PDAGENTD_DATA_DIR", data.toString());
        env.put("PDAGENTD_EVENTS_BASE_URL", "http://127.0.0.1:9");
        env.put("PDAGENTD_API_BASE_URL", api.baseUrl());
        env.put("PDAGENTD_API_TOKEN", TOKEN);
        env.put("PDAGENTD_WEBHOOK_DEST_URL", receiver.url());
        env.put("PDAGENTD_WEBHOOK_SECRET", SECRET);
        env.put("PDAGENTD_POLLING_INTERVAL_SECONDS", "1");
        env.put("PDAGENTD_WEBHOOK_LOOKBACK_SECONDS", "3600");
        env.put("PDAGENTD_RETRY_BASE_MILLIS", "100");
        env.put("PDAGENTD_RETRY_MAX_MILLIS", "2000");
        return env;
    }

    /** {@code incidents} incidents with {@code perIncident} entries each, interleaved, the last ten minutes. */
    static List<String> addEntries(FakePagerDutyApi api, String prefix, int incidents, int perIncident, Instant start) {
        List<String> ids = new ArrayList<>();
        String[] types = {"trigger_log_entry", "acknowledge_log_entry", "annotate_log_entry", "assign_log_entry",
            "resolve_log_entry"};
        for (int i = 0; i < incidents; i++) {
            api.incident(prefix + "INC" + i, "PSVC1", "incident " + i);
        }
        int n = 0;
        for (int k = 0; k < perIncident; k++) {
            for (int i = 0; i < incidents; i++) {
                String id = prefix + "E" + i + "-" + k;
                api.entry(id, types[Math.min(k, types.length - 1)], prefix + "INC" + i, start.plusMillis(n++ * 10L));
                ids.add(id);
            }
        }
        return ids;
    }

    /** Checks every accepted webhook: signed, PagerDuty's headers, once per entry, in order per incident. */
    static void assertEachOnceInOrder(WebhookReceiver receiver, int expected) {
        List<WebhookReceiver.Received> got = receiver.accepted();
        Map<String, List<String>> byIncident = new LinkedHashMap<>();
        Map<String, Integer> perId = new HashMap<>();
        for (WebhookReceiver.Received r : got) {
            JsonNode e = r.json().path("event");
            assertThat(r.header("User-Agent")).isEqualTo("PagerDuty-Webhook/V3.0");
            assertThat(r.header("X-Webhook-Id")).isEqualTo(e.path("id").asText());
            assertThat(r.header("Content-Type")).isEqualTo("application/json");
            perId.merge(r.header("X-Webhook-Id"), 1, Integer::sum);
            byIncident.computeIfAbsent(e.path("data").path("id").asText(), k -> new ArrayList<>())
                    .add(e.path("occurred_at").asText());
        }
        assertThat(perId).hasSize(expected);
        assertThat(perId.values()).as("webhooks received more than once").allMatch(c -> c == 1);
        byIncident.forEach((inc, times) -> assertThat(times).as("order of %s", inc).isSorted());
        assertThat(receiver.received()).as("every signature verified").allMatch(r -> r.status() == 204);
    }

    static JsonNode health(AgentProcess agent) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(agent.baseUrl() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        return FakePagerDutyApi.json(r.body().getBytes());
    }

    @Test
    void signedWebhooksArriveOnceAndInOrderAcrossASigtermRestart() throws Exception {
        try (FakePagerDutyApi api = FakePagerDutyApi.start(TOKEN).service("PSVC1", "DB");
             WebhookReceiver receiver = WebhookReceiver.start(SECRET)) {
            Instant start = Instant.now().minus(Duration.ofMinutes(10));
            addEntries(api, "A", 5, 5, start);
            Map<String, String> env = env(api, receiver, dir.resolve("data"));
            AgentProcess agent = new AgentProcess(env, dir.resolve("agent.log")).startAndAwaitHealthy();
            await().atMost(Duration.ofSeconds(60)).until(() -> receiver.accepted().size() >= 25);
            assertThat(agent.stop()).as("exit code after SIGTERM").isIn(0, 143);

            addEntries(api, "B", 5, 5, Instant.now().minusSeconds(30));
            env.put("PDAGENTD_HTTP_PORT", String.valueOf(agent.httpPort()));
            AgentProcess again = new AgentProcess(env, dir.resolve("agent2.log")).startAndAwaitHealthy();
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> receiver.accepted().size() >= 50);
                await().atMost(Duration.ofSeconds(30)).until(() -> health(again).path("webhook_poller")
                        .path("last_outcome").asText().equals("ok"));
                JsonNode h = health(again).path("webhook_poller");
                assertThat(h.path("state").asText()).isEqualTo("active");
                assertThat(h.path("lag_seconds").asLong()).isLessThan(60);
                assertEachOnceInOrder(receiver, 50);
            } finally {
                again.stop();
            }
        }
    }

    @Test
    void webhookFiltersFromThePluginsDirectoryChangeAndDropWebhooksBeforeTheyAreSent() throws Exception {
        try (FakePagerDutyApi api = FakePagerDutyApi.start(TOKEN).service("PSVC1", "DB");
             WebhookReceiver receiver = WebhookReceiver.start(SECRET)) {
            Instant start = Instant.now().minus(Duration.ofMinutes(10));
            addEntries(api, "A", 2, 2, start); // triggered, acknowledged (on which hooks.Throws throws)
            api.incident("PQUIET", "PSVC1", "noise").entry("Q1", "trigger_log_entry", "PQUIET", start.plusSeconds(1));
            io.pdaltagent.webhook.WebhookFiltersTest.pluginJar(dir.resolve("plugins"));
            Map<String, String> env = env(api, receiver, dir.resolve("data"));
            env.put("PDAGENTD_PLUGINS_DIR", dir.resolve("plugins").toString());
            AgentProcess agent = new AgentProcess(env, dir.resolve("agent.log")).startAndAwaitHealthy();
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> receiver.accepted().size() >= 4);
                await().atMost(Duration.ofSeconds(30)).until(() -> health(agent).path("webhook_poller")
                        .path("last_outcome").asText().equals("ok"));
                assertEachOnceInOrder(receiver, 4);
                assertThat(receiver.accepted()).allSatisfy(r -> assertThat(r.json().at("/event/data/tagged_by").asText())
                        .isEqualTo("hooks"));
                assertThat(receiver.accepted()).noneMatch(r -> r.json().at("/event/data/id").asText().equals("PQUIET"));
                String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(agent.baseUrl() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics)
                        .contains("pdaltagent_transform_plugin_webhook_filter_suppressed_total{plugin=\"hooks.DropQuiet\"} 1")
                        .contains("pdaltagent_transform_plugin_webhook_filter_failed_total{plugin=\"hooks.Throws\"} 2")
                        .contains("pdaltagent_transform_plugin_webhook_filter_matched_total{plugin=\"hooks.Tag\"} 4");
            } finally {
                agent.stop();
            }
        }
    }

    @Test
    void aSigkillMidPollForwardsNothingTwice() throws Exception {
        try (FakePagerDutyApi api = FakePagerDutyApi.start(TOKEN).service("PSVC1", "DB");
             WebhookReceiver receiver = WebhookReceiver.start(SECRET)) {
            // the receiver is down: nothing is in flight to it at the kill, so any duplicate would be the relay's
            receiver.stop();
            List<String> ids = addEntries(api, "K", 20, 60, Instant.now().minus(Duration.ofMinutes(20)));
            api.latency(Duration.ofMillis(150)); // 12 pages per window: the kill lands mid-poll
            Map<String, String> env = env(api, receiver, dir.resolve("data"));
            AgentProcess agent = new AgentProcess(env, dir.resolve("agent.log")).startAndAwaitHealthy();
            int before = api.requests().size();
            await().atMost(Duration.ofSeconds(60)).until(() -> api.requests().size() >= before + 5);
            agent.kill();

            api.latency(Duration.ZERO);
            env.put("PDAGENTD_HTTP_PORT", String.valueOf(agent.httpPort()));
            AgentProcess again = new AgentProcess(env, dir.resolve("agent2.log")).startAndAwaitHealthy();
            try {
                receiver.start();
                await().atMost(Duration.ofSeconds(120)).until(() -> receiver.accepted().size() >= ids.size());
                await().atMost(Duration.ofSeconds(30)).until(() -> health(again).path("queue").path("depth").asLong() == 0);
                assertEachOnceInOrder(receiver, ids.size());
            } finally {
                again.stop();
            }
        }
    }

    @Test
    void whenTheReceiverIsDownForAWhileEverythingArrivesOnceInOrderAfterwards() throws Exception {
        try (FakePagerDutyApi api = FakePagerDutyApi.start(TOKEN).service("PSVC1", "DB");
             WebhookReceiver receiver = WebhookReceiver.start(SECRET)) {
            receiver.stop();
            Map<String, String> env = env(api, receiver, dir.resolve("data"));
            AgentProcess agent = new AgentProcess(env, dir.resolve("agent.log")).startAndAwaitHealthy();
            try {
                addEntries(api, "D", 10, 5, Instant.now().minusSeconds(60));
                await().atMost(Duration.ofSeconds(60)).until(() -> health(agent).path("queue").path("depth").asLong() == 50);
                // entries keep coming while the receiver is down; retries back off meanwhile
                Instant downSince = Instant.now();
                addEntries(api, "E", 10, 5, Instant.now().minusSeconds(5));
                await().atMost(Duration.ofSeconds(60)).until(() -> health(agent).path("queue").path("depth").asLong() == 100);
                // down for ten times the 2 s retry ceiling: the retries (100 ms doubling) reach the
                // ceiling within about 5 s and then keep retrying at it
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> Duration.between(downSince, Instant.now()).toSeconds() >= RECEIVER_DOWN_SECONDS);
                assertThat(receiver.received()).isEmpty();
                receiver.start();
                await().atMost(Duration.ofSeconds(120)).until(() -> receiver.accepted().size() >= 100);
                await().atMost(Duration.ofSeconds(30)).until(() -> health(agent).path("queue").path("depth").asLong() == 0);
                assertEachOnceInOrder(receiver, 100);
            } finally {
                agent.stop();
            }
        }
    }

    @Test
    void aWebhookTheReceiverRefusesIsDeadAndListedByPdQueueWhileTheIncidentsOthersGoOn() throws Exception {
        try (FakePagerDutyApi api = FakePagerDutyApi.start(TOKEN).service("PSVC1", "DB");
             WebhookReceiver receiver = WebhookReceiver.start(SECRET)) {
            receiver.script(422);
            addEntries(api, "X", 1, 3, Instant.now().minusSeconds(60));
            Path data = dir.resolve("data");
            AgentProcess agent = new AgentProcess(env(api, receiver, data), dir.resolve("agent.log")).startAndAwaitHealthy();
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> receiver.accepted().size() == 2);
                assertThat(receiver.received().get(0).status()).isEqualTo(422);
                assertThat(health(agent).path("queue").path("dead").asLong()).isEqualTo(1);
                ProcessBuilder pb = new ProcessBuilder(AgentProcess.projectRoot().resolve("bin/pd-queue").toString(), "list");
                pb.environment().keySet().removeIf(k -> k.startsWith("PDAGENTD_") || k.startsWith("PDQUEUE_"));
                pb.environment().put("PDAGENTD_DATA_DIR", data.toString());
                pb.environment().put("PDAGENTD_HTTP_PORT", String.valueOf(agent.httpPort()));
                Path out = dir.resolve("pd-queue.out");
                pb.redirectErrorStream(true).redirectOutput(out.toFile());
                Process p = pb.start();
                p.getOutputStream().close();
                assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                String listing = java.nio.file.Files.readString(out);
                assertThat(p.exitValue()).as(listing).isZero();
                assertThat(listing).contains("XINC0").contains("422");
            } finally {
                agent.stop();
            }
        }
    }

    @Test
    void aRefusedTokenIsOneErrorAndAHealthFieldNotALoop() throws Exception {
        try (FakePagerDutyApi api = FakePagerDutyApi.start("another-token").service("PSVC1", "DB");
             WebhookReceiver receiver = WebhookReceiver.start(SECRET)) {
            addEntries(api, "U", 1, 1, Instant.now().minusSeconds(60));
            AgentProcess agent = new AgentProcess(env(api, receiver, dir.resolve("data")), dir.resolve("agent.log"))
                    .startAndAwaitHealthy();
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> api.requests().size() >= 4);
                JsonNode h = health(agent);
                assertThat(h.path("status").asText()).isEqualTo("ok");
                assertThat(h.path("webhook_poller").path("state").asText()).isEqualTo("unauthorized");
                assertThat(h.path("webhook_poller").path("last_error").asText()).contains("HTTP 401")
                        .doesNotContain(TOKEN);
                String log = agent.logText();
                assertThat(log.lines().filter(l -> l.contains("ERROR")).toList()).hasSize(1);
                assertThat(log).contains("PagerDuty refused the API token").doesNotContain("\tat ").doesNotContain(TOKEN);
                assertThat(receiver.received()).isEmpty();
            } finally {
                agent.stop();
            }
        }
    }

    @Test
    void twoAgentsSharingPostgresForwardEachEntryOnceAndOneTakesOverWhenTheOtherDies() throws Exception {
        String schema = "wh_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String admin = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
        try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        try (FakePagerDutyApi api = FakePagerDutyApi.start(TOKEN).service("PSVC1", "DB");
             WebhookReceiver receiver = WebhookReceiver.start(SECRET)) {
            addEntries(api, "P", 10, 5, Instant.now().minus(Duration.ofMinutes(5)));
            List<AgentProcess> agents = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Map<String, String> env = env(api, receiver, dir.resolve("data" + i));
                env.put("PDAGENTD_ACTIVITY_DB_URL", admin + "&currentSchema=" + schema);
                env.put("PDAGENTD_WEBHOOK_LEASE_SECONDS", "5");
                agents.add(new AgentProcess(env, dir.resolve("agent" + i + ".log")).start());
            }
            for (AgentProcess a : agents) {
                await().atMost(Duration.ofSeconds(90)).until(() -> a.healthStatus() == 200);
            }
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> receiver.accepted().size() >= 50);
                await().atMost(Duration.ofSeconds(30)).until(() -> agents.stream().filter(a -> state(a).equals("standby"))
                        .count() == 1);
                AgentProcess active = agents.stream().filter(a -> state(a).equals("active")).findFirst().orElseThrow();
                AgentProcess standby = agents.stream().filter(a -> a != active).findFirst().orElseThrow();
                active.kill();
                Instant killed = Instant.now();
                addEntries(api, "Q", 10, 5, Instant.now().minusSeconds(10));
                await().atMost(Duration.ofSeconds(60)).until(() -> receiver.accepted().size() >= 100);
                // lease 5 s + a poll interval + the time to poll and deliver, on a shared machine
                assertThat(Duration.between(killed, Instant.now())).isLessThan(Duration.ofSeconds(45));
                assertThat(state(standby)).isEqualTo("active");
                assertEachOnceInOrder(receiver, 100);
            } finally {
                for (AgentProcess a : agents) {
                    a.close();
                }
                try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
                    s.execute("DROP SCHEMA " + schema + " CASCADE");
                }
            }
        }
    }

    static String state(AgentProcess a) {
        try {
            return health(a).path("webhook_poller").path("state").asText();
        } catch (Exception e) {
            return "down";
        }
    }
}
