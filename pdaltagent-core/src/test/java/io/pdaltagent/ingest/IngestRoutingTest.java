package io.pdaltagent.ingest;

import static io.pdaltagent.ingest.IngestBench.KEY;
import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.observe.AgentListener;
import io.pdaltagent.queue.InMemoryEventQueue;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.stream.Stream;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Which requests the handler takes, which it leaves to the handlers after it, and how it labels them. */
class IngestRoutingTest {
    private IngestBench bench;

    @BeforeEach
    void start() {
        bench = IngestBench.start();
    }

    @AfterEach
    void stop() {
        bench.close();
    }

    static Stream<Arguments> ingestPaths() {
        return Stream.of(
                Arguments.of("/v2/enqueue", "/v2/enqueue"),
                Arguments.of("/v2/change/enqueue", "/v2/change/enqueue"),
                Arguments.of("/generic/2010-04-15/create_event.json", "/generic/2010-04-15/create_event.json"),
                Arguments.of("/integration/" + KEY + "/enqueue", "/integration/{key}/enqueue"),
                Arguments.of("/x-ere/" + KEY, "/x-ere/{key}"),
                Arguments.of("/nagios/2010-04-15/create_event", "/nagios/2010-04-15/create_event"));
    }

    @Test
    void leavesOtherPathsToTheNextHandler() {
        HttpResponse<String> health = bench.send(bench.request("/healthz").GET());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("ok");
        assertThat(bench.listener.events()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/v2", "/v2/enqueue/", "/V2/ENQUEUE", "/v2/enqueue.json", "/v1/enqueue",
            "/generic/2010-04-15/create_event", "/integration/abc", "/integration/enqueue", "/x-ere",
            "/nagios/2010-04-15/create_event.json", "/healthz/x"})
    void doesNotTakePostsToPathsThatAreNotIngestPaths(String path) {
        HttpResponse<String> response = bench.postJson(path, "{}");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(bench.listener.events()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("ingestPaths")
    void answersOtherMethodsWith405AndAllowPost(String path, String template) {
        for (String method : new String[] {"GET", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
            HttpResponse<String> response = bench.send(bench.request(path)
                    .method(method, HttpRequest.BodyPublishers.ofString("{}")));
            IngestBench.assertAnswer(response, 405, """
                    {"status":"method not allowed","message":"Only POST is supported on this path",
                     "errors":["Method %s is not allowed"]}""".formatted(method));
            assertThat(response.headers().firstValue("Allow")).hasValue("POST");
        }
        HttpResponse<String> head = bench.send(bench.request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(head.statusCode()).isEqualTo(405);
        assertThat(head.headers().firstValue("Allow")).hasValue("POST");
        assertThat(bench.listener.events()).hasSize(6).allMatch(e -> e.equals("rejected " + template + " method_not_allowed"));
        assertThat(bench.queue.openCount()).isZero();
    }

    @Test
    void reportsEachOutcomeToTheListenerUnderItsRouteTemplate() {
        bench.postJson("/v2/enqueue", """
                {"routing_key":"%s","event_action":"resolve","dedup_key":"d"}""".formatted(KEY));
        bench.postJson("/v2/change/enqueue", "{}");
        bench.postJson("/generic/2010-04-15/create_event.json", "[");
        bench.postJson("/integration/" + KEY + "/enqueue", "{}");
        bench.postJson("/x-ere/" + KEY + "?q=1", "{}");
        bench.post("/nagios/2010-04-15/create_event", "application/json", "{}".getBytes(StandardCharsets.UTF_8));

        assertThat(bench.listener.events()).containsExactly(
                "accepted /v2/enqueue",
                "rejected /v2/change/enqueue invalid",
                "rejected /generic/2010-04-15/create_event.json malformed",
                "accepted /integration/{key}/enqueue",
                "accepted /x-ere/{key}",
                "rejected /nagios/2010-04-15/create_event unsupported_media_type");
    }

    @Test
    void stillAnswersWhenTheListenerThrows() throws Exception {
        AgentListener throwing = new AgentListener() {
            @Override
            public void accepted(String path) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void rejected(String path, String reason) {
                throw new IllegalStateException("listener bug");
            }
        };
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        try (InMemoryEventQueue queue = new InMemoryEventQueue(Clock.systemUTC(), 10)) {
            server.setHandler(new IngestHandler(queue, throwing, Clock.systemUTC(), 1024));
            server.start();
            try (RawClient client = new RawClient(connector.getLocalPort())) {
                String body = """
                        {"routing_key":"%s","event_action":"resolve","dedup_key":"d"}""".formatted(KEY);
                client.send("POST /v2/enqueue HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
                assertThat(client.readResponse().status()).isEqualTo(202);
                client.send("POST /v2/enqueue HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n[]");
                assertThat(client.readResponse().status()).isEqualTo(400);
            }
            assertThat(queue.openCount()).isEqualTo(1);
        } finally {
            server.stop();
        }
    }

    @Test
    void refusesAQueueOrListenerThatIsMissingAndALimitBelowOne() {
        InMemoryEventQueue queue = new InMemoryEventQueue(Clock.systemUTC(), 1);
        org.assertj.core.api.Assertions.assertThatNullPointerException()
                .isThrownBy(() -> new IngestHandler(null, AgentListener.NONE, Clock.systemUTC(), 10));
        org.assertj.core.api.Assertions.assertThatNullPointerException()
                .isThrownBy(() -> new IngestHandler(queue, null, Clock.systemUTC(), 10));
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> new IngestHandler(queue, AgentListener.NONE, Clock.systemUTC(), 0));
    }
}
