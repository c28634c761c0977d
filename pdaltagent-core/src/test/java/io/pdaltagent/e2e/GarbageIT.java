package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ReceivedEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage from every side while good clients post: the agent stays up, answers every good event
 * with 202 and delivers all of them in order.
 */
@Timeout(180)
class GarbageIT {
    static final int GOOD_KEYS = 4;
    static final int GOOD_PER_KEY = 100;

    @TempDir
    Path dir;

    static String key(int k) {
        return String.format("good%028d", k);
    }

    @Test
    void garbageNeverTakesTheAgentDownNorCostsAGoodEvent() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().start();
             AgentProcess agent = new AgentProcess(Map.of(
                     "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                     "PDAGENTD_EVENTS_BASE_URL", pd.baseUrl(),
                     "PDAGENTD_KEY_RATE_PER_MINUTE", "0"), // a load test: PagerDuty's pace would take minutes
                     dir.resolve("agent.log")).startAndAwaitHealthy()) {
            HttpClient http = HttpClient.newHttpClient();
            String url = agent.baseUrl();
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            List<Future<?>> tasks = new ArrayList<>();
            List<Socket> stalled = new ArrayList<>();

            // slow clients: half a request, then nothing
            for (int i = 0; i < 50; i++) {
                Socket s = new Socket("127.0.0.1", agent.httpPort());
                s.getOutputStream().write(("POST /v2/enqueue HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"rout")
                        .getBytes(StandardCharsets.US_ASCII));
                stalled.add(s);
            }
            for (int k = 0; k < GOOD_KEYS; k++) {
                int key = k;
                tasks.add(pool.submit(() -> {
                    for (int seq = 0; seq < GOOD_PER_KEY; seq++) {
                        String body = "{\"routing_key\":\"" + key(key) + "\",\"event_action\":\"trigger\",\"payload\":{"
                                + "\"summary\":\"ok\",\"source\":\"h\",\"severity\":\"info\",\"custom_details\":{\"seq\":" + seq + "}}}";
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/v2/enqueue"))
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
                    }
                    return null;
                }));
            }
            tasks.add(pool.submit(() -> {
                Random random = new Random(42);
                String[] bodies = {
                    "{", "[]", "null", "\"text\"", "{\"routing_key\":12345}", "{\"routing_key\":[1,2],\"event_action\":{}}",
                    "{\"routing_key\":\"" + "x".repeat(1_000_000) + "\"}", "{\"a\":" + "[".repeat(100_000) + "}",
                    "", "<xml/>", "{\"payload\":{\"summary\":\"\u0000\"}}",
                };
                for (int round = 0; round < 20; round++) {
                    for (String b : bodies) {
                        // /x-ere and /integration take any JSON object: only non-objects are garbage there
                        List<String> paths = b.startsWith("{\"routing_key\":1") || b.startsWith("{\"routing_key\":[")
                                ? List.of("/v2/enqueue", "/v2/change/enqueue", "/generic/2010-04-15/create_event.json",
                                        "/nagios/2010-04-15/create_event")
                                : List.of("/v2/enqueue", "/v2/change/enqueue", "/generic/2010-04-15/create_event.json",
                                        "/x-ere/abc", "/integration/abc/enqueue", "/nagios/2010-04-15/create_event");
                        for (String path : paths) {
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + path))
                                    .header("Content-Type", round % 2 == 0 ? "application/json" : "text/plain")
                                    .POST(HttpRequest.BodyPublishers.ofString(b)).build(), HttpResponse.BodyHandlers.ofString());
                            assertThat(r.statusCode()).as("%s %s", path, r.body()).isBetween(400, 499);
                            assertThat(r.body()).startsWith("{");
                        }
                    }
                    byte[] invalidUtf8 = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/v2/enqueue"))
                            .POST(HttpRequest.BodyPublishers.ofByteArray(invalidUtf8)).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).isEqualTo(400);
                    // not HTTP at all, and a connection dropped in the middle of a body
                    byte[] noise = new byte[4096];
                    random.nextBytes(noise);
                    rawAndClose(agent.httpPort(), noise);
                    rawAndClose(agent.httpPort(), "POST /v2/enqueue HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"routing_key\""
                            .getBytes(StandardCharsets.US_ASCII));
                    rawAndClose(agent.httpPort(), ("GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                }
                return null;
            }));
            for (Future<?> t : tasks) {
                t.get();
            }
            for (Socket s : stalled) {
                s.close();
            }
            pool.shutdown();

            await().atMost(Duration.ofSeconds(60)).until(() -> pd.acceptedCount() == GOOD_KEYS * GOOD_PER_KEY);
            for (int k = 0; k < GOOD_KEYS; k++) {
                assertThat(pd.accepted(key(k)).stream().map(ReceivedEvent::seq).toList()).isSorted().hasSize(GOOD_PER_KEY);
            }
            assertThat(pd.count()).as("nothing but the good events reached PagerDuty").isEqualTo(GOOD_KEYS * GOOD_PER_KEY);
            assertThat(agent.process().isAlive()).isTrue();
            assertThat(agent.healthStatus()).isEqualTo(200);
        }
    }

    private static void rawAndClose(int port, byte[] bytes) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            // the agent may close first: that is a fine answer to garbage
        }
    }
}
