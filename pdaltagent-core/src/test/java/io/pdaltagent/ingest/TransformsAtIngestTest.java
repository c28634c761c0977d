package io.pdaltagent.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.observe.AgentListener;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.queue.SqliteEventQueue;
import io.pdaltagent.transform.Transforms;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one intake path with transforms on: HTTP and spool events pass the same chain (rules, then
 * the scrubber), and personal data never reaches the data dir's files, write-ahead log included.
 */
class TransformsAtIngestTest {
    static final String KEY = "0123456789abcdef0123456789abcdef";
    static final String ROUTED = "fedcba9876543210fedcba9876543210";
    static final List<String> RAW = List.of("jane.doe@example.com", "4111111111111111", "+1 415-555-0132",
            "203.0.113.45", "DE89370400440532013000", "123-45-6789");

    @TempDir
    Path data;

    static String event(String dedup, String source) {
        return """
                {"routing_key":"%s","event_action":"trigger","dedup_key":"%s",
                 "payload":{"summary":"login by jane.doe@example.com from 203.0.113.45","source":"%s","severity":"error",
                  "custom_details":{"card":"4111111111111111","phone":"+1 415-555-0132",
                   "nested":[{"iban":"DE89370400440532013000","ssn":"123-45-6789"}]}}}""".formatted(KEY, dedup, source);
    }

    @Test
    void httpAndSpoolEventsPassTheSameChainAndNoRawPersonalDataReachesTheDataDir() throws Exception {
        Path rules = data.resolve("rules.yaml");
        Files.writeString(rules, """
                rules:
                  - name: route-db
                    when: "event.payload.source == 'db01'"
                    actions:
                      - route: %s
                      - set: {field: payload.custom_details.team, value: dba}
                  - name: drop-tests
                    when: "event.payload.source.startsWith('test-')"
                    actions: [suppress]
                """.formatted(ROUTED));
        AgentConfig.TransformConfig tc = new AgentConfig.TransformConfig(Set.of("email", "phone", "credit_card", "ssn",
                "iban", "ip", "ipv6", "street_address", "po_box"), rules, null, Duration.ofMillis(200));
        Path dir = data.resolve("store");
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        try (Transforms transforms = Transforms.start(tc, Clock.systemUTC());
             SqliteEventQueue queue = SqliteEventQueue.open(dir, Clock.systemUTC(), 1000)) {
            Intake intake = new Intake(transforms.chain());
            server.setHandler(new IngestHandler(queue, AgentListener.NONE, Clock.systemUTC(), 512 * 1024, intake));
            server.start();
            try (RawClient client = new RawClient(connector.getLocalPort())) {
                for (String body : List.of(event("http-1", "db01"), event("http-2", "test-box"))) {
                    byte[] b = body.getBytes(StandardCharsets.UTF_8);
                    client.send("POST /v2/enqueue HTTP/1.1\r\nHost: x\r\nContent-Length: " + b.length + "\r\n\r\n" + body);
                    assertThat(client.readResponse().status()).isEqualTo(202);
                }
            }
            SpoolImporterTest.spoolFile(Files.createDirectories(dir.resolve("spool")), "0000000000001-a", "/v2/enqueue",
                    event("spool-1", "db01"));
            SpoolImporterTest.spoolFile(dir.resolve("spool"), "0000000000002-a", "/v2/enqueue", event("spool-2", "test-x"));
            try (SpoolImporter importer = new SpoolImporter(dir, queue, AgentListener.NONE, Clock.systemUTC(), 512 * 1024,
                    intake)) {
                importer.start();
            }
            // to deliver: the two db01 events (routed, enriched, scrubbed); kept as suppressed: the two test- events
            assertThat(queue.openCount()).isEqualTo(2);
            List<QueuedItem> suppressed = queue.listSuppressed(null, 10);
            assertThat(suppressed).hasSize(2).allSatisfy(i -> {
                assertThat(i.state()).isEqualTo(io.pdaltagent.queue.DeliveryState.SUPPRESSED);
                assertThat(i.lastError()).isEqualTo("suppressed by drop-tests");
            });
            assertThat(queue.suppressedCounts(null))
                    .containsExactly(new io.pdaltagent.queue.SuppressedCount(KEY, "drop-tests", 2));
            assertThat(queue.keyStats(KEY)).as("suppressed events are not in pd-queue status").isEmpty();
            List<QueuedItem> items = new java.util.ArrayList<>(List.of(queue.get(1), queue.get(3)));
            items.addAll(suppressed);
            for (QueuedItem item : items) {
                if (item.state() == io.pdaltagent.queue.DeliveryState.SUPPRESSED) {
                    String body = new String(item.body(), StandardCharsets.UTF_8);
                    RAW.forEach(raw -> assertThat(body).doesNotContain(raw));
                    continue;
                }
                String body = new String(item.body(), StandardCharsets.UTF_8);
                assertThat(item.orderingKey()).isEqualTo(ROUTED);
                assertThat(body).contains("\"routing_key\":\"" + ROUTED + "\"", "\"team\":\"dba\"", "{{EMAIL_ADDRESS}}",
                        "{{IP_ADDRESS}}", "{{CREDIT_CARD}}", "{{PHONE}}", "{{IBAN}}", "{{SSN_NUMBER}}");
                RAW.forEach(raw -> assertThat(body).doesNotContain(raw));
            }
            assertThat(transforms.chain().stages()).hasSize(2);
            StringBuilder metrics = new StringBuilder();
            transforms.write(metrics);
            assertThat(metrics.toString()).contains("pdaltagent_transform_rule_matched_total{rule=\"route-db\"} 2",
                    "pdaltagent_transform_rule_suppressed_total{rule=\"drop-tests\"} 2");

            // every file of the data dir, the write-ahead log included, before any checkpoint removes it
            List<Path> files;
            try (Stream<Path> s = Files.walk(dir)) {
                files = s.filter(Files::isRegularFile).toList();
            }
            assertThat(files).anySatisfy(p -> assertThat(p.getFileName().toString()).endsWith("-wal"));
            for (Path f : files) {
                String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                RAW.forEach(raw -> assertThat(content).as("%s holds %s", f, raw).doesNotContain(raw));
            }
        } finally {
            server.stop();
        }
    }
}
