package io.pdaltagent.ingest;

import static io.pdaltagent.ingest.IngestBench.KEY;
import static io.pdaltagent.ingest.IngestBench.RULESET_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.QueuedItem;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code POST /v2/change/enqueue}: change events, checked and answered as PagerDuty does. */
class ChangeEnqueueTest {
    private static final String PATH = "/v2/change/enqueue";
    private IngestBench bench;

    @BeforeEach
    void start() {
        bench = IngestBench.start();
    }

    @AfterEach
    void stop() {
        bench.close();
    }

    @Test
    void storesAChangeEventAsSentAndAnswers202WithoutDedupKey() {
        String body = """
                {"routing_key":"%s","payload":{"summary":"Deployed api v2.3","source":"deployer",
                 "timestamp":"not checked","custom_details":["any","type"]},"links":[{"href":"https://x"}],
                 "images":[{"src":"https://x/i.png"}],"unknown":1}""".formatted(KEY);

        IngestBench.assertAnswer(bench.postJson(PATH, body), 202, """
                {"status":"success","message":"Change event processed"}""");
        QueuedItem item = bench.onlyItem();
        assertThat(item.body()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
        assertThat(item.orderingKey()).isEqualTo(KEY);
        assertThat(item.destination()).isEqualTo(Destination.events(PATH));
        assertThat(item.dedupKey()).isNull();
        assertThat(bench.listener.events()).containsExactly("accepted /v2/change/enqueue");
    }

    @Test
    void rejectsARulesetRoutingKey() {
        bench.assertInvalid(bench.postJson(PATH, """
                {"routing_key":"%s","payload":{"summary":"s"}}""".formatted(RULESET_KEY)),
                "'routing_key' is a ruleset key (starting with 'R'), which cannot take change events");
    }

    @Test
    void rejectsAMissingOrWronglySizedRoutingKey() {
        bench.assertInvalid(bench.postJson(PATH, """
                {"payload":{"summary":"s"}}"""), "'routing_key' is missing or blank");
        bench.assertInvalid(bench.postJson(PATH, """
                {"routing_key":"abc","payload":{"summary":"s"}}"""),
                "Length of 'routing_key' is incorrect (should be 32 characters)");
        bench.assertInvalid(bench.postJson(PATH, """
                {"routing_key":12,"payload":{"summary":"s"}}"""), "'routing_key' must be a string");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ",\"payload\":null", ",\"payload\":{}", ",\"payload\":{\"summary\":\"\"}",
            ",\"payload\":{\"source\":\"only source\"}"})
    void rejectsAChangeEventWithoutSummary(String payloadMember) {
        bench.assertInvalid(bench.postJson(PATH, """
                {"routing_key":"%s"%s}""".formatted(KEY, payloadMember)), "'payload.summary' is missing or blank");
    }

    @Test
    void rejectsAPayloadOrSummaryOfTheWrongType() {
        bench.assertInvalid(bench.postJson(PATH, """
                {"routing_key":"%s","payload":"Deployed"}""".formatted(KEY)), "'payload' must be an object");
        bench.assertInvalid(bench.postJson(PATH, """
                {"routing_key":"%s","payload":{"summary":1}}""".formatted(KEY)), "'payload.summary' must be a string");
    }

    @Test
    void acceptsA1024CharacterSummaryAndRejectsA1025CharacterOne() {
        assertThat(bench.postJson(PATH, """
                {"routing_key":"%s","payload":{"summary":"%s"}}""".formatted(KEY, "x".repeat(1024))).statusCode())
                .isEqualTo(202);
        HttpResponse<String> tooLong = bench.postJson(PATH, """
                {"routing_key":"%s","payload":{"summary":"%s"}}""".formatted(KEY, "x".repeat(1025)));
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(IngestBench.json(tooLong.body()).get("errors").get(0).asText())
                .isEqualTo("'payload.summary' is too long (maximum is 1024 characters)");
    }

    @Test
    void listsEveryProblemOfAChangeEvent() {
        bench.assertInvalid(bench.postJson(PATH, """
                {"routing_key":"Rshort","payload":{"summary":null}}"""),
                "Length of 'routing_key' is incorrect (should be 32 characters)",
                "'routing_key' is a ruleset key (starting with 'R'), which cannot take change events",
                "'payload.summary' is missing or blank");
    }

    @Test
    void needsNoEventActionOrDedupKeyAndAddsNone() {
        String body = """
                {"routing_key":"%s","payload":{"summary":"s"}}""".formatted(KEY);
        bench.postJson(PATH, body);
        assertThat(bench.onlyItem().body()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
    }
}
