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
 * Moves PagerDuty Agent's events into this agent's spool ({@code <data dir>/spool/}), where the
 * agent imports them in name order, checks each as ingest would and queues it (at once when it
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
 * imported twice; only a crash between the spool file and its journal line can queue that one event
 * again (at least once, as everywhere in the agent).
 *
 * <p><b>Dead events stay dead.</b> PagerDuty Agent's dead events ({@code err_}) go the same way with
 * a dead record ({@code "dead"}: why, {@code "ordering_key"}: the service key of the file's name): the
 * agent queues each as a DEAD item whose last error says it was dead in PagerDuty Agent, listed by
 * {@code pd-queue list} and sent again by {@code pd-queue retry}; with {@code includeDead} they are
 * imported as pending instead (what {@code pd-queue retry -a} would have done). A pending file that
 * is no event (not a JSON object) becomes a dead item too, with that reason. Only a file over
 * PagerDuty's 512 KB limit, which no queue takes, is moved to {@code <data dir>/pdagent-import/dead/}
 * unchanged and listed. Delivered records ({@code suc_}) and unfinished enqueues ({@code tmp_}) are
 * counted and left in place. Single-threaded; PagerDuty Agent must be stopped.
 */
public final class PdagentImport {
    public static final String JOURNAL = "pdagent-import.journal";
    public static final String DEAD_DIR = "pdagent-import/dead";
    static final String SPOOL_DIR = SpoolFormat.DIR_NAME;
    static final String V1_PATH = "/generic/2010-04-15/create_event.json";
    static final String V2_PATH = "/v2/enqueue";
    /** PagerDuty's limit on an event; a larger one could never be delivered. */
    static final int MAX_EVENT_BYTES = 512 * 1024;
    /** How the last error of an event that was dead in PagerDuty Agent begins. */
    public static final String DEAD_IN_PDAGENT = "dead in PagerDuty Agent";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What an import did.
     *
     * @param imported pending events moved into the spool now
     * @param skipped files the journal already named (an earlier run imported them)
     * @param dead dead events queued as dead (or imported as pending, with includeDead)
     * @param unusable pending files that could not be events (queued as dead, or set aside when too large)
     * @param setAside files over PagerDuty's size limit, moved to {@link #DEAD_DIR}
     * @param delivered {@code suc_} records left in place
     * @param unfinished {@code tmp_} files left in place
     * @param notes one line per unusable or set-aside file
     */
    public record Report(int imported, int skipped, int dead, int unusable, int setAside, int delivered, int unfinished,
                         List<String> notes) {
    }

    private final PdagentQueueDir source;
    private final Path dataDir;
    private final boolean includeDead;
    private final Set<String> journaled = new HashSet<>();
    private Path spool;
    private int index;

    public PdagentImport(PdagentQueueDir source, Path dataDir, boolean includeDead) {
        this.source = source;
        this.dataDir = dataDir;
        this.includeDead = includeDead;
    }

    public Report run() throws IOException {
        Files.createDirectories(dataDir);
        spool = spoolDir();
        Path journal = dataDir.resolve(JOURNAL);
        if (Files.exists(journal)) {
            for (String line : Files.readAllLines(journal, StandardCharsets.UTF_8)) {
                int tab = line.indexOf('\t');
                journaled.add(tab < 0 ? line : line.substring(0, tab));
            }
        }
        List<PdagentQueueDir.Entry> pending = new ArrayList<>(source.entries("pdq"));
        List<PdagentQueueDir.Entry> dead = source.entries("err");
        int deadAsPending = includeDead ? dead.size() : 0;
        if (includeDead) {
            pending.addAll(dead);
            // as if pd-queue retry had renamed them: name order without the type prefix
            pending.sort(Comparator.comparingLong(PdagentQueueDir.Entry::enqueuedAtMillis)
                    .thenComparing(PdagentQueueDir.Entry::serviceKey).thenComparing(PdagentQueueDir.Entry::name));
            dead = List.of();
        }
        int imported = 0;
        int skipped = 0;
        int unusable = 0;
        int setAside = 0;
        int deadQueued = 0;
        List<String> notes = new ArrayList<>();
        try (FileChannel j = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            // the pending ones first, in their order; dead ones take no place in a key's order
            List<PdagentQueueDir.Entry> all = new ArrayList<>(pending);
            all.addAll(dead);
            for (PdagentQueueDir.Entry e : all) {
                index++;
                boolean wasDead = !includeDead && e.type().equals("err");
                if (journaled.contains(e.name())) {
                    Files.deleteIfExists(e.file());
                    skipped++;
                    continue;
                }
                byte[] raw = read(e);
                if (raw == null) {
                    setAside(e, j);
                    notes.add(e.name() + ": " + (wasDead ? "dead, and larger" : "larger") + " than PagerDuty's "
                            + MAX_EVENT_BYTES / 1024 + " KB limit; kept in " + dataDir.resolve(DEAD_DIR));
                    unusable += wasDead ? 0 : 1;
                    setAside++;
                    continue;
                }
                Map<String, Object> record;
                if (wasDead) {
                    record = deadRecord(e, raw, DEAD_IN_PDAGENT + " (" + e.name()
                            + "): PagerDuty refused it, or it was too large; imported by pdagentd import-pdagent");
                    deadQueued++;
                } else if ((record = spoolRecord(e, raw)) == null) {
                    record = deadRecord(e, raw, "pending in PagerDuty Agent (" + e.name() + ") but not an event: not a JSON object");
                    notes.add(e.name() + ": not a JSON object; queued as a dead event");
                    unusable++;
                } else {
                    imported++;
                }
                spool(e, raw, record, j);
            }
        }
        return new Report(imported, skipped, includeDead ? deadAsPending : deadQueued,
                unusable, setAside, source.entries("suc").size(), source.entries("tmp").size(), List.copyOf(notes));
    }

    /** The file's bytes, or null when it is over PagerDuty's limit. */
    private static byte[] read(PdagentQueueDir.Entry e) throws IOException {
        return Files.size(e.file()) > MAX_EVENT_BYTES ? null : Files.readAllBytes(e.file());
    }

    /** Writes the spool file, journals it, deletes PagerDuty Agent's file. */
    private void spool(PdagentQueueDir.Entry e, byte[] raw, Map<String, Object> record, FileChannel j) throws IOException {
        // SpoolFormat's name, with a digest of the source for randomness: the same event always gets the same name
        String name = String.format("%013d-%019d-pdagent-%s", e.enqueuedAtMillis(), index, digest(e.name(), raw, 16))
                + SpoolFormat.SUFFIX;
        SpoolFormat.write(spool, name, JSON.writeValueAsBytes(record));
        journal(j, e.name(), name);
        Files.delete(e.file());
    }

    /**
     * The spool record of an event that arrives dead: the event's record when the file is one, else
     * its bytes as they are, under the service key of its name.
     */
    private static Map<String, Object> deadRecord(PdagentQueueDir.Entry e, byte[] raw, String reason) {
        Map<String, Object> r = spoolRecord(e, raw);
        if (r == null) {
            r = record(e, V1_PATH, raw);
        }
        r.put("dead", reason);
        r.put("ordering_key", e.serviceKey());
        return r;
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
        return record(e, v2 ? V2_PATH : V1_PATH, body);
    }

    private static Map<String, Object> record(PdagentQueueDir.Entry e, String path, byte[] body) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("version", SpoolFormat.FORMAT_VERSION);
        r.put("path", path);
        r.put("content_type", "application/json");
        r.put("body", new String(body, StandardCharsets.UTF_8));
        r.put("queued_at", Instant.ofEpochMilli(e.enqueuedAtMillis()).toString());
        r.put("queued_by", "pdagent-import:" + e.name());
        return r;
    }

    /** Moves a file no queue takes to {@link #DEAD_DIR}, unchanged. */
    private void setAside(PdagentQueueDir.Entry e, FileChannel journal) throws IOException {
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
