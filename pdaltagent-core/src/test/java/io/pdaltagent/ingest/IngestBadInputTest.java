package io.pdaltagent.ingest;

import static io.pdaltagent.ingest.IngestBench.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.QueuedItem;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile and broken input is answered with a JSON 4xx, costs no other client anything, and leaves
 * the agent able to take the next good event: every test here ends by checking that one still gets
 * 202 from the same server.
 */
class IngestBadInputTest {
    private static final String GOOD = """
            {"routing_key":"%s","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}"""
            .formatted(KEY);
    private static final String[] JSON_PATHS = {"/v2/enqueue", "/v2/change/enqueue",
        "/generic/2010-04-15/create_event.json", "/integration/" + KEY + "/enqueue", "/x-ere/" + KEY};

    private static IngestBench bench;

    @BeforeAll
    static void start() {
        bench = IngestBench.start();
    }

    @AfterAll
    static void stop() {
        bench.close();
    }

    @BeforeEach
    void deliverWhatEarlierTestsQueued() {
        deliverAll();
        assertThat(bench.queue.openCount()).isZero();
    }

    /** Claims and completes every open item, in order, so that the shared queue starts empty again. */
    private static List<QueuedItem> deliverAll() {
        List<QueuedItem> all = new ArrayList<>();
        for (List<QueuedItem> items = bench.claimAll(); !items.isEmpty(); items = bench.claimAll()) {
            items.forEach(i -> bench.queue.complete(i, new Completion.Delivered(202)).join());
            all.addAll(items);
        }
        return all;
    }

    @AfterEach
    void aGoodEventIsStillAccepted() {
        HttpResponse<String> response = bench.postJson("/v2/enqueue", GOOD);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    }

    private static HttpResponse<String> postBytes(String path, byte[] body) {
        return bench.post(path, "application/json", body);
    }

