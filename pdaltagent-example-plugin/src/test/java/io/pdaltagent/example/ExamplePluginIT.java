package io.pdaltagent.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.PluginJar;
import io.pdaltagent.testing.ReceivedEvent;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example plugin's jar, as built by this module, in {@code PDAGENTD_PLUGINS_DIR} of an agent
 * started through {@code bin/pdagentd}, beside a jar built here with a filter that throws and one
 * that hangs: events are filtered and delivered, heartbeats are kept as suppressed, the port-check
 * source's trigger arrives, and the failing plugins cost nothing but their counters.
 */
@Timeout(180)
class ExamplePluginIT {
    static final String KEY = "exampleplugin0000000000000000000";

    @TempDir
    Path dir;

    @Test
    void theExamplePluginsRunInTheAgentAndAThrowingOrHangingPluginDoesNotStopDelivery() throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(Path.of("target/pdaltagent-example-plugin.jar"), plugins.resolve("example.jar"));
        PluginJar.builder()
                .source("bad.Throws", """
                        package bad;
                        import io.pdaltagent.api.*;
                        public class Throws implements EventFilter {
                            public FilterResult filter(PluginEvent e) { throw new IllegalStateException("plugin bug"); }
                        }""")
                .source("bad.Hangs", """
                        package bad;
                        import io.pdaltagent.api.*;
                        public class Hangs implements EventFilter {
                            public FilterResult filter(PluginEvent e) throws Exception {
                                Thread.sleep(60_000);
                                return FilterResult.unchanged();
                            }
                        }""")
                .service("io.pdaltagent.api.EventFilter", "bad.Throws")
                .service("io.pdaltagent.api.EventFilter", "bad.Hangs")
                .write(plugins.resolve("bad.jar"));
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (FakePagerDuty pd = FakePagerDuty.builder().start()) {
            Map<String, String> env = Map.of(
                    "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                    "PDAGENTD_EVENTS_BASE_URL", "http://127.0.0.1:" + pd.port(),
                    "PDAGENTD_PLUGINS_DIR", plugins.toString(),
                    "PDAGENTD_PLUGIN_TIMEOUT_MILLIS", "100",
                    "EXAMPLE_PORT_CHECK", "127.0.0.1:" + closedPort,
                    "EXAMPLE_PORT_CHECK_ROUTING_KEY", KEY,
                    "EXAMPLE_PORT_CHECK_SECONDS", "1");
            HttpClient http = HttpClient.newHttpClient();
            try (AgentProcess agent = new AgentProcess(env, dir.resolve("agent.log")).startAndAwaitHealthy()) {
                for (int i = 0; i < 10; i++) {
                    String cls = i % 5 == 4 ? "heartbeat" : "disk";
                    String body = "{\"routing_key\":\"" + KEY + "\",\"event_action\":\"trigger\",\"dedup_key\":\"k" + i
                            + "\",\"payload\":{\"summary\":\"s" + i + "\",\"source\":\"h\",\"severity\":\"info\",\"class\":\""
                            + cls + "\"}}";
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(agent.baseUrl() + "/v2/enqueue"))
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).isEqualTo(202);
                }
                // 8 posted events (2 heartbeats suppressed) and the port-check's trigger
                await().atMost(Duration.ofSeconds(60)).until(() -> pd.acceptedCount(KEY) >= 9);
                assertThat(pd.accepted(KEY)).filteredOn(e -> e.json().path("dedup_key").asText().startsWith("k"))
                        .hasSize(8)
                        .allSatisfy(e -> assertThat(e.json().at("/payload/custom_details/relayed_by").asText())
                                .isEqualTo("pdaltagent example plugin"));
                assertThat(pd.accepted(KEY)).map(ReceivedEvent::json)
                        .anySatisfy(j -> {
                            assertThat(j.path("dedup_key").asText()).isEqualTo("port-check 127.0.0.1:" + closedPort);
                            assertThat(j.path("event_action").asText()).isEqualTo("trigger");
                        });
                String metrics = http.send(HttpRequest.newBuilder(URI.create(agent.baseUrl() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains(
                        "pdaltagent_transform_plugin_event_filter_suppressed_total{plugin=\"example.heartbeat\"} 2",
                        "pdaltagent_transform_plugin_event_source_matched_total{plugin=\"example.port-check\"} 1");
                assertThat(metrics).containsPattern("plugin_event_filter_failed_total\\{plugin=\"bad.Throws\"} (9|1[0-9])");
                assertThat(metrics).containsPattern("plugin_event_filter_failed_total\\{plugin=\"bad.Hangs\"} [1-9]");
                assertThat(agent.logText()).contains("Plugin bad.Throws threw", "Plugin bad.Hangs did not answer within 100 ms");
            }
        }
    }
}
