package io.pdaltagent.ingest;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pdaltagent.observe.AgentListener;
import io.pdaltagent.queue.InMemoryEventQueue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing of the spool reader: the bytes of a spool file (any user of the host may
 * drop one) go through {@link SpoolImporter}'s parsing and the intake. Nothing may throw; a file is
 * either an item to append or rejected with a reason and a one-line problem. Corpus:
 * {@code src/test/resources/io/pdaltagent/ingest/SpoolFileFuzzTestInputs/<target>/}.
 */
class SpoolFileFuzzTest {
    private static final Set<String> REASONS = Set.of("malformed", "invalid", "not_found", "too_large");
    private static final List<String> PATHS = List.of("/v2/enqueue", "/v2/change/enqueue",
            "/generic/2010-04-15/create_event.json", "/integration/" + IngestBench.KEY + "/enqueue",
            "/x-ere/" + IngestBench.KEY, "/nagios/2010-04-15/create_event");
    private static Path dataDir;
    private static SpoolImporter importer;

    @BeforeAll
    static void createImporter() throws IOException {
        dataDir = Files.createTempDirectory("spool-fuzz");
        // never started: only its parsing is used, no directory is watched
        importer = new SpoolImporter(dataDir, new InMemoryEventQueue(Clock.systemUTC(), 10), AgentListener.NONE,
                Clock.fixed(Instant.parse("2026-12-03T12:00:00Z"), ZoneOffset.UTC), IngestBench.DEFAULT_MAX_BODY);
    }

    @AfterAll
    static void removeDataDir() throws IOException {
        Files.deleteIfExists(dataDir);
    }

    /** A spool file's raw bytes. */
    @FuzzTest
    void spoolFile(byte[] file) {
        check(file);
    }

    /** A well-formed spool record around a fuzzed path and body, to reach the intake behind it. */
    @FuzzTest
    void spoolRecord(FuzzedDataProvider data) {
        String path = data.consumeBoolean() ? data.pickValue(PATHS) : data.consumeString(100);
        String body = data.consumeRemainingAsString();
        byte[] file = Json.MAPPER.createObjectNode().put("version", 1).put("path", path)
                .put("content_type", "application/json").put("body", body)
                .put("queued_at", "2026-12-03T11:59:00Z").put("queued_by", "fuzz").toString()
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        check(file);
    }

    private static void check(byte[] file) {
        SpoolImporter.Checked checked = importer.check(file);
        if (checked.problem() == null) {
            if (checked.item() == null || checked.route() == null) {
                throw new AssertionError("a spool file with no problem and nothing to import");
            }
            return;
        }
        if (!REASONS.contains(checked.reason())) {
            throw new AssertionError("unknown rejection reason " + checked.reason());
        }
        if (checked.problem().isBlank() || checked.problem().contains("\n")) {
            throw new AssertionError("a rejection's problem is one line for the .reason file and the log: "
                    + IntakeFuzzTest.printable(checked.problem()));
        }
    }
}