    private static void assertUnrecognized(HttpResponse<String> response, String error) {
        IngestBench.assertAnswer(response, 400, """
                {"status":"Unrecognized object","message":"Event object format is unrecognized","errors":[%s]}"""
                .formatted(IngestBench.quote(error)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"routing_key\":", "{'routing_key':'x'}", "{\"a\":1,}", "{\"a\":1} trailing",
            "{\"a\":1}{\"b\":2}", "{\"a\":NaN}", "/* comment */ {}", "not json at all", "<event/>",
            "{\"a\":\"unterminated}", "{\"a\":\"raw\ttab\"}", "{\"a\":01}", "routing_key=abc&event_action=trigger"})
    void answersMalformedJsonWith400OnEveryJsonPath(String body) {
        for (String path : JSON_PATHS) {
            assertUnrecognized(bench.postJson(path, body), "JSON parse error");
        }
        assertThat(bench.queue.openCount()).isZero();
        assertThat(bench.listener.events()).last().asString().endsWith(" malformed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "[{\"routing_key\":\"x\"}]", "\"a string\"", "42", "true", "null"})
    void answersAJsonValueThatIsNoObjectWith400(String body) {
        String kind = switch (body.charAt(0)) {
            case '[' -> "array";
            case '"' -> "string";
            case 't' -> "boolean";
            case 'n' -> "null";
            default -> "number";
        };
        for (String path : JSON_PATHS) {
            assertUnrecognized(bench.postJson(path, body), "Event must be a JSON object, not " + kind);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\r\n\t "})
    void answersAnEmptyBodyWith400(String body) {
        for (String path : JSON_PATHS) {
            assertUnrecognized(bench.postJson(path, body), "Request body is empty");
        }
        HttpResponse<String> noBody = bench.send(bench.request("/v2/enqueue").POST(HttpRequest.BodyPublishers.noBody()));
        assertUnrecognized(noBody, "Request body is empty");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "c328", // a lead byte followed by no continuation
        "c0af", // overlong '/'
        "e080af", // overlong three-byte form
        "eda080", // UTF-16 surrogate encoded in UTF-8 (CESU-8)
        "f4908080", // above U+10FFFF
        "f5808080", // lead byte that UTF-8 never uses
        "80", // lone continuation byte
        "e282", // truncated sequence at the end
        "e9", // ISO-8859-1 e-acute
        "00", // NUL
    })
    void answersInvalidUtf8With400(String badHex) {
        byte[] prefix = "{\"routing_key\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] bad = HexFormat.of().parseHex(badHex);
        byte[] suffix = ("\",\"event_action\":\"resolve\",\"dedup_key\":\"d\"}").getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[prefix.length + bad.length + suffix.length];
        System.arraycopy(prefix, 0, body, 0, prefix.length);
        System.arraycopy(bad, 0, body, prefix.length, bad.length);
        System.arraycopy(suffix, 0, body, prefix.length + bad.length, suffix.length);

        for (String path : JSON_PATHS) {
            assertUnrecognized(postBytes(path, body), "Request body is not valid UTF-8");
        }
    }

    @Test
    void answersUtf16AndUtf32BodiesWith400() {
        String resolve = """
                {"routing_key":"%s","event_action":"resolve","dedup_key":"d"}""".formatted(KEY);
        for (java.nio.charset.Charset cs : List.of(StandardCharsets.UTF_16, StandardCharsets.UTF_16LE,
                StandardCharsets.UTF_16BE, java.nio.charset.Charset.forName("UTF-32"))) {
            assertUnrecognized(postBytes("/v2/enqueue", resolve.getBytes(cs)), "Request body is not valid UTF-8");
        }
        assertThat(bench.queue.openCount()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "deflate", "br", "x-unheard-of"})
    void answersACompressedBodyWith415SayingSo(String encoding) throws Exception {
        java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(zipped)) {
            gz.write(GOOD.getBytes(StandardCharsets.UTF_8));
        }
        for (String path : JSON_PATHS) {
            HttpResponse<String> response = bench.send(bench.request(path).header("Content-Encoding", encoding)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(zipped.toByteArray())));
            IngestBench.assertAnswer(response, 415, """
                    {"status":"unsupported media type","message":"Event object format is unrecognized",\
                    "errors":["Content-Encoding %s is not supported; send the body uncompressed"]}""".formatted(encoding));
        }
        assertThat(bench.queue.openCount()).isZero();
        assertThat(bench.listener.events()).last().asString().endsWith(" unsupported_media_type");
        // "identity" is no encoding at all
        HttpResponse<String> plain = bench.send(bench.request("/v2/enqueue").header("Content-Encoding", "identity")
                .POST(HttpRequest.BodyPublishers.ofString(GOOD)));
        assertThat(plain.statusCode()).isEqualTo(202);
        deliverAll();
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/x-www-form-urlencoded", "application/xml",
            "multipart/form-data; boundary=x", "application/json; charset=iso-8859-1", "*/*", "garbage;;;="})
    void ignoresTheContentTypeOnJsonPaths(String contentType) {
        HttpResponse<String> response = bench.post("/v2/enqueue", contentType, GOOD.getBytes(StandardCharsets.UTF_8));
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(deliverAll()).singleElement().extracting(QueuedItem::contentType).isEqualTo("application/json");
    }

    @Test
    void acceptsAJsonBodyWithoutContentType() {
        assertThat(bench.post("/v2/enqueue", null, GOOD.getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(202);
    }

    @Test
    void answersFieldsOfEveryWrongTypeWith400NeverWith5xx() {
        String[] values = {"null", "true", "0", "-1.5e300", "\"\"", "\"x\"", "[]", "[null]", "{}", "{\"a\":{}}"};
        String[] fields = {"routing_key", "event_action", "dedup_key", "payload", "service_key", "event_type",
            "incident_key", "description"};
        List<Integer> statuses = new ArrayList<>();
        for (String path : JSON_PATHS) {
            for (String field : fields) {
                for (String value : values) {
                    String body = GOOD.replaceFirst("\\{", "{\"" + field + "\":" + value + ",")
                            .replace("\"routing_key\":\"" + KEY + "\"", "\"rk\":1")
                            + "";
                    statuses.add(bench.postJson(path, body).statusCode());
                }
            }
        }
        assertThat(statuses).allMatch(s -> s == 200 || s == 202 || s == 400);
        assertThat(statuses).contains(400);
    }

    @Test
    void answersAOneMegabyteBodyWith413UnderPagerDutysLimit() {
        String body = """
                {"routing_key":"%s","event_action":"trigger","payload":{"summary":"%s","source":"h","severity":"info"}}"""
                .formatted(KEY, "x".repeat(1024 * 1024));
        HttpResponse<String> response = bench.postJson("/v2/enqueue", body);
        assertThat(response.statusCode()).isEqualTo(413);
        // the body was read to its end, so the connection stays usable
        assertThat(response.headers().firstValue("Connection")).isEmpty();
        assertThat(IngestBench.json(response.body()).get("errors").get(0).asText())
                .isEqualTo("Request body is larger than the limit of 524288 bytes");
    }

    @Test
    void cutsOffABodyFarOverTheLimitWithoutReadingItAll() {
        // past eight times the limit the agent stops reading and closes: the client sees a 413 or,
        // while it is still writing, a reset connection; either way nothing is stored
        try {
            HttpResponse<String> response = bench.postJson("/v2/enqueue", "{\"a\":\"" + "x".repeat(5 * 1024 * 1024) + "\"}");
            assertThat(response.statusCode()).isEqualTo(413);
        } catch (IllegalStateException reset) {
            assertThat(reset).hasRootCauseInstanceOf(java.io.IOException.class);
        }
        assertThat(bench.queue.openCount()).isZero();
    }

    @Test
    void checksOneMegabyteStringsWhenTheLimitAllowsThem() {
        try (IngestBench big = IngestBench.withMaxBody(4 * 1024 * 1024)) {
            String huge = "\u00e9".repeat(1024 * 1024);
            big.assertInvalid(big.postJson("/v2/enqueue", """
                    {"routing_key":"%s","event_action":"trigger","payload":{"summary":"%s","source":"h","severity":"info"}}"""
                    .formatted(KEY, huge)), "'payload.summary' is too long (maximum is 1024 characters)");
            big.assertInvalid(big.postJson("/v2/enqueue", """
                    {"routing_key":"%s","event_action":"resolve","dedup_key":"%s"}""".formatted(KEY, huge)),
                    "'dedup_key' is too long (maximum is 255 characters)");
            big.assertInvalid(big.postJson("/v2/enqueue", """
                    {"routing_key":"%s","event_action":"resolve","dedup_key":"d"}""".formatted(huge)),
                    "Length of 'routing_key' is incorrect (should be 32 characters)");
            assertUnrecognized(big.postJson("/v2/enqueue", """
                    {"%s":1}""".formatted(huge)), "JSON parse error (nesting, number or name over the parser limits)");

            // PagerDuty limits the event, not custom_details alone: a big detail passes when the limit allows it
            HttpResponse<String> bigDetails = big.postJson("/v2/enqueue", """
                    {"routing_key":"%s","event_action":"trigger","dedup_key":"d",
                     "payload":{"summary":"s","source":"h","severity":"info","custom_details":{"log":"%s"}}}"""
                    .formatted(KEY, huge));
            assertThat(bigDetails.statusCode()).isEqualTo(202);
        }
    }

    @Test
    void answersDeeplyNestedJsonWith400() {
        String constraint = "JSON parse error (nesting, number or name over the parser limits)";
        String deepDetails = "{\"a\":".repeat(200) + "1" + "}".repeat(200);
        assertUnrecognized(bench.postJson("/x-ere/" + KEY, deepDetails), constraint);
        assertUnrecognized(bench.postJson("/v2/enqueue", "[".repeat(400_000)), constraint);
        assertUnrecognized(bench.postJson("/v2/enqueue", "{\"a\":" + "[".repeat(400_000)), constraint);

        String nestedButFine = GOOD.replace("\"severity\":\"info\"",
                "\"severity\":\"info\",\"custom_details\":" + "{\"a\":".repeat(90) + "1" + "}".repeat(90));
        assertThat(bench.postJson("/v2/enqueue", nestedButFine).statusCode()).isEqualTo(202);
    }

    @Test
    void answersAbsurdNumbersWith400AndKeepsLargeButSaneOnes() {
        String constraint = "JSON parse error (nesting, number or name over the parser limits)";
        assertUnrecognized(bench.postJson("/x-ere/" + KEY, "{\"n\":" + "9".repeat(5000) + "}"), constraint);
        assertUnrecognized(bench.postJson("/x-ere/" + KEY, "{\"n\":0." + "1".repeat(5000) + "}"), constraint);
        // an exponent past an int: found by IntakeFuzzTest, was a 500
        assertUnrecognized(bench.postJson("/x-ere/" + KEY, "{\"n\":1e97777777777777799}"), constraint);
        assertUnrecognized(bench.postJson("/v2/enqueue", GOOD.replace("\"s\"", "\"s\",\"n\":-2.5E-99999999999")), constraint);

        // short literals with giant exponents are cheap and valid JSON: kept exactly, even when rewritten
        HttpResponse<String> response = bench.postJson("/x-ere/" + KEY, """
                {"event_action":"trigger","n":1e999999999,"m":-1E-999999999,"i":%s}""".formatted("7".repeat(900)));
        assertThat(response.statusCode()).isEqualTo(202);
        String stored = new String(deliverAll().get(0).body(), StandardCharsets.UTF_8);
        assertThat(stored).contains("\"n\":1E+999999999", "\"m\":-1E-999999999", "7".repeat(900), "\"dedup_key\":");
    }

    @Test
    void answersManyFieldsQuickly() {
        StringBuilder body = new StringBuilder("{\"routing_key\":\"" + KEY + "\",\"event_action\":\"resolve\",\"dedup_key\":\"d\"");
        for (int i = 0; i < 30_000; i++) {
            body.append(",\"f").append(i).append("\":").append(i);
        }
        body.append('}');
        assertThat(body.length()).isLessThan(IngestBench.DEFAULT_MAX_BODY);
        assertThat(bench.postJson("/v2/enqueue", body.toString()).statusCode()).isEqualTo(202);
    }

    @Test
    void keepsAnsweringOthersWhileClientsStallHalfWayThroughTheirBodies() throws Exception {
        // few threads, many stalled clients: a stalled body must hold no thread
        try (IngestBench small = IngestBench.withFewThreads(12, 30_000)) {
            List<RawClient> stalled = new ArrayList<>();
            try {
                for (int i = 0; i < 40; i++) {
                    String half = GOOD.substring(0, GOOD.length() / 2);
                    stalled.add(new RawClient(small.port).send("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\n"
                            + "Content-Type: application/json\r\nContent-Length: " + GOOD.length() + "\r\n\r\n" + half));
                }
                List<CompletableFuture<HttpResponse<String>>> others = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    others.add(small.client().sendAsync(small.request("/v2/enqueue")
                            .POST(HttpRequest.BodyPublishers.ofString(GOOD)).build(), HttpResponse.BodyHandlers.ofString()));
                }
                for (CompletableFuture<HttpResponse<String>> other : others) {
                    assertThat(other.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(202);
                }

                // a stalled client that finally sends the rest is answered like any other
                RawClient late = stalled.get(0);
                late.send(GOOD.substring(GOOD.length() / 2));
                assertThat(late.readResponse().status()).isEqualTo(202);
            } finally {
                stalled.forEach(RawClient::close);
            }
            assertThat(small.queue.openCount()).isEqualTo(31);
        }
    }

    @Test
    void answersAClientThatStallsPastTheIdleTimeoutWithAJsonError() {
        try (IngestBench impatient = IngestBench.withFewThreads(12, 300)) {
            try (RawClient client = new RawClient(impatient.port)) {
                client.send("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Length: " + GOOD.length() + "\r\n\r\n"
                        + GOOD.substring(0, 10));
                RawClient.RawResponse response = client.readResponse();
                assertThat(response.status()).isEqualTo(408);
                assertThat(response.headers()).containsEntry("content-type", "application/json");
                assertThat(IngestBench.json(response.body()).get("errors").get(0).asText())
                        .isEqualTo("Request body could not be read completely");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> impatient.listener.events()
                    .contains("rejected /v2/enqueue malformed"));
            assertThat(impatient.postJson("/v2/enqueue", GOOD).statusCode()).isEqualTo(202);
        }
    }

    @Test
    void survivesClientsThatHangUpHalfWayThroughTheirBodies() {
        long before = malformedCount();
        for (int i = 0; i < 20; i++) {
            try (RawClient client = new RawClient(bench.port)) {
                client.send("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Length: 1000\r\n\r\n{\"routing_key\":");
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> malformedCount() == before + 20);
        assertThat(bench.queue.openCount()).isZero();
    }

    private static long malformedCount() {
        return bench.listener.events().stream().filter(e -> e.equals("rejected /v2/enqueue malformed")).count();
    }

    @Test
    void survivesRequestsThatAreNotHttp() {
        try (RawClient client = new RawClient(bench.port)) {
            client.send("\u0016\u0003\u0001 this is a TLS hello, not HTTP\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(400);
        }
        try (RawClient client = new RawClient(bench.port)) {
            client.send("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Length: -5\r\n\r\n{}");
            assertThat(client.readResponse().status()).isEqualTo(400);
        }
        try (RawClient client = new RawClient(bench.port)) {
            client.send("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(400);
        }
        assertThat(bench.queue.openCount()).isZero();
    }
}
