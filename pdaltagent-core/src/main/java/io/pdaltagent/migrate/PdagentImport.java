package io.pdaltagent.migrate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pdaltagent.common.SpoolFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Moves PagerDuty Agent's pending events into this agent's spool ({@code <data dir>/spool/}), where
 * the agent imports them in name order, checks each as ingest would and queues it (at once when it
 * runs, else at its next start). One event at a time, in PagerDuty Agent's queue order:
 * <ol>
 *   <li>the event's file is read and parsed; an Events API v2 body ({@code routing_key}) goes to
 *       {@code /v2/enqueue}, anything else to the v1 path {@code /generic/2010-04-15/create_event.json};
 *       a trigger without a dedup (incident) key gets one derived from its file name and content,
 *       so that an import repeated after a crash is de-duplicated by PagerDuty;</li>
 *   <li>its spool file (a name derived from PagerDuty Agent's, so the same event always gets the same
 *       name) is written under a temporary name, flushed and renamed;</li>
 *   <li>the journal {@code <data dir>/pdagent-import.journal} records the file as imported, flushed;</li>
 *   <li>PagerDuty Agent's file is deleted.</li>
 * </ol>
 * A re-run skips what the journal names (and deletes such a file if a crash left it), so nothing is
 * imported twice. Dead events ({@code err_}) stay dead: they are moved to
 * {@code <data dir>/pdagent-import/dead/} unchanged and listed, unless {@code includeDead} imports
 * them as pending (what {@code pd-queue retry -a} would have done). Delivered records ({@code suc_})
 * and unfinished enqueues ({@code tmp_}) are counted and left in place. Single-threaded; PagerDuty
 * Agent must be stopped.
 */
