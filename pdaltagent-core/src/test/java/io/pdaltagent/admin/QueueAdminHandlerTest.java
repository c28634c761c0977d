package io.pdaltagent.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.testing.ManualClock;
import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.InMemoryEventQueue;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.queue.SqliteEventQueue;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The queue admin API over a real Jetty server on a free port. */
class QueueAdminHandlerTest {
    static final String K1 = "key1aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static final String K2 = "key2aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static final String K3 = "key3aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static final String K4 = "key4aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private static final Instant T0 = Instant.parse("2025-03-01T12:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REJECTED = "HTTP 400: {\"status\":\"invalid event\",\"message\":\"Event object is invalid\","
            + "\"errors\":[\"Length of 'routing_key' is incorrect\"]}";

    private final ManualClock clock = new ManualClock(T0);
    private final HttpClient http = HttpClient.newHttpClient();
    private EventQueue queue = new InMemoryEventQueue(clock, 1000);
    private Server server;
    private int port;
    /** When set, requests look as if they came from this address. */
    private volatile InetSocketAddress fakeRemote;
    /** The admin token the handler is built with; null: none. */
    private String token;
    private static final String TOKEN = "s3cret-token-0123456789";

    @TempDir
    Path dir;

    @AfterEach
    void stop() throws Exception {
        http.close();
        if (server != null) {
            server.stop();
        }
        queue.close();
    }

    @Test
    void statusCountsPerKeyWithTotalsAndTheThrottledFlag() throws Exception {
        populate(queue, clock);
        start();
        String accepted = "\"" + clock.instant() + "\"";
        JsonNode doc = ok(get("/admin/v1/queue/status"));
        assertThat(doc.get("keys")).hasSize(3);
        assertThat(doc.get("keys").get(0).toString()).isEqualTo("{\"key\":\"" + K1
                + "\",\"pending\":1,\"succeeded\":0,\"dead\":0,\"throttled\":true,\"in_flight\":0,\"oldest_open_accepted_at\":"
                + accepted + "}");
        assertThat(doc.get("keys").get(1).toString()).isEqualTo("{\"key\":\"" + K2
                + "\",\"pending\":1,\"succeeded\":0,\"dead\":1,\"throttled\":false,\"in_flight\":0,\"oldest_open_accepted_at\":"
                + accepted + "}");
        assertThat(doc.get("keys").get(2).toString()).isEqualTo("{\"key\":\"" + K3
                + "\",\"pending\":0,\"succeeded\":1,\"dead\":0,\"throttled\":false,\"in_flight\":0,\"oldest_open_accepted_at\":null}");
        assertThat(doc.get("totals").toString())
                .isEqualTo("{\"pending\":2,\"succeeded\":1,\"dead\":1,\"throttled_keys\":1}");

        JsonNode one = ok(get("/admin/v1/queue/status?key=" + K2));
        assertThat(one.get("keys")).hasSize(1);
        assertThat(one.get("keys").get(0).get("key").asText()).isEqualTo(K2);
        assertThat(ok(get("/admin/v1/queue/status?key=nosuchkey")).get("keys")).isEmpty();
    }

    @Test
    void statusOfAnEmptyQueue() throws Exception {
        start();
        assertThat(ok(get("/admin/v1/queue/status")).toString())
                .isEqualTo("{\"keys\":[],\"totals\":{\"pending\":0,\"succeeded\":0,\"dead\":0,\"throttled_keys\":0}}");
    }

    @Test
    void retryOneKeyOrAllKeys() throws Exception {
        populate(queue, clock);
        deadEvent(queue, K4, "dead-too");
        start();
        assertThat(ok(post("/admin/v1/queue/retry", "{\"key\":\"" + K2 + "\"}")).toString()).isEqualTo("{\"retried\":1}");
        assertThat(queue.keyStats(K2).get(0).dead()).isZero();
        assertThat(queue.keyStats(K2).get(0).pending()).isEqualTo(2);
        assertThat(ok(post("/admin/v1/queue/retry", "{\"key\":\"" + K2 + "\"}")).get("retried").asInt()).isZero();
        assertThat(ok(post("/admin/v1/queue/retry", "{\"all\":true}")).get("retried").asInt()).isEqualTo(1);
        assertThat(queue.stats().dead()).isZero();
    }

    @Test
    void retryRefusesNeitherOrBothWithPagerDutyAgentsWords() throws Exception {
        start();
        for (String body : List.of("{}", "", "{\"all\":false}", "{\"key\":null}")) {
            HttpResponse<String> r = post("/admin/v1/queue/retry", body);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            assertThat(error(r)).isEqualTo("A specific service key or a flag for all keys required");
        }
        HttpResponse<String> both = post("/admin/v1/queue/retry", "{\"key\":\"" + K1 + "\",\"all\":true}");
        assertThat(both.statusCode()).isEqualTo(400);
        assertThat(error(both)).isEqualTo("Only one of specific service key or flag for all keys required");
    }

    @Test
    void badRequestBodiesAre400() throws Exception {
        start();
        assertThat(error(expect(400, post("/admin/v1/queue/retry", "not json")))).contains("not JSON");
        assertThat(error(expect(400, post("/admin/v1/queue/retry", "[1]")))).contains("JSON object");
        assertThat(error(expect(400, post("/admin/v1/queue/retry", "{\"key\":5}")))).contains("'key' must be a string");
        assertThat(error(expect(400, post("/admin/v1/queue/retry", "{\"all\":\"yes\"}")))).contains("'all'");
        assertThat(error(expect(400, post("/admin/v1/queue/retry", "{\"key\":\" \"}")))).contains("must not be empty");
        assertThat(error(expect(400, post("/admin/v1/queue/purge", "{}")))).contains("'state' is required");
        assertThat(error(expect(400, post("/admin/v1/queue/purge", "{\"state\":\"pending\"}")))).contains("\"dead\" or \"delivered\"");
        assertThat(error(expect(400, get("/admin/v1/queue/dead?limit=x")))).contains("'limit'");
        assertThat(error(expect(400, get("/admin/v1/queue/dead?limit=0")))).contains("'limit' must be from 1");
        assertThat(error(expect(413, post("/admin/v1/queue/retry", "{\"key\":\"" + "k".repeat(70_000) + "\"}"))))
                .contains("over");
    }

    @Test
    void deadEventsCarryPagerDutysAnswer() throws Exception {
        populate(queue, clock);
        start();
        JsonNode doc = ok(get("/admin/v1/queue/dead"));
        assertThat(doc.get("more").asBoolean()).isFalse();
        assertThat(doc.get("events")).hasSize(1);
        JsonNode e = doc.get("events").get(0);
        assertThat(fieldNames(e)).containsExactly("seq", "key", "dedup_key", "state", "destination", "attempts",
                "accepted_at", "last_status", "last_error");
        assertThat(e.get("key").asText()).isEqualTo(K2);
        assertThat(e.get("dedup_key").asText()).isEqualTo("test21");
        assertThat(e.get("state").asText()).isEqualTo("dead");
        assertThat(e.get("destination").toString()).isEqualTo("{\"kind\":\"events\",\"target\":\"/v2/enqueue\"}");
        assertThat(e.get("attempts").asInt()).isEqualTo(1);
        assertThat(e.get("accepted_at").asText()).isEqualTo("2025-03-01T12:00:00Z");
        assertThat(e.get("last_status").asInt()).isEqualTo(400);
        assertThat(e.get("last_error").asText()).isEqualTo(REJECTED);

        assertThat(ok(get("/admin/v1/queue/dead?key=" + K1)).get("events")).isEmpty();
        assertThat(ok(get("/admin/v1/queue/dead?key=" + K2)).get("events")).hasSize(1);
    }

    @Test
    void theDeadListIsCutAtTheLimitAndSaysSo() throws Exception {
        for (int i = 0; i < 5; i++) {
            deadEvent(queue, K1, "d" + i);
        }
        start();
        JsonNode doc = ok(get("/admin/v1/queue/dead?limit=3"));
        assertThat(doc.get("events")).extracting(n -> n.get("dedup_key").asText()).containsExactly("d0", "d1", "d2");
        assertThat(doc.get("more").asBoolean()).isTrue();
        assertThat(ok(get("/admin/v1/queue/dead?limit=5")).get("more").asBoolean()).isFalse();
    }

    @Test
    void oneEventWithItsBody() throws Exception {
        populate(queue, clock);
        start();
        long seq = queue.listDead(K2, 1).get(0).seq();
        JsonNode e = ok(get("/admin/v1/queue/dead/" + seq));
        assertThat(e.get("seq").asLong()).isEqualTo(seq);
        assertThat(e.get("last_error").asText()).isEqualTo(REJECTED);
        assertThat(e.get("content_type").asText()).isEqualTo("application/json");
        assertThat(e.get("body").asText()).isEqualTo("{\"routing_key\":\"" + K2 + "\",\"dedup_key\":\"test21\"}");

        HttpResponse<String> missing = get("/admin/v1/queue/dead/999");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(error(missing)).isEqualTo("no event with seq 999 in the queue");
    }

    @Test
    void purgeDeadOrDeliveredForOneKeyOrAll() throws Exception {
        populate(queue, clock);
        deadEvent(queue, K4, "dead-too");
        start();
        assertThat(ok(post("/admin/v1/queue/purge", "{\"state\":\"dead\",\"key\":\"" + K4 + "\"}")).toString())
                .isEqualTo("{\"purged\":1}");
        assertThat(queue.stats().dead()).isEqualTo(1);
        assertThat(ok(post("/admin/v1/queue/purge", "{\"state\":\"dead\"}")).get("purged").asInt()).isEqualTo(1);
        assertThat(ok(post("/admin/v1/queue/purge", "{\"state\":\"delivered\"}")).get("purged").asInt()).isEqualTo(1);
        assertThat(queue.stats().dead()).isZero();
        assertThat(queue.stats().delivered()).isZero();
        assertThat(queue.openCount()).isEqualTo(2);
    }

    @Test
    void retryAndPurgeChosenDeadEventsLeaveEveryOtherEventAlone() throws Exception {
        populate(queue, clock);
        deadEvent(queue, K4, "dead-4a");
        List<QueuedItem> dead = queue.listDead(null, 10);
        assertThat(dead).hasSize(2);
        long deadK2 = dead.stream().filter(i -> i.orderingKey().equals(K2)).findFirst().orElseThrow().seq();
        long deadK4 = dead.stream().filter(i -> i.orderingKey().equals(K4)).findFirst().orElseThrow().seq();
        long pendingK1 = queue.keyStats(K1).get(0).pending();
        start();

        // K1's event (seq 1, waiting for a retry) and an unknown seq are named too: neither is dead, neither is touched
        assertThat(ok(post("/admin/v1/queue/retry", "{\"seqs\":[" + deadK2 + ",1,999999]}")).toString())
                .isEqualTo("{\"retried\":1}");
        assertThat(queue.keyStats(K2).get(0).dead()).isZero();
        assertThat(queue.keyStats(K4).get(0).dead()).isEqualTo(1);
        assertThat(queue.keyStats(K1).get(0).pending()).isEqualTo(pendingK1).isPositive();
        assertThat(ok(post("/admin/v1/queue/purge", "{\"state\":\"dead\",\"seqs\":[" + deadK4 + "," + deadK2 + "]}")).toString())
                .isEqualTo("{\"purged\":1}");
        assertThat(queue.get(deadK4)).isNull();
        assertThat(queue.get(deadK2)).isNotNull();
        assertThat(queue.stats().dead()).isZero();
    }

    @Test
    void chosenEventsMustBeAShortListOfSequenceNumbersAndGoAlone() throws Exception {
        start();
        assertThat(error(expect(400, post("/admin/v1/queue/retry", "{\"seqs\":[]}")))).contains("non-empty array");
        assertThat(error(expect(400, post("/admin/v1/queue/retry", "{\"seqs\":\"3\"}")))).contains("non-empty array");
        assertThat(error(expect(400, post("/admin/v1/queue/retry", "{\"seqs\":[0]}")))).contains("whole numbers from 1");
        assertThat(error(expect(400, post("/admin/v1/queue/retry", "{\"seqs\":[1.5]}")))).contains("whole numbers from 1");
        assertThat(error(expect(400, post("/admin/v1/queue/retry", "{\"seqs\":[1],\"all\":true}")))).contains("goes alone");
        assertThat(error(expect(400, post("/admin/v1/queue/purge", "{\"seqs\":[1],\"state\":\"delivered\"}"))))
                .contains("dead events only");
        StringBuilder many = new StringBuilder("{\"seqs\":[1");
        for (int i = 2; i <= QueueAdmin.MAX_SEQS + 1; i++) {
            many.append(',').append(i);
        }
        assertThat(error(expect(400, post("/admin/v1/queue/purge", many.append("]}").toString())))).contains("at most 1000");
    }

    @Test
    void worksOnTheEmbeddedQueueToo() throws Exception {
        queue.close();
        queue = SqliteEventQueue.open(dir, clock, 1000);
        populate(queue, clock);
        start();
        assertThat(ok(get("/admin/v1/queue/status")).get("totals").toString())
                .isEqualTo("{\"pending\":2,\"succeeded\":1,\"dead\":1,\"throttled_keys\":1}");
        long seq = ok(get("/admin/v1/queue/dead")).get("events").get(0).get("seq").asLong();
        assertThat(ok(get("/admin/v1/queue/dead/" + seq)).get("last_error").asText()).isEqualTo(REJECTED);
        assertThat(ok(post("/admin/v1/queue/retry", "{\"all\":true}")).get("retried").asInt()).isEqualTo(1);
        assertThat(ok(post("/admin/v1/queue/purge", "{\"state\":\"delivered\"}")).get("purged").asInt()).isEqualTo(1);
    }

    @Test
    void wrongMethodsAre405WithAllow() throws Exception {
        start();
        HttpResponse<String> r = get("/admin/v1/queue/retry");
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).hasValue("POST");
        HttpResponse<String> p = post("/admin/v1/queue/status", "{}");
        assertThat(p.statusCode()).isEqualTo(405);
        assertThat(p.headers().firstValue("Allow")).hasValue("GET");
        assertThat(post("/admin/v1/queue/dead/1", "{}").statusCode()).isEqualTo(405);
        assertThat(send(HttpRequest.newBuilder(uri("/admin/v1/queue/purge")).DELETE()).statusCode()).isEqualTo(405);
    }

    @Test
    void unknownQueueAdminPathsAre404AndOtherPathsGoToTheNextHandler() throws Exception {
        start();
        for (String path : List.of("/admin/v1/queue", "/admin/v1/queue/", "/admin/v1/queue/nope", "/admin/v1/queue/dead/x",
                "/admin/v1/queue/dead/1/2")) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(404);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(error(r)).as(path).startsWith("no such queue admin path");
        }
        for (String path : List.of("/", "/admin", "/admin/v1/queuex", "/admin/v2/queue/status", "/healthz")) {
            assertThat(get(path).statusCode()).as(path).isEqualTo(418);
        }
    }

