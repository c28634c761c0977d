package io.pdaltagent.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.InMemoryEventQueue;
import io.pdaltagent.queue.QueuedItem;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A real Jetty server on a free port with an {@link IngestHandler} in front of a small handler that
 * answers {@code GET /healthz} (standing in for the health and metrics handlers chained after
 * ingest), backed by an {@link InMemoryEventQueue} unless a test brings its own queue.
 */
final class IngestBench implements AutoCloseable {
    /** A service integration key: 32 lower-case hex digits. */
    static final String KEY = "0123456789abcdef0123456789abcdef";
    /** A ruleset key: 'R' and 31 more characters. */
    static final String RULESET_KEY = "R0123456789ABCDEFGHIJKLMNOPQRSTU";
    static final int DEFAULT_MAX_BODY = 512 * 1024;
    static final ObjectMapper MAPPER = new ObjectMapper();

    final EventQueue queue;
    final RecordingListener listener = new RecordingListener();
    final Server server;
    final URI base;
    final int port;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private IngestBench(EventQueue queue, int maxBodyBytes, int maxThreads, long idleTimeoutMillis) {
        this(queue, maxBodyBytes, maxThreads, idleTimeoutMillis, io.pdaltagent.config.AgentConfig.Allowlist.ALL);
    }

    private IngestBench(EventQueue queue, int maxBodyBytes, int maxThreads, long idleTimeoutMillis,
                        io.pdaltagent.config.AgentConfig.Allowlist allow) {
        this.queue = queue;
        QueuedThreadPool threads = new QueuedThreadPool(maxThreads, Math.min(4, maxThreads));
        threads.setName("ingest-test");
        server = new Server(threads);
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setPort(0);
        connector.setHost("127.0.0.1");
        connector.setIdleTimeout(idleTimeoutMillis);
        server.addConnector(connector);
        server.setHandler(new Handler.Sequence(
                new IngestHandler(queue, listener, Clock.systemUTC(), maxBodyBytes, Intake.plain(), allow), new Healthz()));
        try {
            server.start();
        } catch (Exception e) {
            throw new IllegalStateException("test server did not start", e);
        }
        port = connector.getLocalPort();
        base = URI.create("http://127.0.0.1:" + port);
    }

    static IngestBench start() {
        return start(new InMemoryEventQueue(Clock.systemUTC(), 1000), DEFAULT_MAX_BODY);
    }

    /** A relay that takes only the sources and keys of {@code allow}. */
    static IngestBench withAllowlist(io.pdaltagent.config.AgentConfig.Allowlist allow) {
        return new IngestBench(new InMemoryEventQueue(Clock.systemUTC(), 1000), DEFAULT_MAX_BODY, 32, 30_000, allow);
    }

    static IngestBench withMaxBody(int maxBodyBytes) {
        return start(new InMemoryEventQueue(Clock.systemUTC(), 1000), maxBodyBytes);
    }

    static IngestBench withQueueMax(int maxEvents) {
        return start(new InMemoryEventQueue(Clock.systemUTC(), maxEvents), DEFAULT_MAX_BODY);
    }

    static IngestBench start(EventQueue queue, int maxBodyBytes) {
        return new IngestBench(queue, maxBodyBytes, 32, 30_000);
    }

    /** A server with few threads and a given idle timeout, to show that stalled clients hold no thread. */
    static IngestBench withFewThreads(int maxThreads, long idleTimeoutMillis) {
        return new IngestBench(new InMemoryEventQueue(Clock.systemUTC(), 1000), DEFAULT_MAX_BODY, maxThreads,
                idleTimeoutMillis);
    }

    HttpResponse<String> postJson(String path, String json) {
        return post(path, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    HttpResponse<String> post(String path, String contentType, byte[] body) {
        HttpRequest.Builder b = request(path).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b);
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10));
    }

    HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("request failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    HttpClient client() {
        return client;
    }

    /** The items now in the queue, one per ordering key (the head of each). */
    List<QueuedItem> claimAll() {
        try {
            return queue.claim(1000, Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The single item in the queue; fails when there is not exactly one. */
    QueuedItem onlyItem() {
        List<QueuedItem> items = claimAll();
        assertThat(items).hasSize(1);
        assertThat(queue.openCount()).isEqualTo(1);
        return items.get(0);
    }

    static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    static JsonNode json(byte[] bytes) {
        return json(new String(bytes, StandardCharsets.UTF_8));
    }

    /** Checks the status, the JSON content type and the exact JSON body of an answer. */
    static void assertAnswer(HttpResponse<String> response, int status, String expectedJson) {
        assertThat(response.statusCode()).as("status of %s", response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(json(response.body())).isEqualTo(json(expectedJson));
    }

    /** Checks a 400 invalid-event answer listing exactly these errors, and that nothing was queued. */
    void assertInvalid(HttpResponse<String> response, String... errors) {
        assertThat(response.statusCode()).as("status of %s", response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode body = json(response.body());
        assertThat(body.get("status").asText()).isEqualTo("invalid event");
        assertThat(body.get("message").asText()).isEqualTo("Event object is invalid");
        assertThat(body.get("errors")).map(JsonNode::asText).containsExactly(errors);
        assertThat(body.size()).isEqualTo(3);
        assertThat(queue.openCount()).isZero();
    }

    /** Checks a 400 "Unrecognized object" answer with this error, and that nothing was queued. */
    void assertUnrecognized(HttpResponse<String> response, String error) {
        assertAnswer(response, 400, """
                {"status":"Unrecognized object","message":"Event object format is unrecognized","errors":[%s]}"""
                .formatted(quote(error)));
        assertThat(queue.openCount()).isZero();
    }

    static String quote(String s) {
        try {
            return MAPPER.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("test server did not stop", e);
        } finally {
            client.close();
            queue.close();
        }
    }

    /** Answers GET /healthz; anything else is left to Jetty (404). */
    private static final class Healthz extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            if (!"/healthz".equals(Request.getPathInContext(request))) {
                return false;
            }
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
            response.write(true, StandardCharsets.UTF_8.encode("ok"), callback);
            return true;
        }
    }
}
