package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ReceivedEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Events queued while PagerDuty is down survive a stop of the agent and are delivered after it. */
@Timeout(180)
class RestartIT {
    static final String KEY = "restart0000000000000000000000000";

    @TempDir
    Path dir;

    @Test
    void eventsQueuedWhilePagerDutyIsDownAreDeliveredAfterTheAgentRestarts() throws Exception {
        FakePagerDuty pd = FakePagerDuty.builder().start();
        int pdPort = pd.port();
        pd.stop();
        Map<String, String> env = Map.of(
                "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                "PDAGENTD_EVENTS_BASE_URL", "http://127.0.0.1:" + pdPort,
                "PDAGENTD_KEY_RATE_PER_MINUTE", "0", // a load test: PagerDuty's pace would take minutes
                "PDAGENTD_RETRY_BASE_MILLIS", "50",
                "PDAGENTD_RETRY_MAX_MILLIS", "200");
        HttpClient http = HttpClient.newHttpClient();
        try (AgentProcess agent = new AgentProcess(env, dir.resolve("agent.log")).startAndAwaitHealthy()) {
            for (int i = 0; i < 20; i++) {
                String body = "{\"routing_key\":\"" + KEY + "\",\"event_action\":\"" + (i % 2 == 0 ? "trigger" : "resolve")
                        + "\",\"dedup_key\":\"k" + (i / 2) + "\",\"payload\":{\"summary\":\"s\",\"source\":\"h\","
                        + "\"severity\":\"info\",\"custom_details\":{\"seq\":" + i + "}}}";
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(agent.baseUrl() + "/v2/enqueue"))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(202);
            }
            // PagerDuty is unreachable: the events wait, being retried
            await().atMost(Duration.ofSeconds(20)).until(() -> http.send(
                    HttpRequest.newBuilder(URI.create(agent.baseUrl() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body().contains("pdaltagent_delivery_retries_total{status=\"network\"}"));
            assertThat(agent.stop()).as("exit code after SIGTERM").isIn(0, 143);
            assertThat(agent.logText()).contains("pdaltagent stopped");
        }
        try (FakePagerDuty up = FakePagerDuty.builder().port(pdPort).start();
             AgentProcess agent = new AgentProcess(env, dir.resolve("agent2.log")).startAndAwaitHealthy()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> up.acceptedCount(KEY) == 20);
            assertThat(up.accepted(KEY).stream().map(ReceivedEvent::seq).toList())
                    .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L);
            assertThat(agent.healthStatus()).isEqualTo(200);
        }
    }
}