    @Test
    void requestsFromOtherHostsAreRefused() throws Exception {
        populate(queue, clock);
        start();
        fakeRemote = new InetSocketAddress("192.0.2.7", 40000);
        for (HttpResponse<String> r : List.of(get("/admin/v1/queue/status"), post("/admin/v1/queue/purge", "{\"state\":\"dead\"}"),
                get("/admin/v1/queue/nope"))) {
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(error(r)).contains("only requests from this host");
        }
        assertThat(queue.stats().dead()).isEqualTo(1);
        fakeRemote = new InetSocketAddress("::1", 40000);
        assertThat(get("/admin/v1/queue/status").statusCode()).isEqualTo(200);
        fakeRemote = new InetSocketAddress("127.8.9.10", 40000);
        assertThat(get("/admin/v1/queue/status").statusCode()).isEqualTo(200);
    }

    @Test
    void browserRequestsAreRefused() throws Exception {
        populate(queue, clock);
        start();
        // a web page posting to the agent (CSRF): browsers always send Origin on POST
        HttpResponse<String> csrf = send(HttpRequest.newBuilder(uri("/admin/v1/queue/purge"))
                .header("Origin", "https://evil.example").POST(HttpRequest.BodyPublishers.ofString("{\"state\":\"dead\"}")));
        assertThat(csrf.statusCode()).isEqualTo(403);
        assertThat(error(csrf)).contains("browser");
        assertThat(queue.stats().dead()).isEqualTo(1);
        // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1
        String rebound = raw("GET /admin/v1/queue/dead HTTP/1.1\r\nHost: evil.example:" + port + "\r\nConnection: close\r\n\r\n");
        assertThat(rebound).startsWith("HTTP/1.1 403").contains("addressed to localhost");
        assertThat(raw("GET /admin/v1/queue/status HTTP/1.1\r\nHost: localhost:" + port + "\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200");
        assertThat(raw("GET /admin/v1/queue/status HTTP/1.1\r\nHost: [::1]:" + port + "\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200");
        assertThat(raw("GET /admin/v1/queue/status HTTP/1.0\r\n\r\n")).startsWith("HTTP/1.1 200");
    }

    @Test
    void withATokenEveryChangeNeedsIt() throws Exception {
        populate(queue, clock);
        token = TOKEN;
        start();
        // reads from this host need nothing more
        assertThat(get("/admin/v1/queue/status").statusCode()).isEqualTo(200);
        HttpResponse<String> none = post("/admin/v1/queue/purge", "{\"state\":\"dead\"}");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(error(none)).contains("needs its token").doesNotContain(TOKEN);
        HttpResponse<String> wrong = send(HttpRequest.newBuilder(uri("/admin/v1/queue/purge")).header("Authorization", "Bearer nope")
                .POST(HttpRequest.BodyPublishers.ofString("{\"state\":\"dead\"}")));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(queue.stats().dead()).isEqualTo(1);
        HttpResponse<String> right = send(HttpRequest.newBuilder(uri("/admin/v1/queue/purge")).header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"state\":\"dead\"}")));
        assertThat(right.statusCode()).as(right.body()).isEqualTo(200);
        assertThat(queue.stats().dead()).isZero();
    }

