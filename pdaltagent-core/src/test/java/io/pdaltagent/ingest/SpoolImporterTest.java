package io.pdaltagent.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.InMemoryEventQueue;
import io.pdaltagent.queue.QueueFullException;
import io.pdaltagent.queue.QueuedItem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolImporterTest {
    static final String KEY = "spoolkey000000000000000000000000";
    static final int MAX_BODY = 512 * 1024;

    @TempDir
    Path data;

    final RecordingListener listener = new RecordingListener();
    final AtomicInteger names = new AtomicInteger();

    @Test
    void importsSpoolFilesInNameOrderBeforeReturningFromStartAndDeletesThem() throws Exception {
        InMemoryEventQueue queue = new InMemoryEventQueue(Clock.systemUTC(), 1000);
        Path spool = data.resolve("spool");
        Files.createDirectories(spool);
        spoolFile(spool, "0000000000002-b", "/v2/enqueue", v2("resolve", "k1"));
        spoolFile(spool, "0000000000001-a", "/v2/enqueue", v2("trigger", "k1"));
        spoolFile(spool, "0000000000003-c", "/generic/2010-04-15/create_event.json",
                "{\"service_key\":\"" + KEY + "\",\"event_type\":\"trigger\",\"description\":\"d\"}");
        try (SpoolImporter importer = importer(queue)) {
            importer.start();
            assertThat(queue.openCount()).isEqualTo(3);
            List<QueuedItem> items = queue.claim(10, Duration.ZERO);
            // one per key at a time: the key's head is the trigger spooled first
            assertThat(items).hasSize(1);
            assertThat(new String(items.get(0).body(), StandardCharsets.UTF_8)).contains("\"trigger\"");
            assertThat(items.get(0).destination().target()).isEqualTo("/v2/enqueue");
            assertThat(eventFiles(spool)).isEmpty();
            assertThat(eventFiles(spool.resolve("importing"))).isEmpty();
            assertThat(listener.events()).containsExactly("accepted spool:/v2/enqueue", "accepted spool:/v2/enqueue",
                    "accepted spool:/generic/2010-04-15/create_event.json");
        }
    }

    @Test
    void createsTheSpoolWritableForEveryUserWithTheStickyBit() throws Exception {
        try (SpoolImporter importer = importer(new InMemoryEventQueue(Clock.systemUTC(), 10))) {
            importer.start();
            Object mode = Files.getAttribute(data.resolve("spool"), "unix:mode");
            assertThat((Integer) mode & 07777).isEqualTo(01733);
            assertThat((Integer) Files.getAttribute(data.resolve("spool/rejected"), "unix:mode") & 0777).isEqualTo(0700);
        }
    }

    @Test
    void importsFilesThatArriveWhileRunning() throws Exception {
        InMemoryEventQueue queue = new InMemoryEventQueue(Clock.systemUTC(), 1000);
        try (SpoolImporter importer = importer(queue)) {
            importer.start();
            spoolFile(data.resolve("spool"), "0000000000009-z", "/v2/enqueue", v2("trigger", "late"));
            await().atMost(Duration.ofSeconds(10)).until(() -> queue.openCount() == 1);
            await().atMost(Duration.ofSeconds(5)).until(() -> eventFiles(data.resolve("spool")).isEmpty()
                    && eventFiles(data.resolve("spool/importing")).isEmpty());
        }
    }

    @Test
    void garbageGoesToRejectedWithAReasonAndDoesNotStopTheOthers() throws Exception {
        InMemoryEventQueue queue = new InMemoryEventQueue(Clock.systemUTC(), 1000);
        Path spool = data.resolve("spool");
        Files.createDirectories(spool);
        spoolFile(spool, "0000000000001-a", "/v2/enqueue", v2("trigger", "k1"));
        Path garbage = spool.resolve("0000000000002-garbage.event");
        Files.writeString(garbage, "this is { not json");
        // written a while ago: no writer is still at it (a fresh one gets another pass, see below)
        Files.setLastModifiedTime(garbage, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(60)));
        spoolFile(spool, "0000000000003-c", "/v2/enqueue", "{\"routing_key\":\"short\",\"event_action\":\"trigger\"}");
        spoolFile(spool, "0000000000004-d", "/nowhere", v2("trigger", "k2"));
        spoolFile(spool, "0000000000005-e", "/v2/enqueue", v2("resolve", "k1"));
        try (SpoolImporter importer = importer(queue)) {
            importer.start();
            assertThat(queue.openCount()).isEqualTo(2);
            Path rejected = spool.resolve("rejected");
            assertThat(eventFiles(rejected)).extracting(p -> p.getFileName().toString())
                    .containsExactly("0000000000002-garbage.event", "0000000000003-c.event", "0000000000004-d.event");
            assertThat(Files.readString(rejected.resolve("0000000000002-garbage.event.reason")))
                    .startsWith("malformed: not a spool file: JSON parse error");
            assertThat(Files.readString(rejected.resolve("0000000000003-c.event.reason")))
                    .contains("Length of 'routing_key' is incorrect").contains("'payload.summary' is missing or blank");
            assertThat(Files.readString(rejected.resolve("0000000000004-d.event.reason"))).contains("is no ingest path");
            assertThat(listener.events()).contains("rejected spool:unknown malformed", "rejected spool:/v2/enqueue invalid",
                    "rejected spool:unknown not_found");
            assertThat(eventFiles(spool)).isEmpty();
        }
    }

    @Test
    void aTriggerWithoutDedupKeyGetsOneAndNagiosFormsAreImported() throws Exception {
        InMemoryEventQueue queue = new InMemoryEventQueue(Clock.systemUTC(), 1000);
        Path spool = data.resolve("spool");
        Files.createDirectories(spool);
        spoolFile(spool, "0000000000001-a", "/v2/enqueue", "{\"routing_key\":\"" + KEY
                + "\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\"}}");
        spoolFile(spool, "0000000000002-b", "/nagios/2010-04-15/create_event",
                "CONTACTPAGER=nagioskey0000000000000000000000x&NOTIFICATIONTYPE=PROBLEM&pd_nagios_object=host&HOSTNAME=h");
        try (SpoolImporter importer = importer(queue)) {
            importer.start();
            List<QueuedItem> items = queue.claim(10, Duration.ZERO);
            assertThat(items).hasSize(2);
            QueuedItem v2 = items.stream().filter(i -> i.orderingKey().equals(KEY)).findFirst().orElseThrow();
            assertThat(v2.dedupKey()).isNotBlank();
            assertThat(new String(v2.body(), StandardCharsets.UTF_8)).contains("\"dedup_key\":\"" + v2.dedupKey() + "\"");
            QueuedItem form = items.stream().filter(i -> !i.orderingKey().equals(KEY)).findFirst().orElseThrow();
            assertThat(form.contentType()).isEqualTo("application/x-www-form-urlencoded");
        }
    }

    @Test
    void aFullQueueHoldsTheFileAndItsSuccessorsUntilThereIsRoom() throws Exception {
        ScriptedQueue queue = new ScriptedQueue();
        Path spool = data.resolve("spool");
        Files.createDirectories(spool);
        spoolFile(spool, "0000000000001-a", "/v2/enqueue", v2("trigger", "k1"));
        spoolFile(spool, "0000000000002-b", "/v2/enqueue", v2("resolve", "k1"));
        queue.failWith(new QueueFullException(1000, 1000));
        try (SpoolImporter importer = importer(queue)) {
            importer.start();
            assertThat(queue.openCount()).isZero();
            assertThat(eventFiles(spool.resolve("importing"))).hasSize(1);
            assertThat(eventFiles(spool)).hasSize(1);
            queue.heal();
            await().atMost(Duration.ofSeconds(10)).until(() -> queue.openCount() == 2);
            List<QueuedItem> head = queue.claim(10, Duration.ZERO);
            assertThat(new String(head.get(0).body(), StandardCharsets.UTF_8)).contains("\"trigger\"");
            assertThat(head.get(0).state()).isEqualTo(DeliveryState.IN_FLIGHT);
        }
    }

    @Test
    void filesClaimedBeforeACrashAreImportedFirst() throws Exception {
        InMemoryEventQueue queue = new InMemoryEventQueue(Clock.systemUTC(), 1000);
        Path spool = data.resolve("spool");
        Files.createDirectories(spool.resolve("importing"));
        spoolFile(spool.resolve("importing"), "0000000000005-claimed", "/v2/enqueue", v2("trigger", "k1"));
        spoolFile(spool, "0000000000001-older-name-but-later", "/v2/enqueue", v2("resolve", "k1"));
        try (SpoolImporter importer = importer(queue)) {
            importer.start();
            List<QueuedItem> head = queue.claim(10, Duration.ZERO);
            assertThat(new String(head.get(0).body(), StandardCharsets.UTF_8)).contains("\"trigger\"");
            assertThat(queue.openCount()).isEqualTo(2);
        }
    }

    @Test
    void aFileStillBeingWrittenInPlaceIsImportedOnceComplete() throws Exception {
        InMemoryEventQueue queue = new InMemoryEventQueue(Clock.systemUTC(), 1000);
        Path spool = data.resolve("spool");
        Files.createDirectories(spool);
        // a writer that does not rename (cp): the importer may see the file empty or half written
        Path file = spool.resolve("0000000000001-cp.event");
        Files.writeString(file, "{\"version\":1,\"pa");
        try (SpoolImporter importer = importer(queue)) {
            importer.start();
            assertThat(queue.openCount()).isZero();
            Path claimed = spool.resolve("importing/0000000000001-cp.event");
            assertThat(claimed).exists();
            Files.writeString(claimed, Json.MAPPER.createObjectNode().put("version", 1).put("path", "/v2/enqueue")
                    .put("body", v2("resolve", "k")).toString());
            await().atMost(Duration.ofSeconds(10)).until(() -> queue.openCount() == 1);
            assertThat(eventFiles(spool.resolve("rejected"))).isEmpty();
        }
    }

    @Test
    void temporaryAndHiddenFilesAreLeftAlone() throws Exception {
        InMemoryEventQueue queue = new InMemoryEventQueue(Clock.systemUTC(), 1000);
        Path spool = data.resolve("spool");
        Files.createDirectories(spool);
        Files.writeString(spool.resolve(".0000000000001-a.event.tmp"), "{half");
        try (SpoolImporter importer = importer(queue)) {
            importer.start();
            assertThat(queue.openCount()).isZero();
            assertThat(spool.resolve(".0000000000001-a.event.tmp")).exists();
            assertThat(eventFiles(spool.resolve("rejected"))).isEmpty();
        }
    }

    private SpoolImporter importer(io.pdaltagent.queue.EventQueue queue) {
        return new SpoolImporter(data, queue, listener, Clock.systemUTC(), MAX_BODY);
    }

    static String v2(String action, String dedupKey) {
        String payload = action.equals("trigger")
                ? ",\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\"}" : "";
        return "{\"routing_key\":\"" + KEY + "\",\"event_action\":\"" + action + "\",\"dedup_key\":\"" + dedupKey + "\""
                + payload + "}";
    }

    /** A spool file as pd-send writes it. */
    static void spoolFile(Path dir, String name, String path, String body) throws IOException {
        String record = Json.MAPPER.createObjectNode().put("version", 1).put("path", path)
                .put("content_type", path.startsWith("/nagios") ? "application/x-www-form-urlencoded" : "application/json")
                .put("body", body).put("queued_at", "2025-01-01T00:00:00Z").put("queued_by", "test").toString();
        // as pd-send writes it: under a temporary name, then renamed
        Path tmp = dir.resolve("." + name + ".event.tmp");
        Files.writeString(tmp, record);
        Files.move(tmp, dir.resolve(name + ".event"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    static List<Path> eventFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".event")).sorted().toList();
        }
    }
}
