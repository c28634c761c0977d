package io.pdaltagent.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PagerDuty Agent's queue directory (the names of {@code pdagent/pdqueue.py}:
 * {@code <pdq|err|suc|tmp>_<enqueue ms>_<service key>.txt}) into the spool.
 */
class PdagentImportTest {
    static final String K = "keyaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path pdq() throws Exception {
        return Files.createDirectories(dir.resolve("pdagent/outqueue/pdq"));
    }

    private List<JsonNode> spool() throws Exception {
        List<Path> files = new ArrayList<>();
        try (var s = Files.list(dir.resolve("data/spool"))) {
            s.filter(p -> p.getFileName().toString().endsWith(".event")).sorted().forEach(files::add);
        }
        List<JsonNode> out = new ArrayList<>();
        for (Path f : files) {
            out.add(JSON.readTree(Files.readString(f)));
        }
        return out;
    }

    @Test
    void eventsKeepTheirOrderPathAndKeysAndTriggersWithoutOneGetAStableKey() throws Exception {
        Path q = pdq();
        Files.writeString(q.resolve("pdq_1700000000002_" + K + ".txt"),
                "{\"routing_key\":\"" + K + "\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\"}}");
        Files.writeString(q.resolve("pdq_1700000000001_" + K + ".txt"),
                "{\"event_type\":\"trigger\",\"incident_key\":\"i1\",\"service_key\":\"" + K + "\",\"description\":\"d\"}");
        Files.writeString(q.resolve("pdq_1700000000003_" + K + ".txt"), "not json");
        PdagentImport.Report r = new PdagentImport(PdagentQueueDir.locate(dir.resolve("pdagent")), dir.resolve("data"), false).run();
        assertThat(r.imported()).isEqualTo(2);
        assertThat(r.unusable()).isEqualTo(1);
        assertThat(r.notes()).singleElement().asString().contains("not a JSON object; queued as a dead event");
        List<JsonNode> spooled = spool();
        assertThat(spooled).extracting(n -> n.get("path").asText())
                .containsExactly("/generic/2010-04-15/create_event.json", "/v2/enqueue", "/generic/2010-04-15/create_event.json");
        assertThat(JSON.readTree(spooled.get(0).get("body").asText()).get("incident_key").asText()).isEqualTo("i1");
        String assigned = JSON.readTree(spooled.get(1).get("body").asText()).get("dedup_key").asText();
        assertThat(assigned).startsWith("pdagent-").hasSize("pdagent-".length() + 32);
        assertThat(spooled.get(0).get("queued_at").asText()).isEqualTo("2023-11-14T22:13:20.001Z");
        // a file that is no event becomes a dead event, its bytes as they were
        JsonNode broken = spooled.get(2);
        assertThat(broken.get("body").asText()).isEqualTo("not json");
        assertThat(broken.get("dead").asText()).isEqualTo("pending in PagerDuty Agent (pdq_1700000000003_" + K
                + ".txt) but not an event: not a JSON object");
        assertThat(broken.get("ordering_key").asText()).isEqualTo(K);
        assertThat(dir.resolve("data/pdagent-import/dead")).doesNotExist();
    }

    @Test
    void deadEventsBecomeDeadRecordsOnceAndOnlyTooLargeFilesAreSetAside() throws Exception {
        Path q = pdq();
        Files.writeString(q.resolve("err_1700000000001_" + K + ".txt"),
                "{\"event_type\":\"trigger\",\"service_key\":\"" + K + "\",\"description\":\"refused long ago\"}");
        Files.writeString(q.resolve("err_1700000000002_" + K + ".txt"), "x".repeat(PdagentImport.MAX_EVENT_BYTES + 1));
        Files.writeString(q.resolve("pdq_1700000000003_" + K + ".txt"),
                "{\"event_type\":\"resolve\",\"incident_key\":\"i1\",\"service_key\":\"" + K + "\"}");
        PdagentImport.Report r = new PdagentImport(PdagentQueueDir.locate(dir.resolve("pdagent")), dir.resolve("data"), false).run();
        assertThat(r.imported()).isEqualTo(1);
        assertThat(r.dead()).isEqualTo(1);
        assertThat(r.setAside()).isEqualTo(1);
        assertThat(r.notes()).singleElement().asString().contains("err_1700000000002_" + K + ".txt: dead, and larger than");
        List<JsonNode> spooled = spool();
        assertThat(spooled).hasSize(2);
        JsonNode dead = spooled.stream().filter(n -> n.has("dead")).findFirst().orElseThrow();
        assertThat(dead.get("dead").asText()).startsWith("dead in PagerDuty Agent (err_1700000000001_" + K + ".txt)");
        assertThat(dead.get("ordering_key").asText()).isEqualTo(K);
        assertThat(JSON.readTree(dead.get("body").asText()).get("incident_key").asText())
                .as("a dead trigger gets its stable key too, for the day it is retried").startsWith("pdagent-");
        assertThat(dir.resolve("data/pdagent-import/dead/err_1700000000002_" + K + ".txt")).exists();
        assertThat(q).isEmptyDirectory();

        // a re-run after the crash that left the dead file behind imports nothing twice
        Files.writeString(q.resolve("err_1700000000001_" + K + ".txt"), "{}");
        PdagentImport.Report again = new PdagentImport(PdagentQueueDir.locate(dir.resolve("pdagent")), dir.resolve("data"), false).run();
        assertThat(again.dead()).isZero();
        assertThat(again.skipped()).isEqualTo(1);
        assertThat(spool()).hasSize(2);
        assertThat(q).isEmptyDirectory();
    }

    @Test
    void aRunAfterACrashBeforeTheDeleteImportsNothingTwice() throws Exception {
        Path q = pdq();
        Path src = q.resolve("pdq_1700000000001_" + K + ".txt");
        String event = "{\"event_type\":\"resolve\",\"incident_key\":\"i1\",\"service_key\":\"" + K + "\"}";
        Files.writeString(src, event);
        new PdagentImport(PdagentQueueDir.locate(dir.resolve("pdagent")), dir.resolve("data"), false).run();
        assertThat(src).doesNotExist();
        // the crash: the spool file and the journal line were written, the source was not deleted
        Files.writeString(src, event);
        PdagentImport.Report again = new PdagentImport(PdagentQueueDir.locate(dir.resolve("pdagent")), dir.resolve("data"), false).run();
        assertThat(again.imported()).isZero();
        assertThat(again.skipped()).isEqualTo(1);
        assertThat(src).doesNotExist();
        assertThat(spool()).hasSize(1);
    }

    @Test
    void withIncludeDeadTheDeadAreImportedInTheirQueueOrder() throws Exception {
        Path q = pdq();
        Files.writeString(q.resolve("pdq_1700000000005_" + K + ".txt"), "{\"event_type\":\"resolve\",\"incident_key\":\"b\",\"service_key\":\"" + K + "\"}");
        Files.writeString(q.resolve("err_1700000000001_" + K + ".txt"), "{\"event_type\":\"resolve\",\"incident_key\":\"a\",\"service_key\":\"" + K + "\"}");
        PdagentImport.Report r = new PdagentImport(PdagentQueueDir.locate(dir.resolve("pdagent")), dir.resolve("data"), true).run();
        assertThat(r.imported()).isEqualTo(2);
        assertThat(spool()).extracting(n -> n.get("queued_by").asText())
                .containsExactly("pdagent-import:err_1700000000001_" + K + ".txt", "pdagent-import:pdq_1700000000005_" + K + ".txt");
    }

    @Test
    void pdagentConfMapsWhatHasAnEquivalent() throws Exception {
        Path conf = dir.resolve("pdagent.conf");
        Files.writeString(conf, "# c\n[Main]\nsend_interval_secs = 10\nsource_address = 10.1.2.3\nlog_level = DEBUG\n"
                + "https_proxy: http://p:3128\n[Other]\nsource_address = 9.9.9.9\n");
        PdagentConf c = PdagentConf.read(conf);
        assertThat(c.options()).containsOnlyKeys("send_interval_secs", "source_address", "log_level", "https_proxy");
        assertThat(c.equivalents()).containsExactly(java.util.Map.entry("PDAGENTD_SOURCE_ADDRESS", "10.1.2.3"),
                java.util.Map.entry("PDAGENTD_DEBUG", "true"), java.util.Map.entry("HTTPS_PROXY", "http://p:3128"));
        Files.writeString(conf, "[Main]\nsource_address = 0.0.0.0\n");
        assertThat(PdagentConf.read(conf).equivalents()).isEmpty();
    }
}
