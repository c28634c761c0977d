package io.pdaltagent.admin;

import io.pdaltagent.testing.BrokenStatsQueue;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.observe.Metrics;
import io.pdaltagent.testing.ManualClock;
import io.pdaltagent.observe.PromText;
import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.InMemoryEventQueue;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueuedItem;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AdminHandlerTest {
    private static final Instant T0 = Instant.parse("2025-03-01T12:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ManualClock clock = new ManualClock(T0);
    private final InMemoryEventQueue queue = new InMemoryEventQueue(clock, 100);
    private final Metrics metrics = new Metrics("1.2.3", clock);
    private final HttpClient http = HttpClient.newHttpClient();
    private Server server;
    private URI base;

    @AfterEach
    void stop() throws Exception {
        http.close();
        if (server != null) {
            server.stop();
        }
        queue.close();
    }

    @Test
    void healthIsOkWithQueueNumbersAndNoDeliveryYet() throws Exception {
        start(queue);
        HttpResponse<String> r = get("/healthz");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
        JsonNode body = JSON.readTree(r.body());
        assertThat(fieldNames(body)).containsExactly("status", "queue", "last_delivery", "version");
        assertThat(body.get("status").asText()).isEqualTo("ok");
        assertThat(body.get("version").asText()).isEqualTo("1.2.3");
        assertThat(body.get("last_delivery").isNull()).isTrue();
        JsonNode q = body.get("queue");
        assertThat(fieldNames(q)).containsExactly("depth", "in_flight", "retry_scheduled", "dead", "oldest_pending_age_seconds");
        assertThat(q.get("depth").asLong()).isZero();
        assertThat(q.get("oldest_pending_age_seconds").isNull()).isTrue();
    }

    @Test
    void healthReflectsTheQueueAndTheLastDelivery() throws Exception {
        queue.append(item("key-a")).get();
        queue.append(item("key-b")).get();
        queue.append(item("key-c")).get();
        List<QueuedItem> claimed = queue.claim(10, Duration.ZERO);
        for (QueuedItem c : claimed) {
            switch (c.orderingKey()) {
                case "key-b" -> queue.complete(c, new Completion.Retry(T0.plusSeconds(60), 503, "down")).get();
                case "key-c" -> queue.complete(c, new Completion.Dead(400, "invalid")).get();
                default -> { }
            }
        }
        clock.advance(Duration.ofMillis(90_700));
        metrics.dead(claimed.get(0), 400, "invalid");
        clock.advance(Duration.ofMillis(300));
        metrics.delivered(claimed.get(0), 202, Duration.ofSeconds(91));
        start(queue);

        JsonNode body = JSON.readTree(get("/healthz").body());
        JsonNode q = body.get("queue");
        assertThat(q.get("depth").asLong()).isEqualTo(2);
        assertThat(q.get("in_flight").asLong()).isEqualTo(1);
        assertThat(q.get("retry_scheduled").asLong()).isEqualTo(1);
        assertThat(q.get("dead").asLong()).isEqualTo(1);
        assertThat(q.get("oldest_pending_age_seconds").asLong()).isEqualTo(91);
        JsonNode last = body.get("last_delivery");
        assertThat(last.get("at").asText()).isEqualTo("2025-03-01T12:01:31Z");
        assertThat(last.get("outcome").asText()).isEqualTo("delivered");
        assertThat(last.get("status").asInt()).isEqualTo(202);
    }

    @Test
    void healthIs503WhenTheStoreIsClosed() throws Exception {
        start(queue);
        queue.close();
        HttpResponse<String> r = get("/healthz");
        assertThat(r.statusCode()).isEqualTo(503);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("status").asText()).isEqualTo("unavailable");
        assertThat(body.get("error").asText()).isNotBlank();
        assertThat(body.get("version").asText()).isEqualTo("1.2.3");
    }

    @Test
    void healthIs503WhenStatsFail() throws Exception {
        start(new BrokenStatsQueue(queue));
        HttpResponse<String> r = get("/healthz");
        assertThat(r.statusCode()).isEqualTo(503);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("status").asText()).isEqualTo("unavailable");
        assertThat(body.get("error").asText()).isEqualTo("disk I/O error");
        assertThat(body.get("queue").isNull()).isTrue();
    }

    @Test
    void metricsAreServedInTheTextFormat() throws Exception {
        metrics.accepted("/v2/enqueue");
        queue.append(item("key-a")).get();
        start(queue);
        HttpResponse<String> r = get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        Map<String, PromText.Family> f = PromText.parse(r.body());
        assertThat(f.get("pdaltagent_queue_depth").value("pdaltagent_queue_depth")).isEqualTo(1);
        assertThat(f.get("pdaltagent_ingest_accepted_total")
                .value("pdaltagent_ingest_accepted_total", "path", "/v2/enqueue")).isEqualTo(1);
    }

    @Test
    void headAnswersLikeGetWithoutABody() throws Exception {
        start(queue);
        for (String path : List.of("/healthz", "/metrics")) {
            HttpResponse<String> get = get(path);
            HttpResponse<String> head = send(HttpRequest.newBuilder(base.resolve(path)).HEAD());
            assertThat(head.statusCode()).as(path).isEqualTo(200);
            assertThat(head.body()).as(path).isEmpty();
            assertThat(head.headers().firstValue("Content-Type")).isEqualTo(get.headers().firstValue("Content-Type"));
            assertThat(head.headers().firstValueAsLong("Content-Length")).as(path).isPresent();
        }
        HttpResponse<String> get = get("/healthz");
        HttpResponse<String> head = send(HttpRequest.newBuilder(base.resolve("/healthz")).HEAD());
        assertThat(head.headers().firstValueAsLong("Content-Length"))
                .hasValue((long) get.body().getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void otherMethodsOnAdminPathsAre405() throws Exception {
        start(queue);
        for (String path : List.of("/healthz", "/metrics")) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve(path))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")));
            assertThat(r.statusCode()).as(path).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
            assertThat(JSON.readTree(r.body()).get("error").asText()).contains("not allowed");
        }
        HttpResponse<String> delete = send(HttpRequest.newBuilder(base.resolve("/healthz")).DELETE());
        assertThat(delete.statusCode()).isEqualTo(405);
    }

    @Test
    void otherPathsAreLeftToTheNextHandler() throws Exception {
        start(queue);
        for (String path : List.of("/", "/v2/enqueue", "/healthz/x", "/metricsx")) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(418);
            assertThat(r.body()).isEqualTo("next handler");
        }
    }

    // ---------------------------------------------------------------- helpers

    private void start(EventQueue q) throws Exception {
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        Handler next = new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(418);
                response.write(true, java.nio.ByteBuffer.wrap("next handler".getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        };
        server.setHandler(new Handler.Sequence(new AdminHandler(q, metrics, clock, "1.2.3"), next));
        server.start();
        base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private NewItem item(String key) {
        return new NewItem(key, Destination.events("/v2/enqueue"), "application/json",
                "{}".getBytes(StandardCharsets.UTF_8), null, clock.instant());
    }

}
