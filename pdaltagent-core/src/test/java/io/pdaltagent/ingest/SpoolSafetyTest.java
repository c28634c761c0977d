package io.pdaltagent.ingest;

import static io.pdaltagent.ingest.SpoolImporterTest.eventFiles;
import static io.pdaltagent.ingest.SpoolImporterTest.spoolFile;
import static io.pdaltagent.ingest.SpoolImporterTest.v2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pdaltagent.queue.InMemoryEventQueue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool is writable by every local user: what one of them plants there must not make the agent
 * read a file it should not (a link to the agent's own files or another user's), nor import the
 * event of a user it was told not to take events from.
 */
class SpoolSafetyTest {
    static final int NOBODY = 65534;
    static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    @TempDir
    Path tmp;

    Path data;
    Path spool;
    final RecordingListener listener = new RecordingListener();
    final InMemoryEventQueue queue = new InMemoryEventQueue(Clock.systemUTC(), 1000);

    @BeforeEach
    void setUp() throws IOException {
        // traversable by every user, as /var/lib/pdaltagent is
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        data = tmp.resolve("data");
        Files.createDirectories(data);
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        spool = data.resolve("spool");
    }

    @Test
    void aSymbolicLinkIsNeverFollowedAndItsTargetIsLeftAlone() throws Exception {
        // a valid spool file elsewhere, which the link would smuggle in under the agent's rights
        Path elsewhere = Files.createDirectories(tmp.resolve("private"));
        spoolFile(elsewhere, "target", "/v2/enqueue", v2("trigger", "smuggled"));
        Path target = elsewhere.resolve("target.event");
        String before = Files.readString(target);
        try (SpoolImporter importer = importer(Set.of())) {
            importer.start();
            Files.createSymbolicLink(spool.resolve("0000000000001-link.event"), target);
            importer.importNow();
        }
        assertThat(queue.openCount()).isZero();
        assertThat(Files.readString(target)).isEqualTo(before);
        assertThat(Files.readString(spool.resolve("rejected/0000000000001-link.event.reason")))
                .startsWith("refused: a symbolic link");
        assertThat(listener.events()).containsExactly("rejected spool:unknown refused");
    }

    @Test
    void aHardLinkIsRefusedAndTheOtherNameKeepsItsContent() throws Exception {
        Path elsewhere = Files.createDirectories(tmp.resolve("private"));
        spoolFile(elsewhere, "secret", "/v2/enqueue", v2("trigger", "linked"));
        Path original = elsewhere.resolve("secret.event");
        try (SpoolImporter importer = importer(Set.of())) {
            importer.start();
            Files.createLink(spool.resolve("0000000000001-hard.event"), original);
            importer.importNow();
        }
        assertThat(queue.openCount()).isZero();
        assertThat(Files.readString(original)).contains("linked");
        assertThat(Files.readString(spool.resolve("rejected/0000000000001-hard.event.reason")))
                .startsWith("refused: a file with 2 hard links");
    }

    @Test
    void onlyTheAllowedUsersFilesAreImported() throws Exception {
        assumeTrue(ROOT, "files of another owner need root to make");
        try (SpoolImporter importer = importer(Set.of("root"))) {
            importer.start();
            spoolFile(spool, "0000000000001-root", "/v2/enqueue", v2("trigger", "by-root"));
            // made whole and given to nobody elsewhere, then renamed in: the running importer would
            // take a file written in place before it changes hands
            Path elsewhere = Files.createDirectories(tmp.resolve("private"));
            spoolFile(elsewhere, "0000000000002-nobody", "/v2/enqueue", v2("trigger", "by-nobody"));
            Files.setAttribute(elsewhere.resolve("0000000000002-nobody.event"), "unix:uid", NOBODY);
            Files.move(elsewhere.resolve("0000000000002-nobody.event"), spool.resolve("0000000000002-nobody.event"),
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            importer.importNow();
        }
        assertThat(queue.openCount()).isEqualTo(1);
        assertThat(new String(queue.claim(10, java.time.Duration.ZERO).get(0).body(), StandardCharsets.UTF_8))
                .contains("by-root");
        assertThat(Files.readString(spool.resolve("rejected/0000000000002-nobody.event.reason")))
                .contains("not in PDAGENTD_SPOOL_ALLOWED_USERS");
    }

    @Test
    void anotherUserCanNeitherListTheSpoolNorReadTheAgentsFilesThroughIt() throws Exception {
        assumeTrue(ROOT, "a second user needs root (setpriv)");
        Path secret = data.resolve("admin-endpoint.json");
        Files.writeString(secret, "{\"url\":\"http://127.0.0.1:8081\",\"token\":\"planted-token-0123456789\"}");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        try (SpoolImporter importer = importer(Set.of())) {
            importer.start();
            spoolFile(spool, "0000000000001-root", "/v2/enqueue", v2("trigger", "by-root"));
            // the other user cannot see what is queued ...
            assertThat(asNobody("ls", spool.toString())).isNotZero();
            // ... may drop a link to the agent's file (or, without protected_hardlinks, a hard link) ...
            assertThat(asNobody("ln", "-s", secret.toString(), spool.resolve("0000000000002-sym.event").toString())).isZero();
            asNobody("ln", secret.toString(), spool.resolve("0000000000003-hard.event").toString());
            importer.importNow();
        }
        // ... but the agent reads neither: the only event is root's own
        assertThat(queue.openCount()).isEqualTo(1);
        assertThat(Files.readString(secret)).contains("planted-token");
        List<Path> rejected = eventFiles(spool.resolve("rejected"));
        assertThat(rejected).extracting(p -> p.getFileName().toString()).contains("0000000000002-sym.event");
        for (Path p : rejected) {
            assertThat(Files.readString(spool.resolve("rejected/" + p.getFileName() + ".reason"))).startsWith("refused:")
                    .doesNotContain("planted-token");
        }
    }

    private SpoolImporter importer(Set<String> allowedUsers) {
        return new SpoolImporter(data, queue, listener, Clock.systemUTC(), 512 * 1024, Intake.plain(), allowedUsers);
    }

    private static int asNobody(String... command) throws Exception {
        List<String> c = new java.util.ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
                "--clear-groups"));
        c.addAll(List.of(command));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }
}
