package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ReceivedEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transforms in an agent started through {@code bin/pdagentd}: the PII scrubber and a rules file
 * act on posted events, suppressed events are kept and listed, and an edit of the rules file is
 * picked up without a restart while a bad edit keeps the previous rules.
 */
@Timeout(180)
class TransformsIT {
    static final String KEY = "transforms0000000000000000000000";
    static final String ROUTED = "routedkey0000000000000000000000x";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    private static String event(String dedup, String source, String summary) {
        return "{\"routing_key\":\"" + KEY + "\",\"event_action\":\"trigger\",\"dedup_key\":\"" + dedup
                + "\",\"payload\":{\"summary\":\"" + summary + "\",\"source\":\"" + source + "\",\"severity\":\"error\"}}";
    }

    private static int post(HttpClient http, AgentProcess agent, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(agent.baseUrl() + "/v2/enqueue"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void scrubsRoutesSuppressesAndReloadsTheRulesWithoutARestart() throws Exception {
        Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, """
                rules:
                  - name: drop-tests
                    when: "event.payload.source.startsWith('test-')"
                    actions: [suppress]
                  - name: route-db
                    when: "event.payload.source == 'db01'"
                    actions: [{route: %s}, {severity: warning}]
                """.formatted(ROUTED));
        try (FakePagerDuty pd = FakePagerDuty.builder().start()) {
            Map<String, String> env = Map.of(
                    "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                    "PDAGENTD_EVENTS_BASE_URL", "http://127.0.0.1:" + pd.port(),
                    "PDAGENTD_SCRUB_PII", "true",
                    "PDAGENTD_RULES_FILE", rules.toString());
            HttpClient http = HttpClient.newHttpClient();
            try (AgentProcess agent = new AgentProcess(env, dir.resolve("agent.log")).startAndAwaitHealthy()) {
                assertThat(post(http, agent, event("a", "web01", "login failed for jane@example.com from 203.0.113.9")))
                        .isEqualTo(202);
                assertThat(post(http, agent, event("b", "test-box", "noise"))).isEqualTo(202);
                assertThat(post(http, agent, event("c", "db01", "slow query"))).isEqualTo(202);
                await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY) == 1 && pd.acceptedCount(ROUTED) == 1);
                JsonNode a = pd.accepted(KEY).get(0).json();
                assertThat(a.at("/payload/summary").asText()).isEqualTo("login failed for {{EMAIL_ADDRESS}} from {{IP_ADDRESS}}");
                JsonNode c = pd.accepted(ROUTED).get(0).json();
                assertThat(c.path("routing_key").asText()).isEqualTo(ROUTED);
                assertThat(c.at("/payload/severity").asText()).isEqualTo("warning");

                JsonNode suppressed = MAPPER.readTree(http.send(HttpRequest.newBuilder(
                        URI.create(agent.adminUrl() + "/admin/v1/queue/suppressed")).build(),
                        HttpResponse.BodyHandlers.ofString()).body());
                assertThat(suppressed.at("/counts/0/by").asText()).isEqualTo("drop-tests");
                assertThat(suppressed.at("/counts/0/count").asLong()).isEqualTo(1);
                assertThat(suppressed.at("/events/0/dedup_key").asText()).isEqualTo("b");

                // an edit is picked up without a restart
                Files.writeString(rules, """
                        rules:
                          - name: drop-web
                            when: "event.payload.source == 'web01'"
                            actions: [suppress]
                        """);
                Files.setLastModifiedTime(rules, FileTime.from(Instant.now().plusSeconds(5)));
                await().atMost(Duration.ofSeconds(30)).until(() -> agent.logText().contains("1 rule(s), 0 maintenance window(s)"));
                assertThat(post(http, agent, event("d", "web01", "x"))).isEqualTo(202);
                assertThat(post(http, agent, event("e", "test-box", "no longer dropped"))).isEqualTo(202);
                await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY) == 2);
                assertThat(pd.accepted(KEY)).map(ReceivedEvent::json).map(j -> j.path("dedup_key").asText())
                        .containsExactly("a", "e");

                // a bad edit keeps the rules in force
                Files.writeString(rules, "rules:\n  - name: broken\n    actions: [{severity: loud}]\n");
                Files.setLastModifiedTime(rules, FileTime.from(Instant.now().plusSeconds(10)));
                await().atMost(Duration.ofSeconds(30)).until(() -> agent.logText().contains("is refused; the previous rules"));
                assertThat(agent.logText()).contains("rule 'broken': field 'actions[0]': severity must be one of");
                assertThat(post(http, agent, event("f", "web01", "still dropped"))).isEqualTo(202);
                assertThat(post(http, agent, event("g", "other", "delivered"))).isEqualTo(202);
                await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY) == 3);
                assertThat(pd.accepted(KEY).get(2).json().path("dedup_key").asText()).isEqualTo("g");
                assertThat(agent.healthStatus()).isEqualTo(200);
                assertThat(agent.logText()).doesNotContain("jane@example.com");
            }
        }
    }

    @Test
    void aRulesFileThatDoesNotLoadStopsTheAgentAtStartNamingTheRule() throws Exception {
        Path rules = Files.writeString(dir.resolve("bad.yaml"), "rules:\n  - name: x\n    when: \"event.a ==\"\n    actions: [stop]\n");
        AgentProcess agent = new AgentProcess(Map.of("PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                "PDAGENTD_HTTP_PORT", String.valueOf(AgentProcess.freePort()), "PDAGENTD_HTTPS_PORT", "0",
                "PDAGENTD_RULES_FILE", rules.toString()), dir.resolve("agent.log"));
        try (agent) {
            agent.start();
            assertThat(agent.process().waitFor()).isEqualTo(2);
            assertThat(agent.logText()).contains("PDAGENTD_RULES_FILE:", "rule 'x': field 'when':");
        }
    }
}
