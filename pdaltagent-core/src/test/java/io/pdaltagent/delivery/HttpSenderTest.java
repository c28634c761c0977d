package io.pdaltagent.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.QueuedItem;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What {@link HttpSender} keeps of an answer, and that it sends the item as queued. */
class HttpSenderTest {
    HttpServer server;
    HttpSender sender;
    /** path -> the answer's body; "chunked" in the path sends it without Content-Length. */
    final Map<String, byte[]> answers = new ConcurrentHashMap<>();
    final List<String> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::answer);
        server.start();
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        sender = new HttpSender(base, Duration.ofSeconds(10), ProxySelector.of(null), null, "test");
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void answer(HttpExchange ex) throws IOException {
        byte[] in = ex.getRequestBody().readAllBytes();
        received.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " " + ex.getRequestHeaders().getFirst("Content-Type")
                + " " + ex.getRequestHeaders().getFirst("User-Agent") + " " + new String(in, StandardCharsets.UTF_8));
        String path = ex.getRequestURI().getPath();
        byte[] body = answers.getOrDefault(path, new byte[0]);
        ex.getResponseHeaders().add("Retry-After", "7");
        ex.sendResponseHeaders(202, path.contains("chunked") ? 0 : body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            // in pieces, so that the client gets the body in several reads
            for (int i = 0; i < body.length; i += 1000) {
                out.write(body, i, Math.min(1000, body.length - i));
                out.flush();
            }
        }
    }

    private HttpResult send(String path, String body) throws Exception {
        return sender.send(new QueuedItem(1, "k", Destination.events(path), "application/json",
                body.getBytes(StandardCharsets.UTF_8), "d", Instant.now(), DeliveryState.IN_FLIGHT, 1, Instant.now(), 0,
                null));
    }

    private static byte[] text(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) ('a' + i % 26);
        }
        return b;
    }

    @Test
    void sendsTheBodyToTheEventsPathAndKeepsTheShortAnswer() throws Exception {
        answers.put("/v2/enqueue", "{\"status\":\"success\",\"message\":\"Event processed\"}".getBytes(StandardCharsets.UTF_8));
        HttpResult r = send("/v2/enqueue", "{\"x\":1}");
        assertEquals(202, r.status());
        assertEquals("7", r.retryAfter());
        assertEquals("{\"status\":\"success\",\"message\":\"Event processed\"}", r.body());
        assertEquals(List.of("POST /v2/enqueue application/json pdaltagent/test {\"x\":1}"), received);
    }

    @Test
    void anEmptyAnswerIsAnEmptyBody() throws Exception {
        assertEquals("", send("/empty", "{}").body());
        assertEquals("", send("/empty-chunked", "{}").body());
    }

    @Test
    void keepsTheFirst4096BytesOfALongAnswerWithOrWithoutContentLength() throws Exception {
        byte[] big = text(30_000);
        answers.put("/long", big);
        answers.put("/long-chunked", big);
        String head = new String(big, 0, Sender.MAX_ANSWER_BYTES, StandardCharsets.US_ASCII);
        assertEquals(head, send("/long", "{}").body());
        assertEquals(head, send("/long-chunked", "{}").body());
        // a 3,000-byte chunked answer grows the array past its first size
        answers.put("/mid-chunked", text(3000));
        assertEquals(new String(text(3000), StandardCharsets.US_ASCII), send("/mid-chunked", "{}").body());
    }

    @Test
    void aVeryLongAnswerIsCutOffAndTheNextRequestStillGoesThrough() throws Exception {
        answers.put("/huge", text(500_000));
        answers.put("/huge-chunked", text(500_000));
        assertEquals(Sender.MAX_ANSWER_BYTES, send("/huge", "{}").body().length());
        assertEquals(Sender.MAX_ANSWER_BYTES, send("/huge-chunked", "{}").body().length());
        answers.put("/v2/enqueue", "ok".getBytes(StandardCharsets.UTF_8));
        assertEquals("ok", send("/v2/enqueue", "{}").body());
    }

    @Test
    void decodesUtf8() throws Exception {
        answers.put("/utf8", "{\"message\":\"Ereignis verarbeitet – ✓\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"message\":\"Ereignis verarbeitet – ✓\"}", send("/utf8", "{}").body());
    }

    @Test
    void aDestinationIsParsedOnce() {
        Destination d = Destination.events("/v2/enqueue");
        URI first = sender.uriOf(d);
        assertSame(first, sender.uriOf(Destination.events("/v2/enqueue")));
        assertEquals("http://127.0.0.1:" + server.getAddress().getPort() + "/v2/enqueue", first.toString());
        assertEquals(URI.create("https://example.com/hook"), sender.uriOf(new Destination(Destination.WEBHOOK, "https://example.com/hook")));
    }

    @Test
    void noRetryAfterIsNull() throws Exception {
        server.removeContext("/");
        server.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(500, -1);
            ex.close();
        });
        HttpResult r = send("/v2/enqueue", "{}");
        assertEquals(500, r.status());
        assertNull(r.retryAfter());
        assertEquals("", r.body());
    }
}
