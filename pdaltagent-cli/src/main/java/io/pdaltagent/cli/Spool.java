package io.pdaltagent.cli;

import io.pdaltagent.common.DataDirs;
import io.pdaltagent.common.SpoolFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * The agent's spool on this host: where an event goes when the agent cannot be reached, to be
 * imported by the agent (its {@code SpoolImporter}) when it runs. The agent reads the same layout.
 *
 * <p><b>Where.</b> {@code <data dir>/spool/}, the data dir being {@code PDAGENTD_DATA_DIR} when set,
 * else {@code /var/lib/pdaltagent} when that directory exists (a system-wide install), else
 * {@code ~/.pdaltagent} — the agent finds its data dir the same way.
 *
 * <p><b>Who may write.</b> The agent creates {@code spool/} at start with mode {@code 1733}: every
 * user may create files in it (as in {@code /tmp}, the sticky bit stops users from removing each
 * other's files), but only the agent may list it, so one user cannot read another's events, whose
 * names are unguessable. When {@code spool/} does not exist yet, this class creates it the same way
 * if it can. Each file is made readable by the agent ({@code 0644}) whatever the writer's umask, as
 * PagerDuty Agent's pd-send also did.
 *
 * <p><b>One file per event</b>, written under a temporary name ({@code .<name>.tmp}), flushed to
 * disk, then renamed atomically to {@code <epoch millis>-<monotonic nanos>-<pid>-<random>.event}:
 * the agent never sees half a file, and the name sorts by time, so that the agent imports the events
 * in the order they were queued. The content is a small JSON object:
 * <pre>{@code
 * {"version":1,"path":"/v2/enqueue","content_type":"application/json","body":"{...the event...}",
 *  "queued_at":"2025-01-01T00:00:00.123Z","queued_by":"nagios"}
 * }</pre>
 * {@code body} is the exact body the tool would have posted; a trigger without a dedup key gets one
 * here (a random UUID), so that the command can print it and a later resolve can name it.
 */
final class Spool {
    static final String DIR_NAME = SpoolFormat.DIR_NAME;
    static final String SUFFIX = SpoolFormat.SUFFIX;
    static final int FORMAT_VERSION = SpoolFormat.FORMAT_VERSION;
    static final String DATA_DIR_VARIABLE = DataDirs.VARIABLE;
    static final Path SYSTEM_DATA_DIR = Path.of(DataDirs.SYSTEM);
    static final int DIR_MODE = SpoolFormat.DIR_MODE;

    private final Path dataDir;

    Spool(Path dataDir) {
        this.dataDir = dataDir;
    }

    static Spool fromEnv(Map<String, String> env) {
        return new Spool(dataDir(env));
    }

    /** The agent's data dir: {@code PDAGENTD_DATA_DIR}, else /var/lib/pdaltagent if it exists, else ~/.pdaltagent. */
    static Path dataDir(Map<String, String> env) {
        return DataDirs.resolve(env.get(DATA_DIR_VARIABLE));
    }

    Path dir() {
        return dataDir.resolve(DIR_NAME);
    }

    /**
     * Writes the event to the spool.
     *
     * @param baseUrl and {@code reason}: why the agent was not used, for the error message
     * @throws CliException when the event cannot be written: then it is nowhere, and the caller must say so
     */
    AgentClient.Result.Spooled store(OutboundEvent event, String baseUrl, String reason) throws CliException {
        String failure = "the agent at " + baseUrl + " could not be reached (" + reason + "), and the event could not be queued";
        String body = event.body();
        String key = event.dedupKey();
        if (OutboundEvent.JSON.equals(event.contentType())) {
            Map<String, Object> o;
            try {
                o = Json.parseObject(body);
            } catch (IllegalArgumentException e) {
                throw new CliException(failure + ": the event is not a JSON object (" + e.getMessage() + ")");
            }
            String assigned = assignKeyIfTrigger(o);
            if (assigned != null) {
                body = Json.write(o);
                key = assigned;
            } else if (key == null) {
                key = existingKey(o);
            }
        }
        Map<String, Object> record = Json.object();
        record.put("version", Long.valueOf(FORMAT_VERSION));
        record.put("path", event.path());
        record.put("content_type", event.contentType());
        record.put("body", body);
        record.put("queued_at", Instant.now().toString());
        record.put("queued_by", System.getProperty("user.name", "?"));
        Path dir = dir();
        try {
            ensureDir(dir);
            Path file = write(dir, Json.write(record).getBytes(StandardCharsets.UTF_8));
            return new AgentClient.Result.Spooled(file, key);
        } catch (IOException e) {
            throw new CliException(failure + " in " + dir + ": " + describe(e) + hint(e, dir));
        }
    }

    /**
     * Gives a trigger without a key ({@code dedup_key} on v2, {@code incident_key} on v1) a random
     * one, as the agent's ingest would; returns it, or null when the event needs none.
     */
    static String assignKeyIfTrigger(Map<String, Object> o) {
        if ("trigger".equals(o.get("event_action")) && isBlank(o.get("dedup_key"))) {
            String k = UUID.randomUUID().toString();
            o.put("dedup_key", k);
            return k;
        }
        if ("trigger".equals(o.get("event_type")) && isBlank(o.get("incident_key"))) {
            String k = UUID.randomUUID().toString();
            o.put("incident_key", k);
            return k;
        }
        return null;
    }

    private static String existingKey(Map<String, Object> o) {
        if (o.get("dedup_key") instanceof String k && !k.isBlank()) {
            return k;
        }
        if (o.get("incident_key") instanceof String k && !k.isBlank()) {
            return k;
        }
        return null;
    }

    private static boolean isBlank(Object v) {
        return v == null || (v instanceof String s && s.isBlank());
    }

    private void ensureDir(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Files.createDirectories(dataDir);
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            return; // another pd-send or the agent was quicker
        }
        Files.setAttribute(dir, "unix:mode", Integer.valueOf(DIR_MODE));
    }

    private static Path write(Path dir, byte[] content) throws IOException {
        String name = fileName(System.currentTimeMillis(), System.nanoTime(), ProcessHandle.current().pid());
        return SpoolFormat.write(dir, name, content);
    }

    /** {@code <epoch millis, 13 digits>-<monotonic nanos, 19 digits>-<pid>-<16 hex digits>.event}. */
    static String fileName(long epochMillis, long nanos, long pid) {
        return SpoolFormat.fileName(epochMillis, nanos, Long.toString(pid));
    }

    private static String describe(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such directory";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String hint(IOException e, Path dir) {
        if (e instanceof AccessDeniedException) {
            return " (the agent makes " + dir + " writable for every user when it starts; start it once, "
                    + "or set " + DATA_DIR_VARIABLE + " to the agent's data dir)";
        }
        return "";
    }
}