    @Test
    void withATokenOtherHostsMayCallWithIt() throws Exception {
        populate(queue, clock);
        token = TOKEN;
        start();
        fakeRemote = new InetSocketAddress("192.0.2.7", 40000);
        assertThat(get("/admin/v1/queue/status").statusCode()).isEqualTo(401);
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/admin/v1/queue/status")).header("Authorization", "bearer " + TOKEN));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    @Test
    void aPageOfTheListenerItselfMayPostButNoOtherSite() throws Exception {
        populate(queue, clock);
        token = TOKEN;
        start();
        HttpResponse<String> same = send(HttpRequest.newBuilder(uri("/admin/v1/queue/retry")).header("Origin", "http://127.0.0.1:" + port)
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString("{\"all\":true}")));
        assertThat(same.statusCode()).as(same.body()).isEqualTo(200);
        for (String origin : List.of("http://127.0.0.1:" + (port + 1), "https://127.0.0.1:" + port, "http://evil.example", "null")) {
            HttpResponse<String> other = send(HttpRequest.newBuilder(uri("/admin/v1/queue/retry")).header("Origin", origin)
                    .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString("{\"all\":true}")));
            assertThat(other.statusCode()).as(origin).isEqualTo(403);
        }
    }

    @Test
    void localHostNames() {
        for (String h : List.of("localhost", "LOCALHOST", "localhost.", "a.localhost", "127.0.0.1", "127.1.2.3", "[::1]", "::1",
                "0:0:0:0:0:0:0:1")) {
            assertThat(QueueAdmin.isLocalHostName(h)).as(h).isTrue();
        }
        for (String h : List.of("evil.example", "localhost.evil.example", "10.0.0.1", "0.0.0.0", "[::]", "192.0.2.1",
                "127.0.0.1.nip.io", "1.2.3.4.5")) {
            assertThat(QueueAdmin.isLocalHostName(h)).as(h).isFalse();
        }
    }

    // ---------------------------------------------------------------- fixtures

    /**
     * PagerDuty Agent's status scenario: key1 one pending (waiting out a retry), key2 one dead (rejected)
     * and one pending, key3 one delivered.
     */
    static void populate(EventQueue q, ManualClock clock) throws Exception {
        q.append(item(K1, "test11")).get();
        q.append(item(K2, "test21")).get();
        q.append(item(K2, "test21")).get();
        q.append(item(K3, "test31")).get();
        List<QueuedItem> claimed = q.claim(10, Duration.ZERO);
        for (QueuedItem c : claimed) {
            switch (c.orderingKey()) {
                case K1 -> q.complete(c, new Completion.Retry(clock.instant().plusSeconds(3600), 500, "HTTP 500")).get();
                case K2 -> q.complete(c, new Completion.Dead(400, REJECTED)).get();
                default -> q.complete(c, new Completion.Delivered(202)).get();
            }
        }
    }

    /** Appends an event to a key that has no open events and makes it dead. */
    static void deadEvent(EventQueue q, String key, String dedup) throws Exception {
        q.append(item(key, dedup)).get();
        for (QueuedItem c : q.claim(10, Duration.ZERO)) {
            if (c.orderingKey().equals(key)) {
                q.complete(c, new Completion.Dead(400, "rejected " + dedup)).get();
            } else {
                q.complete(c, new Completion.Released()).get();
            }
        }
    }

    static NewItem item(String key, String dedup) {
        String body = "{\"routing_key\":\"" + key + "\",\"dedup_key\":\"" + dedup + "\"}";
        return new NewItem(key, Destination.events("/v2/enqueue"), "application/json", body.getBytes(StandardCharsets.UTF_8),
                dedup, T0);
    }

    private void start() throws Exception {
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        Handler next = new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(418);
                response.write(true, java.nio.ByteBuffer.wrap("next".getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        };
        Handler.Sequence sequence = new Handler.Sequence(new QueueAdminHandler(queue, token), next);
        // lets a test pretend that the request came from another address
        Handler.Wrapper spoofer = new Handler.Wrapper(sequence) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                InetSocketAddress remote = fakeRemote;
                if (remote == null) {
                    return super.handle(request, response, callback);
                }
                ConnectionMetaData meta = new ConnectionMetaData.Wrapper(request.getConnectionMetaData()) {
                    @Override
                    public SocketAddress getRemoteSocketAddress() {
                        return remote;
                    }
                };
                return super.handle(new Request.Wrapper(request) {
                    @Override
                    public ConnectionMetaData getConnectionMetaData() {
                        return meta;
                    }
                }, response, callback);
            }
        };
        server.setHandler(spoofer);
        server.start();
        port = connector.getLocalPort();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
        return JSON.readTree(r.body());
    }

    private static HttpResponse<String> expect(int status, HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return r;
    }

    private static String error(HttpResponse<String> r) throws Exception {
        JsonNode n = JSON.readTree(r.body());
        assertThat(n.get("status").asText()).isEqualTo("error");
        return n.get("error").asText();
    }

    private String raw(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            return all.toString(StandardCharsets.UTF_8);
        }
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
