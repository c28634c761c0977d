package io.pdaltagent.migrate;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PagerDuty Agent's queue directory, read as its {@code pdagent/pdqueue.py} writes it
 * ({@code <data dir>/outqueue/pdq}, the data dir being {@code /var/lib/pdagent} in its production
 * layout, {@code pdagent/confdirs.py}): one file per event named
 * {@code <type>_<enqueue time in ms>_<service key>.txt}, where {@code type} is
 * <ul>
 *   <li>{@code pdq} — pending, in the queue;</li>
 *   <li>{@code err} — dead: PagerDuty rejected it, or it was too large ({@code pd-queue retry}
 *       renames it back to {@code pdq});</li>
 *   <li>{@code suc} — delivered, kept until the cleanup;</li>
 *   <li>{@code tmp} — an enqueue that never finished (the file is renamed to {@code pdq} once written).</li>
 * </ul>
 * Sorting by name is queue order ({@code _queued_files}); the content is the event's JSON as the
 * agent would post it. Immutable listing; no locking (PagerDuty Agent must be stopped).
 */
public final class PdagentQueueDir {
    /** {@code pdq_1700000000123_<key>.txt}; {@code _get_event_metadata} splits the same way. */
    static final Pattern NAME = Pattern.compile("(pdq|err|suc|tmp)_([0-9]{1,19})_(.+)\\.txt");
    public static final Path DEFAULT_DATA_DIR = Path.of("/var/lib/pdagent");

    /** One event file. */
    public record Entry(Path file, String type, long enqueuedAtMillis, String serviceKey) {
        public String name() {
            return file.getFileName().toString();
        }
    }

    private final Path dir;

    private PdagentQueueDir(Path dir) {
        this.dir = dir;
    }

    /**
     * {@code given/outqueue/pdq} when it exists, else {@code given} itself when it holds queue
     * files (the pdq directory named directly).
     *
     * @throws IOException when neither is a PagerDuty Agent queue directory
     */
    public static PdagentQueueDir locate(Path given) throws IOException {
        Path nested = given.resolve("outqueue").resolve("pdq");
        if (Files.isDirectory(nested)) {
            return new PdagentQueueDir(nested);
        }
        if (Files.isDirectory(given) && !list(given).isEmpty()) {
            return new PdagentQueueDir(given);
        }
        throw new IOException("no PagerDuty Agent queue in " + given + " (expected " + nested + ")");
    }

    public Path dir() {
        return dir;
    }

    /** The files of one type, in queue order. */
    public List<Entry> entries(String type) throws IOException {
        List<Entry> out = new ArrayList<>();
        for (Entry e : list(dir)) {
            if (e.type().equals(type)) {
                out.add(e);
            }
        }
        return out;
    }

    private static List<Entry> list(Path dir) throws IOException {
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches() && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    long ms;
                    try {
                        ms = Long.parseLong(m.group(2));
                    } catch (NumberFormatException e) {
                        continue;
                    }
                    out.add(new Entry(p, m.group(1), ms, m.group(3)));
                }
            }
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }
}
