package io.pdaltagent.ingest;

import static io.pdaltagent.ingest.IngestBench.KEY;
import static io.pdaltagent.ingest.IngestBench.RULESET_KEY;
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

/**
 * {@code POST /integration/{key}/enqueue} and {@code POST /x-ere/{key}}: any JSON object, ordered by
 * the key in the path, with a dedup key added to bodies that look like a trigger without one.
 */
class PathKeyedRoutesTest {
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
    void storesAnSnsEnvelopeOnTheIntegrationPathAsSent() {
        String sns = """
                {"Type":"Notification","MessageId":"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
                 "TopicArn":"arn:aws:sns:us-west-2:123456789012:MyTopic","Subject":"ALARM: cpu",
                 "Message":"{\\"AlarmName\\":\\"cpu\\",\\"NewStateValue\\":\\"ALARM\\"}",
                 "Timestamp":"2024-05-01T10:00:00.000Z","SignatureVersion":"1"}""";
        String path = "/integration/" + KEY + "/enqueue";

        IngestBench.assertAnswer(bench.postJson(path, sns), 202, """
                {"status":"success","message":"Event processed"}""");
        QueuedItem item = bench.onlyItem();
        assertThat(item.body()).isEqualTo(sns.getBytes(StandardCharsets.UTF_8));
        assertThat(item.orderingKey()).isEqualTo(KEY);
        assertThat(item.destination()).isEqualTo(Destination.events(path));
        assertThat(item.contentType()).isEqualTo("application/json");
        assertThat(item.dedupKey()).isNull();
        assertThat(bench.listener.events()).containsExactly("accepted /integration/{key}/enqueue");
    }

    @Test
    void storesAnyObjectOnTheRulesetPathOrderedByThePathKey() {
        String body = """
                {"anything":{"goes":[1,2,3]},"payload":"not validated here"}""";
        String path = "/x-ere/" + RULESET_KEY + "?tag=a";

        IngestBench.assertAnswer(bench.postJson(path, body), 202, """
                {"status":"success","message":"Event processed"}""");
        QueuedItem item = bench.onlyItem();
        assertThat(item.body()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
        assertThat(item.orderingKey()).isEqualTo(RULESET_KEY);
        assertThat(item.destination()).isEqualTo(Destination.events(path));
        assertThat(bench.listener.events()).containsExactly("accepted /x-ere/{key}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/integration/%s/enqueue", "/x-ere/%s"})
    void addsADedupKeyToAV2TriggerWithoutOne(String pathFormat) {
        HttpResponse<String> response = bench.postJson(pathFormat.formatted(KEY), """
                {"routing_key":"%s","event_action":"trigger","payload":{"summary":"s"},"x":1}""".formatted(KEY));

        assertThat(response.statusCode()).isEqualTo(202);
        String dedupKey = IngestBench.json(response.body()).get("dedup_key").asText();
        assertThat(UUID.fromString(dedupKey).toString()).isEqualTo(dedupKey);
        QueuedItem item = bench.onlyItem();
        assertThat(item.dedupKey()).isEqualTo(dedupKey);
        assertThat(IngestBench.json(item.body())).isEqualTo(IngestBench.json("""
                {"routing_key":"%s","event_action":"trigger","payload":{"summary":"s"},"x":1,"dedup_key":"%s"}"""
                .formatted(KEY, dedupKey)));
    }

    @Test
    void addsAnIncidentKeyToAV1TriggerWithoutOneAndAnswersItAsDedupKey() {
        HttpResponse<String> response = bench.postJson("/integration/" + KEY + "/enqueue", """
                {"service_key":"%s","event_type":"trigger","description":"d"}""".formatted(KEY));

        String key = IngestBench.json(response.body()).get("dedup_key").asText();
        JsonNode stored = IngestBench.json(bench.onlyItem().body());
        assertThat(stored.get("incident_key").asText()).isEqualTo(key);
        assertThat(stored.has("dedup_key")).isFalse();
    }

    @Test
    void answersTheDedupKeyTheBodyAlreadyHasAndStoresItUnchanged() {
        String body = """
                {"event_action":"resolve","dedup_key":"given"}""";
        IngestBench.assertAnswer(bench.postJson("/x-ere/" + RULESET_KEY, body), 202, """
                {"status":"success","message":"Event processed","dedup_key":"given"}""");
        assertThat(bench.onlyItem().body()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void doesNotValidateBodiesThatLookLikeEvents() {
        // the integration decides what the body means; only its JSON-ness is checked here
        assertThat(bench.postJson("/integration/" + KEY + "/enqueue", """
                {"event_action":"snooze","routing_key":7,"payload":[]}""").statusCode()).isEqualTo(202);
    }

    @Test
    void rejectsAnEmptyPathKey() {
        bench.assertInvalid(bench.postJson("/x-ere/", "{}"), "Key in the path is missing or blank");
        assertThat(bench.listener.events()).containsExactly("rejected /x-ere/{key} invalid");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/x-ere/a/b", "/integration/a/b/enqueue", "/integration/key%20space/enqueue",
            "/x-ere/k!y", "/x-ere/k;y", "/x-ere/%C3%A9"})
    void rejectsAPathKeyWithCharactersOutsideTheSafeSet(String path) {
        bench.assertInvalid(bench.postJson(path, "{}"), "Key in the path may only contain letters, digits and . _ ~ -");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/integration//enqueue", "/x-ere/key%2Fwith%2Fslash"})
    void leavesAmbiguousPathsToJettyWhichRefusesThem(String path) {
        // Jetty's URI compliance answers these 400 before any handler runs (an empty or encoded
        // segment could mean two different paths); the server's error handler shapes that answer
        HttpResponse<String> response = bench.postJson(path, "{}");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(bench.queue.openCount()).isZero();
        assertThat(bench.listener.events()).isEmpty();
    }

    @Test
    void acceptsAPathKeyOf255Characters() {
        assertThat(bench.postJson("/x-ere/" + "k".repeat(255), "{}").statusCode()).isEqualTo(202);
    }

    @Test
    void rejectsAPathKeyOver255Characters() {
        bench.assertInvalid(bench.postJson("/x-ere/" + "k".repeat(256), "{}"),
                "Key in the path is too long (maximum is 255 characters)");
    }

    @Test
    void rejectsABodyThatIsNotAJsonObject() {
        bench.assertUnrecognized(bench.postJson("/x-ere/" + RULESET_KEY, "[{\"a\":1}]"),
                "Event must be a JSON object, not array");
    }
}
