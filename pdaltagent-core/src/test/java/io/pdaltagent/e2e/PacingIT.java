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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-key pacing through {@code bin/pdagentd}: a burst for one routing key against a fake
 * PagerDuty that enforces a per-key rate limit (time compressed: 10 per trailing second instead of
 * 120 per trailing minute, and the agent set to the same 600/min) goes out at the allowed rate,
 * in order, with few 429s and nothing dead; another key is not held up; the throttled state shows
 * in {@code pd-queue status}, {@code /healthz} and {@code /metrics}.
 */
class PacingIT {
    static final String BUSY = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static final String QUIET = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    static final int BURST = 80;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aBurstForOneKeyIsPacedWithFew429sAndTheThrottledStateIsVisible() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (FakePagerDuty pd = FakePagerDuty.builder().rateLimit(10, Duration.ofSeconds(1), true).start();
             AgentProcess agent = new AgentProcess(Map.of(
                     "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                     "PDAGENTD_EVENTS_BASE_URL", pd.baseUrl(),
                     "PDAGENTD_KEY_RATE_PER_MINUTE", "600",
                     "PDAGENTD_KEY_BURST", "3"), dir.resolve("agent.log")).startAndAwaitHealthy()) {
            for (int i = 0; i < BURST; i++) {
                send(http, agent, BUSY, i);
            }
            send(http, agent, QUIET, 0);
            await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(QUIET) == 1);
            assertThat(pd.acceptedCount(BUSY)).as("the quiet key did not wait for the burst").isLessThan(BURST);

            AtomicBoolean sawThrottled = new AtomicBoolean();
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                if (!sawThrottled.get() && pdQueueStatus(agent).lines()
                        .anyMatch(l -> l.startsWith(BUSY) && l.endsWith("throttled"))) {
                    sawThrottled.set(true);
                }
                return pd.acceptedCount(BUSY) == BURST;
            });
            assertThat(sawThrottled).as("pd-queue status marked the paced key throttled").isTrue();
            assertThat(pd.accepted(BUSY)).extracting(ReceivedEvent::seq).isSorted().doesNotHaveDuplicates();
            assertThat(pd.throttledCount()).as("429s met by an 80-event burst").isLessThanOrEqualTo(6);

            JsonNode health = JSON.readTree(get(http, agent, "/healthz"));
            assertThat(health.path("queue").path("dead").asLong()).isZero();
            JsonNode pacing = health.path("pacing");
            assertThat(pacing.path("rate_per_minute").asInt()).isEqualTo(600);
            assertThat(pacing.path("burst").asInt()).isEqualTo(3);
            assertThat(pacing.path("throttles").asLong()).isEqualTo(pd.throttledCount());
            String metrics = get(http, agent, "/metrics");
            assertThat(metrics).contains("pdaltagent_pacing_rate_per_minute 600",
                    "pdaltagent_pacing_throttles_total " + pd.throttledCount(), "pdaltagent_pacing_throttled_keys ");
        }
    }

    private static void send(HttpClient http, AgentProcess agent, String key, int seq) throws Exception {
        String body = "{\"routing_key\":\"" + key + "\",\"event_action\":\"trigger\",\"dedup_key\":\"d" + seq
                + "\",\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\",\"custom_details\":{\"seq\":"
                + seq + "}}}";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(agent.baseUrl() + "/v2/enqueue"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(202);
    }

    private static String get(HttpClient http, AgentProcess agent, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(agent.baseUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** {@code bin/pd-queue status} as a user runs it next to the agent. */
    private String pdQueueStatus(AgentProcess agent) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of(AgentProcess.projectRoot().resolve("bin/pd-queue").toString(),
                "status"));
        pb.environment().keySet().removeIf(k -> k.startsWith("PDAGENTD_") || k.startsWith("PDQUEUE_"));
        pb.environment().put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        pb.environment().put("PDAGENTD_HTTP_PORT", String.valueOf(agent.httpPort()));
        Path out = Files.createTempFile(dir, "pdq", ".out");
        pb.redirectOutput(out.toFile());
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("pd-queue status did not finish");
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }
}
