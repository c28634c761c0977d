package io.pdaltagent.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.queue.InMemoryEventQueue;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The deadlines of {@link SlowClientGuard} on a real server with the ingest handler, shortened so
 * that a test takes a second: a client that trickles its headers (slowloris) or its body gets a
 * 408 with a JSON body however steadily it trickles, while a client that is merely slow between
 * requests, or quick, is left alone.
 */
class SlowClientGuardTest {
    private static final Duration HEADERS = Duration.ofMillis(600);
    private static final Duration BODY = Duration.ofMillis(1200);
    private static final String GOOD = """
            {"routing_key":"%s","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}"""
            .formatted(IngestBench.KEY);

    private final RecordingListener listener = new RecordingListener();
    private InMemoryEventQueue queue;
    private Server server;
    private SlowClientGuard guard;
    private int port;

    @BeforeEach
    void start() throws Exception {
        queue = new InMemoryEventQueue(Clock.systemUTC(), 1000);
        server = new Server();
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        connector.setIdleTimeout(30_000); // far longer than the deadlines: the idle timeout is not what ends them
        server.addConnector(connector);
        guard = new SlowClientGuard(server.getScheduler(), HEADERS, BODY, Duration.ofMillis(50), System::nanoTime);
        server.addBean(guard);
        connector.addEventListener(guard);
        server.setHandler(new IngestHandler(queue, listener, Clock.systemUTC(), 512 * 1024));
        server.start();
        port = connector.getLocalPort();
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
        queue.close();
    }

    @Test
    void answers408AndClosesWhenHeadersTrickleInPastTheDeadline() throws Exception {
        try (Socket s = socket()) {
            String head = "POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nX-Padding: " + "a".repeat(100);
            long started = System.nanoTime();
            OutputStream out = s.getOutputStream();
            String answer = null;
            // a byte every 20 ms: never idle for long, never done
            for (int i = 0; i < head.length() && answer == null; i++) {
                try {
                    out.write(head.charAt(i));
                    out.flush();
                } catch (IOException closed) {
                    break;
                }
                sleepQuietly(20);
                if (s.getInputStream().available() > 0) {
                    answer = readAnswer(s.getInputStream());
                }
            }
            if (answer == null) {
                answer = readAnswer(s.getInputStream());
            }
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            assertThat(answer).startsWith("HTTP/1.1 408 ").contains("Content-Type: application/json",
                    "Connection: close", "{\"status\":\"Request Timeout\",\"message\":\"Request headers were not received in time\"");
            assertThat(tookMillis).isGreaterThanOrEqualTo(HEADERS.toMillis());
        }
        assertThat(guard.headerTimeouts()).isEqualTo(1);
        assertThat(queue.openCount()).isZero();
    }

    @Test
    void answers408WhenABodyTricklesInPastTheDeadline() throws Exception {
        try (Socket s = socket()) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Length: " + GOOD.length() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = null;
            for (int i = 0; i < GOOD.length() - 1 && answer == null; i++) {
                try {
                    out.write(GOOD.charAt(i));
                    out.flush();
                } catch (IOException closed) {
                    break;
                }
                sleepQuietly(20);
                if (s.getInputStream().available() > 0) {
                    answer = readAnswer(s.getInputStream());
                }
            }
            if (answer == null) {
                answer = readAnswer(s.getInputStream());
            }
            assertThat(answer).startsWith("HTTP/1.1 408 ").contains("\"errors\":[\"Request body could not be read completely\"]");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.events().contains("rejected /v2/enqueue malformed"));
        assertThat(guard.bodyTimeouts()).isEqualTo(1);
        assertThat(queue.openCount()).isZero();
    }

    @Test
    void leavesQuickRequestsAndIdleKeptAliveConnectionsAlone() throws Exception {
        try (RawClient client = new RawClient(port)) {
            for (int i = 0; i < 3; i++) {
                client.send("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Length: " + GOOD.length() + "\r\n\r\n" + GOOD);
                assertThat(client.readResponse().status()).isEqualTo(202);
                // idle between requests for longer than both deadlines: idle is for the idle timeout to judge
                sleepQuietly(HEADERS.plus(BODY).toMillis());
            }
        }
        assertThat(guard.headerTimeouts()).isZero();
        assertThat(guard.bodyTimeouts()).isZero();
        assertThat(queue.openCount()).isEqualTo(3);
    }

    @Test
    void followsEachRequestOfAKeptAliveConnectionOnItsOwn() throws Exception {
        // many quick requests, one after the other, for longer than the header deadline in all
        try (RawClient client = new RawClient(port)) {
            long end = System.nanoTime() + HEADERS.multipliedBy(3).toNanos();
            int n = 0;
            while (System.nanoTime() < end) {
                client.send("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Length: " + GOOD.length() + "\r\n\r\n");
                sleepQuietly(HEADERS.toMillis() / 4); // headers done, the body comes a little later
                client.send(GOOD);
                assertThat(client.readResponse().status()).isEqualTo(202);
                n++;
            }
            assertThat(n).isGreaterThan(3);
        }
        assertThat(guard.headerTimeouts()).isZero();
        assertThat(guard.bodyTimeouts()).isZero();
    }

    @Test
    void forgetsClosedConnections() throws Exception {
        for (int i = 0; i < 5; i++) {
            try (RawClient client = new RawClient(port)) {
                client.send("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Length: " + GOOD.length() + "\r\n\r\n" + GOOD);
                assertThat(client.readResponse().status()).isEqualTo(202);
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> guard.watched() == 0);
    }

    @Test
    void placesEveryParserStateInOnePhase() {
        assertThat(List.of(HttpParser.State.METHOD, HttpParser.State.URI, HttpParser.State.REQUEST_VERSION,
                HttpParser.State.HEADER)).allMatch(s -> SlowClientGuard.phaseOf(s) == SlowClientGuard.Phase.HEADERS);
        assertThat(List.of(HttpParser.State.CONTENT, HttpParser.State.CHUNK_SIZE, HttpParser.State.CHUNK,
                HttpParser.State.TRAILER)).allMatch(s -> SlowClientGuard.phaseOf(s) == SlowClientGuard.Phase.BODY);
        assertThat(List.of(HttpParser.State.START, HttpParser.State.END, HttpParser.State.CLOSE, HttpParser.State.CLOSED))
                .allMatch(s -> SlowClientGuard.phaseOf(s) == SlowClientGuard.Phase.IDLE);
    }

    private Socket socket() throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(10_000);
        return s;
    }

    /** One answer: the status line and headers, then as many body bytes as Content-Length says. */
    private static String readAnswer(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            head.write(c);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(text);
        int n = length.find() ? Integer.parseInt(length.group(1)) : 0;
        return text + new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }

    /** The client side's pacing between the bytes it trickles; the server's deadlines are what is tested. */
    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
