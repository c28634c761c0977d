package io.pdaltagent.ingest;

import static io.pdaltagent.ingest.IngestBench.KEY;
import static io.pdaltagent.ingest.IngestBench.RULESET_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code POST /v2/enqueue}: what PagerDuty refuses is answered 400 with every problem listed. */
class V2EnqueueValidationTest {
    private static final String PATH = "/v2/enqueue";
    private IngestBench bench;

    @BeforeEach
    void start() {
        bench = IngestBench.start();
    }

    @AfterEach
    void stop() {
        bench.close();
    }

    private HttpResponse<String> post(String json) {
        return bench.postJson(PATH, json);
    }

    private static String trigger(String routingKeyJson, String payloadJson) {
        return """
                {"routing_key":%s,"event_action":"trigger","payload":%s}""".formatted(routingKeyJson, payloadJson);
    }

    private static final String GOOD_PAYLOAD = """
            {"summary":"Disk 95% on db01","source":"db01","severity":"error"}""";

    @Test
    void rejectsAnEventWithoutRoutingKey() {
        bench.assertInvalid(post("""
                {"event_action":"trigger","payload":%s}""".formatted(GOOD_PAYLOAD)),
                "'routing_key' is missing or blank");
        assertThat(bench.listener.events()).containsExactly("rejected /v2/enqueue invalid");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"\"", "\"   \"", "null"})
    void rejectsABlankOrNullRoutingKey(String routingKey) {
        bench.assertInvalid(post(trigger(routingKey, GOOD_PAYLOAD)), "'routing_key' is missing or blank");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0", "short"})
    void rejectsARoutingKeyThatIsNot32CharactersLong(String routingKey) {
        bench.assertInvalid(post(trigger("\"" + routingKey + "\"", GOOD_PAYLOAD)),
                "Length of 'routing_key' is incorrect (should be 32 characters)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"12345678901234567890123456789012", "true", "[]", "{}"})
    void rejectsARoutingKeyThatIsNotAString(String routingKey) {
        bench.assertInvalid(post(trigger(routingKey, GOOD_PAYLOAD)), "'routing_key' must be a string");
    }

    @Test
    void acceptsARulesetRoutingKey() {
        HttpResponse<String> response = post(trigger("\"" + RULESET_KEY + "\"", GOOD_PAYLOAD));
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(bench.onlyItem().orderingKey()).isEqualTo(RULESET_KEY);
    }

    @Test
    void rejectsAnEventWithoutEventAction() {
        bench.assertInvalid(post("""
                {"routing_key":"%s","payload":%s}""".formatted(KEY, GOOD_PAYLOAD)),
                "'event_action' is missing or blank");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Trigger", "TRIGGER", "snooze", "ack", "resolved"})
    void rejectsAnEventActionOutsideTriggerAcknowledgeResolve(String action) {
        bench.assertInvalid(post("""
                {"routing_key":"%s","event_action":"%s","dedup_key":"k","payload":%s}"""
                .formatted(KEY, action, GOOD_PAYLOAD)),
                "'event_action' is invalid (must be one of: trigger acknowledge resolve)");
    }

    @Test
    void rejectsAnEventActionThatIsNotAString() {
        bench.assertInvalid(post("""
                {"routing_key":"%s","event_action":1,"payload":%s}""".formatted(KEY, GOOD_PAYLOAD)),
                "'event_action' must be a string");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ",\"payload\":null"})
    void rejectsATriggerWithoutPayloadNamingEachMissingField(String payloadMember) {
        bench.assertInvalid(post("""
                {"routing_key":"%s","event_action":"trigger"%s}""".formatted(KEY, payloadMember)),
                "'payload.summary' is missing or blank",
                "'payload.source' is missing or blank",
                "'payload.severity' is missing or blank");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"Disk full\"", "[]", "42", "true"})
    void rejectsAPayloadThatIsNotAnObject(String payload) {
        bench.assertInvalid(post(trigger("\"" + KEY + "\"", payload)), "'payload' must be an object");
    }

    @Test
    void rejectsAnEmptyPayloadNamingEachMissingField() {
        bench.assertInvalid(post(trigger("\"" + KEY + "\"", "{}")),
                "'payload.summary' is missing or blank",
                "'payload.source' is missing or blank",
                "'payload.severity' is missing or blank");
    }

    @Test
    void rejectsBlankSummarySourceAndSeverity() {
        bench.assertInvalid(post(trigger("\"" + KEY + "\"", """
                {"summary":" ","source":"","severity":null}""")),
                "'payload.summary' is missing or blank",
                "'payload.source' is missing or blank",
                "'payload.severity' is missing or blank");
    }

    @Test
    void rejectsSummarySourceAndSeverityOfTheWrongType() {
        bench.assertInvalid(post(trigger("\"" + KEY + "\"", """
                {"summary":42,"source":["db01"],"severity":{"level":"error"}}""")),
                "'payload.summary' must be a string",
                "'payload.source' must be a string",
                "'payload.severity' must be a string");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Critical", "ERROR", "warn", "information", "fatal", "debug"})
    void rejectsASeverityOutsideTheFourLowerCaseValues(String severity) {
        bench.assertInvalid(post(trigger("\"" + KEY + "\"", """
                {"summary":"s","source":"h","severity":"%s"}""".formatted(severity))),
                "'payload.severity' is invalid (must be one of: critical error warning info)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"critical", "error", "warning", "info"})
    void acceptsEachOfTheFourSeverities(String severity) {
        assertThat(post(trigger("\"" + KEY + "\"", """
                {"summary":"s","source":"h","severity":"%s"}""".formatted(severity))).statusCode()).isEqualTo(202);
    }

    @Test
    void acceptsASummaryOf1024CharactersCountingCodePointsNotBytes() {
        String summary = "\u00e9".repeat(1000) + "\uD83D\uDD25".repeat(24); // 1024 characters, 2096 bytes
        assertThat(post(trigger("\"" + KEY + "\"", """
                {"summary":"%s","source":"h","severity":"info"}""".formatted(summary))).statusCode()).isEqualTo(202);
    }

    @Test
    void rejectsASummaryOf1025Characters() {
        bench.assertInvalid(post(trigger("\"" + KEY + "\"", """
                {"summary":"%s","source":"h","severity":"info"}""".formatted("x".repeat(1025)))),
                "'payload.summary' is too long (maximum is 1024 characters)");
    }

    @Test
    void acceptsADedupKeyOf255CharactersAndRejectsOneOf256() {
        assertThat(post("""
                {"routing_key":"%s","event_action":"resolve","dedup_key":"%s"}""".formatted(KEY, "k".repeat(255)))
                .statusCode()).isEqualTo(202);
        HttpResponse<String> response = post("""
                {"routing_key":"%s","event_action":"resolve","dedup_key":"%s"}""".formatted(KEY, "k".repeat(256)));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(IngestBench.json(response.body()).get("errors").get(0).asText())
                .isEqualTo("'dedup_key' is too long (maximum is 255 characters)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"12345", "true", "[\"a\"]", "{\"k\":1}"})
    void rejectsADedupKeyThatIsNotAString(String dedupKey) {
        bench.assertInvalid(post("""
                {"routing_key":"%s","event_action":"trigger","dedup_key":%s,"payload":%s}"""
                .formatted(KEY, dedupKey, GOOD_PAYLOAD)), "'dedup_key' must be a string");
    }

    @ParameterizedTest
    @ValueSource(strings = {"acknowledge", "resolve"})
    void rejectsAnAcknowledgeOrResolveWithoutDedupKey(String action) {
        bench.assertInvalid(post("""
                {"routing_key":"%s","event_action":"%s"}""".formatted(KEY, action)),
                "'dedup_key' is missing or blank");
        bench.assertInvalid(post("""
                {"routing_key":"%s","event_action":"%s","dedup_key":" "}""".formatted(KEY, action)),
                "'dedup_key' is missing or blank");
    }

    @ParameterizedTest
    @ValueSource(strings = {"acknowledge", "resolve"})
    void acceptsAnAcknowledgeOrResolveWithoutPayload(String action) {
        HttpResponse<String> response = post("""
                {"routing_key":"%s","event_action":"%s","dedup_key":"db01/disk"}""".formatted(KEY, action));
        IngestBench.assertAnswer(response, 202, """
                {"status":"success","message":"Event processed","dedup_key":"db01/disk"}""");
    }

    @Test
    void listsEveryProblemOfAnEventAtOnce() {
        bench.assertInvalid(post("""
                {"routing_key":"abc","event_action":"trigger","dedup_key":7,
                 "payload":{"summary":"%s","severity":"CRITICAL"}}""".formatted("s".repeat(2000))),
                "Length of 'routing_key' is incorrect (should be 32 characters)",
                "'dedup_key' must be a string",
                "'payload.summary' is too long (maximum is 1024 characters)",
                "'payload.source' is missing or blank",
                "'payload.severity' is invalid (must be one of: critical error warning info)");
    }

    @Test
    void rejectsAnEmptyObjectForBothRequiredFields() {
        bench.assertInvalid(post("{}"), "'routing_key' is missing or blank", "'event_action' is missing or blank");
    }

    @Test
    void acceptsWhatPagerDutyIsNotDocumentedToReject() {
        String[] customDetails = {"\"plain text\"", "[1,2,3]", "42", "null", "{\"nested\":{\"deep\":[true]}}"};
        for (String details : customDetails) {
            HttpResponse<String> response = post("""
                    {"routing_key":"%s","event_action":"trigger","dedup_key":"d",
                     "payload":{"summary":"s","source":"h","severity":"info","custom_details":%s,
                                "timestamp":"yesterday at noon","component":"c","group":"g","class":"k"},
                     "links":[{"text":"no href"},"not even an object"],
                     "images":[{"src":"http://insecure.example/g.png"},{"alt":"no src"}],
                     "client":"Mon","client_url":"not a url","unknown_field":{"anything":[1]}}"""
                    .formatted(KEY, details));
            assertThat(response.statusCode()).as(details).isEqualTo(202);
        }
        assertThat(bench.queue.openCount()).isEqualTo(customDetails.length);
    }

    @Test
    void ignoresPayloadOnAcknowledgeAndResolve() {
        assertThat(post("""
                {"routing_key":"%s","event_action":"resolve","dedup_key":"d","payload":"ignored"}""".formatted(KEY))
                .statusCode()).isEqualTo(202);
    }
}
