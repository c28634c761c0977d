package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ReceivedEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed and hostile HTTP against the running agent ({@code bin/pdagentd}), over raw sockets:
 * oversized request lines and headers, request smuggling attempts, pipelining abuse, bodies over
 * the limit, wrong content types, invalid UTF-8, deep nesting and huge numbers. Every answer is a
 * clean 4xx with a JSON body, or a closed connection where HTTP requires one (after a framing
 * error nothing more on the connection may be trusted); nothing smuggled is ever stored; and a
 * good client posting all along on fresh connections ({@link GoodTraffic}) has every event
 * accepted and delivered, in order. The last test checks exactly that, and that the agent is up.
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MalformedHttpIT {
    static final String GOOD_KEY = "goodgoodgoodgoodgoodgoodgoodgood";
    /** The key of every event hidden in an attack: none may reach PagerDuty. */
    static final String SMUGGLED_KEY = "smuggledsmuggledsmuggledsmuggled";
    static final String PIPELINED_KEY = "pipelinedpipelinedpipelinedpipel";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static FakePagerDuty pd;
    private static AgentProcess agent;
    private static GoodTraffic good;

    @BeforeAll
    static void start() throws IOException {
        pd = FakePagerDuty.builder().start();
        agent = new AgentProcess(Map.of(
                "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                "PDAGENTD_EVENTS_BASE_URL", pd.baseUrl(),
                "PDAGENTD_KEY_RATE_PER_MINUTE", "0"), // the good client posts faster than PagerDuty's pace
                dir.resolve("agent.log")).startAndAwaitHealthy();
        good = new GoodTraffic(agent.httpPort(), GOOD_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        if (good != null) {
            good.stop();
        }
        if (agent != null) {
            agent.close();
        }
        if (pd != null) {
            pd.close();
        }
    }

    static String event(String key, String dedup) {
        return "{\"routing_key\":\"" + key + "\",\"event_action\":\"trigger\",\"dedup_key\":\"" + dedup + "\","
                + "\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\"}}";
    }

    static String post(String body) {
        return "POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    /** A 4xx answer with a JSON object body (PagerDuty's error shape). */
    static void assertClean4xx(RawHttp.Answer a, int status) {
        assertThat(a).as("an answer, not a dropped connection").isNotNull();
        assertThat(a.status()).as(a.body()).isEqualTo(status);
        assertThat(a.headers()).containsEntry("content-type", "application/json");
        JsonNode body = json(a.body());
        assertThat(body.isObject()).isTrue();
        assertThat(body.path("errors").isArray()).as(a.body()).isTrue();
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    /** After a framing error: the 4xx, then the connection is closed (nothing after it is read). */
    static void assertRefusedAndClosed(RawHttp http, int status) {
        RawHttp.Answer a = http.read();
        assertClean4xx(a, status);
        assertThat(a.closes()).as("Connection: close on %s", a.headers()).isTrue();
        assertThat(http.closedByAgent()).isTrue();
    }

    @Test
    @Order(1)
    void answersOversizedRequestLinesWith414() {
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            http.sendQuietly("POST /v2/enqueue?" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: relay\r\n\r\n");
            assertRefusedAndClosed(http, 414);
        }
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            http.sendQuietly("POST /x-ere/" + "k".repeat(9_000) + " HTTP/1.1\r\nHost: relay\r\nContent-Length: 2\r\n\r\n{}");
            assertRefusedAndClosed(http, 414);
        }
    }

    @Test
    @Order(2)
    void answersOversizedHeadersWith431() {
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            http.sendQuietly("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nX-Big: " + "b".repeat(9_000) + "\r\n\r\n");
            assertRefusedAndClosed(http, 431);
        }
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            StringBuilder many = new StringBuilder("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\n");
            for (int i = 0; i < 1000; i++) {
                many.append("X-Header-").append(i).append(": v\r\n"); // 16 KB in all, each line short
            }
            http.sendQuietly(many.append("\r\n").toString());
            assertRefusedAndClosed(http, 431);
        }
    }

    @Test
    @Order(3)
    void refusesBothContentLengthAndTransferEncodingAndStoresNothingSmuggled() {
        String smuggled = post(event(SMUGGLED_KEY, "cl-te"));
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            // CL.TE: a front end reading the Content-Length would pass the hidden request on as a body
            http.sendQuietly("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Length: 6\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled);
            assertRefusedAndClosed(http, 400);
        }
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            // TE.CL: the same, the other way round
            String hidden = Integer.toHexString(smuggled.length()) + "\r\n" + smuggled + "\r\n0\r\n\r\n";
            http.sendQuietly("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: chunked\r\n"
                    + "Content-Length: 4\r\n\r\n" + hidden);
            assertRefusedAndClosed(http, 400);
        }
    }

    @Test
    @Order(4)
    void refusesDuplicateAndBrokenContentLengths() {
        for (String lengths : List.of("Content-Length: 2\r\nContent-Length: 100", "Content-Length: 2, 100",
                "Content-Length: -1", "Content-Length: 1e3", "Content-Length: 99999999999999999999999",
                "Content-Length: +2", "Content-Length: 0x10")) {
            try (RawHttp http = new RawHttp(agent.httpPort())) {
                http.sendQuietly("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\n" + lengths + "\r\n\r\n{}" + post(
                        event(SMUGGLED_KEY, "dup-cl")));
                assertRefusedAndClosed(http, 400);
            }
        }
    }

    @Test
    @Order(5)
    void refusesObfuscatedTransferEncodings() {
        for (String te : List.of("Transfer-Encoding: xchunked", "Transfer-Encoding: chunked, identity",
                "Transfer-Encoding : chunked", "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity",
                "Transfer-Encoding: identity", "Transfer-Encoding:\u000bchunked", " Transfer-Encoding: chunked",
                "Transfer-Encoding: \"chunked\"", "Transfer_Encoding: chunked\r\nContent-Length: 5")) {
            try (RawHttp http = new RawHttp(agent.httpPort())) {
                String hidden = post(event(SMUGGLED_KEY, "obfuscated-te"));
                http.sendQuietly("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\n" + te + "\r\n\r\n"
                        + Integer.toHexString(hidden.length()) + "\r\n" + hidden + "\r\n0\r\n\r\n");
                RawHttp.Answer a = http.read();
                assertClean4xx(a, a == null ? 400 : a.status());
                assertThat(a.status()).as(te).isBetween(400, 499);
            }
        }
    }

    @Test
    @Order(6)
    void refusesChunkSizesThatOverflowOrLie() {
        for (String chunks : List.of("FFFFFFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n", "-2\r\n{}\r\n0\r\n\r\n",
                "2;" + "x".repeat(10_000) + "\r\n{}\r\n0\r\n\r\n", "2\r\n{}xx\r\n0\r\n\r\n", "zz\r\n")) {
            try (RawHttp http = new RawHttp(agent.httpPort())) {
                http.sendQuietly("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
                        + post(event(SMUGGLED_KEY, "chunk")));
                RawHttp.Answer a = http.read();
                assertClean4xx(a, a == null ? 400 : a.status());
                assertThat(a.status()).isBetween(400, 499);
            }
        }
    }

    @Test
    @Order(7)
    void answersManyPipelinedRequestsInOrder() {
        int n = 300;
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < n; i++) {
            all.append(post(event(PIPELINED_KEY, "pipe-" + i)));
        }
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            http.send(all.toString());
            for (int i = 0; i < n; i++) {
                RawHttp.Answer a = http.read();
                assertThat(a).as("answer %d", i).isNotNull();
                assertThat(a.status()).as(a.body()).isEqualTo(202);
                assertThat(json(a.body()).get("dedup_key").asText()).isEqualTo("pipe-" + i);
            }
        }
    }

    @Test
    @Order(8)
    void ignoresWhatIsPipelinedAfterAFramingErrorButServesWhatFollowsAnInvalidEvent() {
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            http.sendQuietly("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Length: x\r\n\r\n"
                    + post(event(SMUGGLED_KEY, "after-bad-framing")));
            assertRefusedAndClosed(http, 400);
        }
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            http.sendQuietly("GARBAGE\r\n\r\n" + post(event(SMUGGLED_KEY, "after-garbage")));
            RawHttp.Answer a = http.read();
            assertClean4xx(a, 400);
            assertThat(http.closedByAgent()).isTrue();
        }
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            // an event PagerDuty would refuse is no framing error: the connection goes on
            http.send(post("{\"routing_key\":\"short\"}") + post(event(PIPELINED_KEY, "after-invalid")));
            assertClean4xx(http.read(), 400);
            assertThat(http.read().status()).isEqualTo(202);
        }
    }

    @Test
    @Order(9)
    void answersBodiesOverTheLimitWith413() {
        String big = "{\"a\":\"" + "x".repeat(600 * 1024) + "\"}";
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            http.sendQuietly(post(big));
            assertClean4xx(http.read(), 413);
        }
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            // chunked, so no length is announced: counted as it arrives
            StringBuilder chunked = new StringBuilder("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (int i = 0; i < 70; i++) {
                chunked.append("2000\r\n").append("y".repeat(0x2000)).append("\r\n");
            }
            http.sendQuietly(chunked.append("0\r\n\r\n").toString());
            assertClean4xx(http.read(), 413);
        }
    }

    @Test
    @Order(10)
    void answersWrongContentTypesAndEncodingsWith415() {
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            String form = "CONTACTPAGER=" + GOOD_KEY;
            http.send("POST /nagios/2010-04-15/create_event HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + form.length() + "\r\n\r\n" + form);
            assertClean4xx(http.read(), 415);
            String body = event(SMUGGLED_KEY, "gzip");
            http.send("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Encoding: gzip\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body);
            assertClean4xx(http.read(), 415);
        }
    }

    @Test
    @Order(11)
    void answersInvalidUtf8DeepNestingAndHugeNumbersWith400() {
        try (RawHttp http = new RawHttp(agent.httpPort())) {
            byte[] head = "POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Length: 12\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            byte[] body = {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, (byte) 0xED, (byte) 0xA0, '"', '}'};
            http.send(head).send(body);
            assertClean4xx(http.read(), 400);
            http.send(post("{\"a\":" + "[".repeat(50_000) + "1" + "]".repeat(50_000) + "}"));
            assertClean4xx(http.read(), 400);
            http.send(post("{\"routing_key\":\"" + SMUGGLED_KEY + "\",\"n\":" + "9".repeat(100_000) + "}"));
            assertClean4xx(http.read(), 400);
            http.send(post("{" + "\"k\":1,".repeat(1) + "\"" + "n".repeat(60_000) + "\":1}"));
            assertClean4xx(http.read(), 400);
        }
    }

    @Test
    @Order(12)
    void answersMethodsAndVersionsItDoesNotServeWith4xx() {
        for (String requestLine : List.of("GET /v2/enqueue HTTP/1.1", "PUT /v2/enqueue HTTP/1.1", "TRACE / HTTP/1.1",
                "POST /v2/enqueue HTTP/2.0", "POST /v2/enqueue HTTP/9.9", "POST /../../etc/passwd HTTP/1.1",
                "POST /v2/enqueue%00 HTTP/1.1", "POST http://evil/v2/enqueue HTTP/1.1")) {
            try (RawHttp http = new RawHttp(agent.httpPort())) {
                http.sendQuietly(requestLine + "\r\nHost: relay\r\nContent-Length: 2\r\n\r\n{}");
                RawHttp.Answer a = http.read();
                assertThat(a).as(requestLine).isNotNull();
                // HTTP/9.9 gets 505 HTTP Version Not Supported, the one answer HTTP has for it
                assertThat(a.status()).as(requestLine + ": " + a.body())
                        .isBetween(400, requestLine.endsWith("HTTP/9.9") ? 505 : 499);
                assertThat(a.headers()).containsEntry("content-type", "application/json");
            }
        }
    }

    @Test
    @Order(100)
    void everyGoodEventWasAcceptedAndDeliveredInOrderAndNothingSmuggledWas() throws Exception {
        List<GoodTraffic.Sent> sent = good.stop();
        assertThat(sent).isNotEmpty();
        assertThat(sent).allSatisfy(s -> assertThat(s.status()).as("good event %d", s.seq()).isEqualTo(202));
        await().atMost(Duration.ofSeconds(60)).until(() -> pd.acceptedCount(GOOD_KEY) >= sent.size());
        List<Long> seqs = pd.accepted(GOOD_KEY).stream().map(ReceivedEvent::seq).distinct().toList();
        assertThat(seqs).hasSize(sent.size()).isSorted();
        assertThat(pd.received(SMUGGLED_KEY)).as("events hidden in attacks").isEmpty();
        assertThat(agent.process().isAlive()).isTrue();
        assertThat(agent.healthStatus()).isEqualTo(200);
    }
}
