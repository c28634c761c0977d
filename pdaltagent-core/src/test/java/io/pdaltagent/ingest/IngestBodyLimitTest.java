package io.pdaltagent.ingest;

import static io.pdaltagent.ingest.IngestBench.KEY;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bodies over the limit are answered 413, whether the client announces the length or streams it. */
class IngestBodyLimitTest {
    private static final int LIMIT = 1024;
    private static final String TOO_LARGE = """
            {"status":"invalid event","message":"Event object is invalid",
             "errors":["Request body is larger than the limit of 1024 bytes"]}""";
    private IngestBench bench;

    @BeforeEach
    void start() {
        bench = IngestBench.withMaxBody(LIMIT);
    }

    @AfterEach
    void stop() {
        bench.close();
    }

    /** A valid v2 resolve of exactly {@code size} bytes. */
    private static byte[] eventOfSize(int size) {
        String head = "{\"routing_key\":\"" + KEY + "\",\"event_action\":\"resolve\",\"dedup_key\":\"d\",\"pad\":\"";
        String tail = "\"}";
        return (head + "x".repeat(size - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
    }

    /** A body publisher without a known length, so that the client sends it chunked. */
    private static HttpRequest.BodyPublisher chunked(byte[] body) {
        HttpRequest.BodyPublisher known = HttpRequest.BodyPublishers.ofByteArray(body);
        return HttpRequest.BodyPublishers.fromPublisher((Flow.Subscriber<? super java.nio.ByteBuffer> s) -> known.subscribe(s));
    }

    @Test
    void acceptsABodyOfExactlyTheLimit() {
        byte[] body = eventOfSize(LIMIT);
        assertThat(body).hasSize(LIMIT);
        assertThat(bench.post("/v2/enqueue", "application/json", body).statusCode()).isEqualTo(202);
        assertThat(bench.onlyItem().body()).isEqualTo(body);
    }

    @Test
    void rejectsABodyOneByteOverTheLimitWith413() {
        HttpResponse<String> response = bench.post("/v2/enqueue", "application/json", eventOfSize(LIMIT + 1));
        IngestBench.assertAnswer(response, 413, TOO_LARGE);
        assertThat(bench.queue.openCount()).isZero();
        assertThat(bench.listener.events()).containsExactly("rejected /v2/enqueue too_large");
    }

    @Test
    void rejectsAnAnnouncedLengthOverTheLimitBeforeTheBodyIsSent() {
        try (RawClient client = new RawClient(bench.port)) {
            client.send("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000000\r\n\r\n");
            RawClient.RawResponse response = client.readResponse();
            assertThat(response.status()).isEqualTo(413);
            assertThat(response.headers()).containsEntry("content-type", "application/json");
            assertThat(IngestBench.json(response.body())).isEqualTo(IngestBench.json(TOO_LARGE));
        }
        assertThat(bench.listener.events()).containsExactly("rejected /v2/enqueue too_large");
    }

    @Test
    void acceptsAChunkedBodyUnderTheLimit() {
        HttpResponse<String> response = bench.send(bench.request("/v2/enqueue")
                .header("Content-Type", "application/json").POST(chunked(eventOfSize(LIMIT))));
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(bench.onlyItem().body()).hasSize(LIMIT);
    }

    @Test
    void rejectsAChunkedBodyOverTheLimitWith413() {
        HttpResponse<String> response = bench.send(bench.request("/v2/enqueue")
                .header("Content-Type", "application/json").POST(chunked(eventOfSize(LIMIT + 1))));
        IngestBench.assertAnswer(response, 413, TOO_LARGE);
        assertThat(bench.queue.openCount()).isZero();
    }

    @Test
    void stopsReadingAChunkedBodyAsSoonAsItPassesTheLimit() {
        try (RawClient client = new RawClient(bench.port)) {
            client.send("POST /x-ere/" + KEY + " HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: chunked\r\n\r\n");
            client.send("300\r\n" + "{".repeat(0x300) + "\r\n"); // 768 bytes
            client.send("300\r\n" + " ".repeat(0x300) + "\r\n"); // 1536 in all: over the limit; no last chunk sent
            RawClient.RawResponse response = client.readResponse();
            assertThat(response.status()).isEqualTo(413);
            assertThat(IngestBench.json(response.body())).isEqualTo(IngestBench.json(TOO_LARGE));
        }
    }

    @Test
    void answersAnExpectContinueRequestOverTheLimitWithoutAskingForTheBody() {
        HttpResponse<String> response = bench.send(bench.request("/v2/enqueue").expectContinue(true)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(eventOfSize(100 * LIMIT))));
        IngestBench.assertAnswer(response, 413, TOO_LARGE);
        assertThat(response.headers().firstValue("Connection")).hasValue("close");
    }

    @Test
    void readsLargeBodiesWhetherTheirLengthIsAnnouncedOrNot() {
        try (IngestBench roomy = IngestBench.start()) {
            int size = 500 * 1024;
            byte[] body = eventOfSize(size);
            assertThat(roomy.post("/v2/enqueue", "application/json", body).statusCode()).isEqualTo(202);
            assertThat(roomy.onlyItem().body()).isEqualTo(body);

            byte[] other = eventOfSize(size - 1);
            HttpResponse<String> response = roomy.send(roomy.request("/x-ere/" + KEY).POST(chunked(other)));
            assertThat(response.statusCode()).isEqualTo(202);
            assertThat(roomy.claimAll()).isEmpty(); // same key: the first is still in flight
            assertThat(roomy.queue.get(2).body()).isEqualTo(other);
        }
    }

    @Test
    void rejectsAnOversizedNagiosFormWith413() {
        byte[] form = ("CONTACTPAGER=" + KEY + "&SERVICEOUTPUT=" + "x".repeat(LIMIT)).getBytes(StandardCharsets.US_ASCII);
        IngestBench.assertAnswer(bench.post("/nagios/2010-04-15/create_event", "application/x-www-form-urlencoded",
                form), 413, TOO_LARGE);
        assertThat(bench.listener.events()).isEqualTo(List.of("rejected /nagios/2010-04-15/create_event too_large"));
    }
}
