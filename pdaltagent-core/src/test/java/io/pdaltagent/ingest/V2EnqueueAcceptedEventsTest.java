package io.pdaltagent.ingest;

import static io.pdaltagent.ingest.IngestBench.KEY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.QueuedItem;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code POST /v2/enqueue}: a good event is stored as sent (or with a dedup key added) and answered 202. */
class V2EnqueueAcceptedEventsTest {
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
    void storesTheClientsBytesUnchangedAndEchoesItsDedupKey() {
        String body = """
                {  "routing_key" : "%s",
                   "event_action":"trigger", "dedup_key":"db01/disk",
                   "payload":{"summary":"Disk 95%% on db01","source":"db01.example.net","severity":"error",
                              "custom_details":{"used_pct":95.50,"big":123456789012345678901234567890}},
                   "extra":"kept"  }
                """.formatted(KEY);
        Instant before = Instant.now();

        HttpResponse<String> response = bench.postJson("/v2/enqueue", body);

        IngestBench.assertAnswer(response, 202, """
                {"status":"success","message":"Event processed","dedup_key":"db01/disk"}""");
        QueuedItem item = bench.onlyItem();
        assertThat(item.body()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
        assertThat(item.orderingKey()).isEqualTo(KEY);
        assertThat(item.destination()).isEqualTo(Destination.events("/v2/enqueue"));
        assertThat(item.contentType()).isEqualTo("application/json");
        assertThat(item.dedupKey()).isEqualTo("db01/disk");
        assertThat(item.acceptedAt()).isAfterOrEqualTo(before.minusSeconds(1)).isBeforeOrEqualTo(Instant.now());
        assertThat(bench.listener.events()).containsExactly("accepted /v2/enqueue");
    }

    @Test
    void assignsAUuidDedupKeyToATriggerWithoutOneAndKeepsUnknownFields() {
        HttpResponse<String> response = bench.postJson("/v2/enqueue", """
                {"routing_key":"%s","event_action":"trigger",
                 "payload":{"summary":"s","source":"h","severity":"info","custom_details":{"a":[1,{"b":null}]},
                            "vendor_field":"v"},
                 "agent":{"agent_id":"x","queued_by":"pd-send"},"top_unknown":[true,false]}""".formatted(KEY));

        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode answer = IngestBench.json(response.body());
        String dedupKey = answer.get("dedup_key").asText();
        assertThat(UUID.fromString(dedupKey).toString()).isEqualTo(dedupKey);
        assertThat(answer).isEqualTo(IngestBench.json("""
                {"status":"success","message":"Event processed","dedup_key":"%s"}""".formatted(dedupKey)));

        QueuedItem item = bench.onlyItem();
        assertThat(item.dedupKey()).isEqualTo(dedupKey);
        assertThat(IngestBench.json(item.body())).isEqualTo(IngestBench.json("""
                {"routing_key":"%s","event_action":"trigger",
                 "payload":{"summary":"s","source":"h","severity":"info","custom_details":{"a":[1,{"b":null}]},
                            "vendor_field":"v"},
                 "agent":{"agent_id":"x","queued_by":"pd-send"},"top_unknown":[true,false],
                 "dedup_key":"%s"}""".formatted(KEY, dedupKey)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"null", "\"\"", "\"  \""})
    void assignsADedupKeyToATriggerWhoseKeyIsNullOrBlank(String dedupKey) {
        HttpResponse<String> response = bench.postJson("/v2/enqueue", """
                {"routing_key":"%s","event_action":"trigger","dedup_key":%s,
                 "payload":{"summary":"s","source":"h","severity":"info"}}""".formatted(KEY, dedupKey));

        String assigned = IngestBench.json(response.body()).get("dedup_key").asText();
        assertThat(UUID.fromString(assigned)).isNotNull();
        assertThat(IngestBench.json(bench.onlyItem().body()).get("dedup_key").asText()).isEqualTo(assigned);
    }

    @Test
    void assignsADifferentDedupKeyToEachTrigger() {
        String trigger = """
                {"routing_key":"%s","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}"""
                .formatted(KEY);
        String first = IngestBench.json(bench.postJson("/v2/enqueue", trigger).body()).get("dedup_key").asText();
        String second = IngestBench.json(bench.postJson("/v2/enqueue", trigger).body()).get("dedup_key").asText();
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void keepsNumbersAndEscapesExactWhenTheBodyIsRewritten() {
        bench.postJson("/v2/enqueue", """
                {"routing_key":"%s","event_action":"trigger",
                 "payload":{"summary":"caf\\u00e9 \\ud83d\\udd25 \\ud800","source":"h","severity":"info",
                 "custom_details":{"price":1.10,"huge":1e400,"int":123456789012345678901234567890,"neg":-0.5}}}"""
                .formatted(KEY));

        String stored = new String(bench.onlyItem().body(), StandardCharsets.UTF_8);
        assertThat(stored).contains("\"price\":1.10", "\"int\":123456789012345678901234567890", "\"neg\":-0.5",
                "\"huge\":1E+400");
        JsonNode summary = IngestBench.json(stored).get("payload").get("summary");
        assertThat(summary.asText()).isEqualTo("caf\u00e9 \uD83D\uDD25 \uD800");
    }

    @Test
    void deliversToTheExactPathAndQueryTheClientUsed() {
        bench.postJson("/v2/enqueue?source=relay&x=%20y", """
                {"routing_key":"%s","event_action":"resolve","dedup_key":"d"}""".formatted(KEY));

        assertThat(bench.onlyItem().destination()).isEqualTo(Destination.events("/v2/enqueue?source=relay&x=%20y"));
    }

    @Test
    void storesABodyWithAByteOrderMarkWithoutTheMark() {
        byte[] json = """
                {"routing_key":"%s","event_action":"resolve","dedup_key":"d"}""".formatted(KEY)
                .getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[json.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(json, 0, withBom, 3, json.length);

        assertThat(bench.post("/v2/enqueue", "application/json", withBom).statusCode()).isEqualTo(202);
        assertThat(bench.onlyItem().body()).isEqualTo(json);
    }

    @Test
    void keepsEventsOfOneRoutingKeyInTheOrderTheyWereAccepted() throws Exception {
        for (int i = 0; i < 3; i++) {
            bench.postJson("/v2/enqueue", """
                    {"routing_key":"%s","event_action":"resolve","dedup_key":"k%d"}""".formatted(KEY, i));
        }
        assertThat(bench.queue.keyStats(KEY).get(0).pending()).isEqualTo(3);
        assertThat(bench.claimAll()).singleElement().extracting(QueuedItem::dedupKey).isEqualTo("k0");
    }
}