public final class PdagentImport {
    public static final String JOURNAL = "pdagent-import.journal";
    public static final String DEAD_DIR = "pdagent-import/dead";
    static final String SPOOL_DIR = SpoolFormat.DIR_NAME;
    static final String V1_PATH = "/generic/2010-04-15/create_event.json";
    static final String V2_PATH = "/v2/enqueue";
    /** PagerDuty's limit on an event; a larger one could never be delivered. */
    static final int MAX_EVENT_BYTES = 512 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What an import did.
     *
     * @param imported events moved into the spool now
     * @param skipped files the journal already named (an earlier run imported them)
     * @param dead dead events moved to {@link #DEAD_DIR} (or imported, with includeDead)
     * @param unusable pending files that could not be events (kept with the dead, with a reason)
     * @param delivered {@code suc_} records left in place
     * @param unfinished {@code tmp_} files left in place
     * @param notes one line per unusable file
     */
    public record Report(int imported, int skipped, int dead, int unusable, int delivered, int unfinished, List<String> notes) {
    }

    private final PdagentQueueDir source;
    private final Path dataDir;
    private final boolean includeDead;
    private final Set<String> journaled = new HashSet<>();

    public PdagentImport(PdagentQueueDir source, Path dataDir, boolean includeDead) {
        this.source = source;
        this.dataDir = dataDir;
        this.includeDead = includeDead;
    }

    public Report run() throws IOException {
        Files.createDirectories(dataDir);
        Path spool = spoolDir();
        Path journal = dataDir.resolve(JOURNAL);
        if (Files.exists(journal)) {
            for (String line : Files.readAllLines(journal, StandardCharsets.UTF_8)) {
                int tab = line.indexOf('\t');
                journaled.add(tab < 0 ? line : line.substring(0, tab));
            }
        }
        List<PdagentQueueDir.Entry> pending = new ArrayList<>(source.entries("pdq"));
        List<PdagentQueueDir.Entry> dead = source.entries("err");
        if (includeDead) {
            pending.addAll(dead);
            // as if pd-queue retry had renamed them: name order without the type prefix
            pending.sort(Comparator.comparingLong(PdagentQueueDir.Entry::enqueuedAtMillis)
                    .thenComparing(PdagentQueueDir.Entry::serviceKey).thenComparing(PdagentQueueDir.Entry::name));
        }
        int imported = 0;
        int skipped = 0;
        int unusable = 0;
        int deadMoved = 0;
        List<String> notes = new ArrayList<>();
        int index = 0;
        try (FileChannel j = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            for (PdagentQueueDir.Entry e : pending) {
                index++;
                if (journaled.contains(e.name())) {
                    Files.deleteIfExists(e.file());
                    skipped++;
                    continue;
                }
                byte[] raw = Files.size(e.file()) > MAX_EVENT_BYTES ? null : Files.readAllBytes(e.file());
                String problem = raw == null ? "larger than PagerDuty's " + MAX_EVENT_BYTES / 1024 + " KB limit" : null;
                Map<String, Object> record = problem == null ? spoolRecord(e, raw) : null;
                if (problem == null && record == null) {
                    problem = "not a JSON object";
                }
                if (problem != null) {
                    keepDead(e, j);
                    notes.add(e.name() + ": " + problem + "; kept in " + dataDir.resolve(DEAD_DIR));
                    unusable++;
                    continue;
                }
                // SpoolFormat's name, with a digest of the source for randomness: the same event always gets the same name
                String name = String.format("%013d-%019d-pdagent-%s", e.enqueuedAtMillis(), index, digest(e.name(), raw, 16))
                        + SpoolFormat.SUFFIX;
                SpoolFormat.write(spool, name, JSON.writeValueAsBytes(record));
                journal(j, e.name(), name);
                Files.delete(e.file());
                imported++;
            }
            if (!includeDead) {
                for (PdagentQueueDir.Entry e : dead) {
                    if (!journaled.contains(e.name())) {
                        keepDead(e, j);
                    } else {
                        Files.deleteIfExists(e.file());
                    }
                    deadMoved++;
                }
            } else {
                deadMoved = dead.size();
            }
        }
        return new Report(imported, skipped, deadMoved, unusable, source.entries("suc").size(),
                source.entries("tmp").size(), List.copyOf(notes));
    }

    /** The spool record of one event, or null when the file is not a JSON object. */
    private static Map<String, Object> spoolRecord(PdagentQueueDir.Entry e, byte[] raw) {
        JsonNode n;
        try {
            n = JSON.readTree(raw);
        } catch (IOException ex) {
            return null;
        }
        if (!(n instanceof ObjectNode event)) {
            return null;
        }
        boolean v2 = event.has("routing_key") || event.has("event_action");
        String action = v2 ? event.path("event_action").asText("") : event.path("event_type").asText("");
        String keyField = v2 ? "dedup_key" : "incident_key";
        boolean hasKey = event.path(keyField).isTextual() && !event.path(keyField).asText().isBlank();
        byte[] body = raw;
        if (action.equals("trigger") && !hasKey) {
            event.put(keyField, "pdagent-" + digest(e.name(), raw, 32));
            try {
                body = JSON.writeValueAsBytes(event);
            } catch (IOException ex) {
                return null;
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("version", 1);
        r.put("path", v2 ? V2_PATH : V1_PATH);
        r.put("content_type", "application/json");
        r.put("body", new String(body, StandardCharsets.UTF_8));
        r.put("queued_at", Instant.ofEpochMilli(e.enqueuedAtMillis()).toString());
        r.put("queued_by", "pdagent-import:" + e.name());
        return r;
    }

    private void keepDead(PdagentQueueDir.Entry e, FileChannel journal) throws IOException {
        Path dir = dataDir.resolve(DEAD_DIR);
        Files.createDirectories(dir);
        Path target = dir.resolve(e.name());
        Path tmp = dir.resolve("." + e.name() + ".tmp");
        Files.copy(e.file(), tmp, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        journal(journal, e.name(), DEAD_DIR + "/" + e.name());
        Files.delete(e.file());
    }

    private void journal(FileChannel j, String sourceName, String target) throws IOException {
        ByteBuffer b = ByteBuffer.wrap((sourceName + "\t" + target + "\n").getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            j.write(b);
        }
        j.force(true);
        journaled.add(sourceName);
    }

    /** The agent's spool, created as the agent creates it (mode 1733, owned like the data dir) when missing. */
    private Path spoolDir() throws IOException {
        Path spool = dataDir.resolve(SPOOL_DIR);
        if (!Files.isDirectory(spool)) {
            Files.createDirectories(spool);
            try {
                Files.setAttribute(spool, "unix:mode", SpoolFormat.DIR_MODE);
                UserPrincipal owner = Files.getOwner(dataDir);
                Files.setOwner(spool, owner);
            } catch (IOException | UnsupportedOperationException e) {
                // the agent fixes the mode of its spool at start
            }
        }
        return spool;
    }

    private static String digest(String name, byte[] raw, int hexChars) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(name.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(raw);
            return HexFormat.of().formatHex(d.digest()).substring(0, hexChars);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
