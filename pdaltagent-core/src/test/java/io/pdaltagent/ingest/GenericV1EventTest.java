package io.pdaltagent.ingest;

import static io.pdaltagent.ingest.IngestBench.KEY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.QueuedItem;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code POST /generic/2010-04-15/create_event.json}: Events API v1, answered 200 with the incident key. */
class GenericV1EventTest {
    private static final String PATH = "/generic/2010-04-15/create_event.json";
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
    void storesATriggerWithIncidentKeyAsSentAndAnswers200() {
        String body = """
                {"service_key":"%s","event_type":"trigger","incident_key":"srv01/HTTP",
                 "description":"FAILURE for production/HTTP on machine srv01.acme.com",
                 "client":"Sample Monitoring Service","client_url":"https://monitoring.example.com",
                 "details":{"ping time":"1500ms","load avg":0.75},
                 "contexts":[{"type":"link","href":"http://acme.pagerduty.com"}]}""".formatted(KEY);

        IngestBench.assertAnswer(bench.postJson(PATH, body), 200, """
                {"status":"success","message":"Event processed","incident_key":"srv01/HTTP"}""");
        QueuedItem item = bench.onlyItem();
        assertThat(item.body()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
        assertThat(item.orderingKey()).isEqualTo(KEY);
        assertThat(item.destination()).isEqualTo(Destination.events(PATH));
        assertThat(item.dedupKey()).isEqualTo("srv01/HTTP");
        assertThat(bench.listener.events()).containsExactly("accepted " + PATH);
    }

    @Test
    void assignsAnIncidentKeyToATriggerWithoutOneAndKeepsUnknownFields() {
        HttpResponse<String> response = bench.postJson(PATH, """
                {"service_key":"%s","event_type":"trigger","description":"d","details":"free text",
                 "agent":{"queued_by":"pd-send"}}""".formatted(KEY));

        assertThat(response.statusCode()).isEqualTo(200);
        String key = IngestBench.json(response.body()).get("incident_key").asText();
        assertThat(UUID.fromString(key).toString()).isEqualTo(key);
        JsonNode stored = IngestBench.json(bench.onlyItem().body());
        assertThat(stored).isEqualTo(IngestBench.json("""
                {"service_key":"%s","event_type":"trigger","description":"d","details":"free text",
                 "agent":{"queued_by":"pd-send"},"incident_key":"%s"}""".formatted(KEY, key)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"acknowledge", "resolve"})
    void answersAcknowledgeAndResolveWithTheirIncidentKey(String type) {
        IngestBench.assertAnswer(bench.postJson(PATH, """
                {"service_key":"%s","event_type":"%s","incident_key":"srv01/HTTP"}""".formatted(KEY, type)), 200, """
                {"status":"success","message":"Event processed","incident_key":"srv01/HTTP"}""");
    }

    @ParameterizedTest
    @ValueSource(strings = {"acknowledge", "resolve"})
    void rejectsAcknowledgeAndResolveWithoutIncidentKey(String type) {
        bench.assertInvalid(bench.postJson(PATH, """
                {"service_key":"%s","event_type":"%s"}""".formatted(KEY, type)), "Incident key is missing or blank");
    }

    @Test
    void rejectsAServiceKeyOfTheWrongLengthOrType() {
        bench.assertInvalid(bench.postJson(PATH, """
                {"service_key":"abc","event_type":"trigger","description":"d"}"""),
                "Service key is the wrong length (should be 32 characters)");
        bench.assertInvalid(bench.postJson(PATH, """
                {"service_key":123,"event_type":"trigger","description":"d"}"""), "Service key must be a string");
        bench.assertInvalid(bench.postJson(PATH, """
                {"event_type":"trigger","description":"d"}"""), "Service key is missing or blank");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ",\"event_type\":null", ",\"event_type\":\"Trigger\"", ",\"event_type\":\"ack\"",
            ",\"event_type\":1"})
    void rejectsAMissingOrUnknownEventType(String member) {
        bench.assertInvalid(bench.postJson(PATH, """
                {"service_key":"%s","description":"d","incident_key":"k"%s}""".formatted(KEY, member)),
                "event_type is invalid (must be one of: trigger acknowledge resolve)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ",\"description\":null", ",\"description\":\"\"", ",\"description\":\"  \""})
    void rejectsATriggerWithoutDescription(String member) {
        bench.assertInvalid(bench.postJson(PATH, """
                {"service_key":"%s","event_type":"trigger"%s}""".formatted(KEY, member)),
                "Description is missing or blank");
    }

    @Test
    void rejectsADescriptionOfTheWrongTypeOrOver1024Characters() {
        bench.assertInvalid(bench.postJson(PATH, """
                {"service_key":"%s","event_type":"trigger","description":{"text":"d"}}""".formatted(KEY)),
                "Description must be a string");
        bench.assertInvalid(bench.postJson(PATH, """
                {"service_key":"%s","event_type":"trigger","description":"%s"}""".formatted(KEY, "d".repeat(1025))),
                "Description is too long (maximum is 1024 characters)");
        assertThat(bench.postJson(PATH, """
                {"service_key":"%s","event_type":"trigger","description":"%s"}""".formatted(KEY, "d".repeat(1024)))
                .statusCode()).isEqualTo(200);
    }

    @Test
    void rejectsAnIncidentKeyOfTheWrongTypeOrOver255Characters() {
        bench.assertInvalid(bench.postJson(PATH, """
                {"service_key":"%s","event_type":"resolve","incident_key":5}""".formatted(KEY)),
                "Incident key must be a string");
        bench.assertInvalid(bench.postJson(PATH, """
                {"service_key":"%s","event_type":"trigger","description":"d","incident_key":"%s"}"""
                .formatted(KEY, "k".repeat(256))), "Incident key is too long (maximum is 255 characters)");
    }

    @Test
    void listsEveryProblemOfAV1EventAtOnce() {
        bench.assertInvalid(bench.postJson(PATH, "{}"),
                "Service key is missing or blank",
                "event_type is invalid (must be one of: trigger acknowledge resolve)");
    }

    @Test
    void ignoresTheV2FieldsThatAlertmanagerLeavesEmpty() {
        HttpResponse<String> response = bench.postJson(PATH, """
                {"service_key":"%s","event_type":"resolve","incident_key":"k","event_action":"","payload":null,
                 "routing_key":"","dedup_key":""}""".formatted(KEY));
        assertThat(response.statusCode()).isEqualTo(200);
    }
}
