package io.pdaltagent.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.InMemoryEventQueue;
import io.pdaltagent.queue.QueuedItem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spool records of events that arrive dead ({@code "dead"}, {@code "ordering_key"}): queued DEAD, with their reason. */
class DeadArrivalsTest {
    static final String KEY = SpoolImporterTest.KEY;

    @TempDir
    Path data;

    private final InMemoryEventQueue queue = new InMemoryEventQueue(Clock.systemUTC(), 1000);

    private Path spool() throws Exception {
        return Files.createDirectories(data.resolve("spool"));
    }

    private static Path deadFile(Path dir, String name, String path, String body, String reason) throws Exception {
        ObjectNode r = Json.MAPPER.createObjectNode().put("version", 1).put("path", path).put("content_type", "application/json")
                .put("body", body).put("queued_at", "2023-11-14T22:13:20Z").put("queued_by", "pdagent-import:" + name)
                .put("dead", reason).put("ordering_key", KEY);
        return Files.write(dir.resolve(name + ".event"), Json.MAPPER.writeValueAsBytes(r));
    }

    private void importAll() {
        try (SpoolImporter importer = new SpoolImporter(data, queue, new RecordingListener(), Clock.systemUTC(), 512 * 1024)) {
            importer.start();
        }
    }

    @Test
    void aDeadRecordIsQueuedDeadWithItsReasonAndTakesNoPlaceInItsKeysOrder() throws Exception {
        Path spool = spool();
        deadFile(spool, "0000000000001-a", "/v2/enqueue", SpoolImporterTest.v2("trigger", "old"), "dead in PagerDuty Agent (err_1)");
        SpoolImporterTest.spoolFile(spool, "0000000000002-b", "/v2/enqueue", SpoolImporterTest.v2("trigger", "new"));
        importAll();
        List<QueuedItem> dead = queue.listDead(null, 10);
        assertThat(dead).singleElement().satisfies(d -> {
            assertThat(d.state()).isEqualTo(DeliveryState.DEAD);
            assertThat(d.lastError()).isEqualTo("dead in PagerDuty Agent (err_1)");
            assertThat(d.dedupKey()).isEqualTo("old");
            assertThat(d.orderingKey()).isEqualTo(KEY);
            assertThat(d.attempts()).isZero();
        });
        // the pending event of the same key is due at once: the dead one does not hold its key
        List<QueuedItem> due = queue.claim(10, Duration.ZERO);
        assertThat(due).singleElement().extracting(QueuedItem::dedupKey).isEqualTo("new");
        assertThat(queue.retryDead(KEY)).as("retried like any dead event").isEqualTo(1);
        assertThat(SpoolImporterTest.eventFiles(spool)).isEmpty();
    }

    @Test
    void aBodyThisAgentRefusesIsKeptAsItIsWithBothReasons() throws Exception {
        deadFile(spool(), "0000000000001-a", "/generic/2010-04-15/create_event.json", "not json at all", "dead in PagerDuty Agent (err_2)");
        importAll();
        QueuedItem d = queue.listDead(null, 10).get(0);
        assertThat(new String(d.body(), StandardCharsets.UTF_8)).isEqualTo("not json at all");
        assertThat(d.orderingKey()).isEqualTo(KEY);
        assertThat(d.destination().target()).isEqualTo("/generic/2010-04-15/create_event.json");
        assertThat(d.lastError()).startsWith("dead in PagerDuty Agent (err_2); this agent refuses it too: ");
    }

    @Test
    void aDeadRecordFromAnotherLocalUserIsRejected() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to give a file to another user");
        Path f = deadFile(spool(), "0000000000001-a", "/v2/enqueue", SpoolImporterTest.v2("trigger", "x"), "dead, trust me");
        Files.setOwner(f, f.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        importAll();
        assertThat(queue.listDead(null, 10)).isEmpty();
        assertThat(queue.openCount()).isZero();
        assertThat(Files.readString(data.resolve("spool/rejected/0000000000001-a.event.reason")))
                .startsWith("invalid: a dead event is taken only from root or the agent's user");
    }
}
