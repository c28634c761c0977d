package io.pdaltagent.queue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the embedded queue, and when SQLite finds its file damaged (corrupt, truncated, not a
 * database) moves the file aside instead of refusing to start: the database and its write-ahead log
 * go to {@code <data dir>/quarantine/<time>/}, kept for a person (who can look at it with
 * {@code pdagentd verify}), one ERROR says so, and the agent starts on an empty queue so that new
 * events are taken again. Any other failure to open (a lock held by another agent, a directory that
 * cannot be written) is passed on unchanged: only a damaged file is moved.
 */
public final class StoreQuarantine {
    private static final Logger LOG = LoggerFactory.getLogger(StoreQuarantine.class);
    public static final String DIR = "quarantine";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    /** The database and the files SQLite keeps beside it. */
    private static final String[] SUFFIXES = {"", "-wal", "-shm", "-journal"};

    private StoreQuarantine() {
    }

    /**
     * {@link SqliteEventQueue#open}, quarantining a damaged file first.
     *
     * @throws StoreUnavailableException when the queue cannot be opened for another reason, or the
     *     damaged file cannot be moved
     */
    public static SqliteEventQueue open(Path dataDir, Clock clock, long maxOpen) {
        try {
            return SqliteEventQueue.open(dataDir, clock, maxOpen);
        } catch (StoreUnavailableException e) {
            if (!StoreCheck.isCorruption(e)) {
                throw e;
            }
            Path moved = quarantine(dataDir, clock);
            String reason = e.getCause() == null ? e.getMessage() : e.getCause().getMessage();
            LOG.error("the embedded queue in {} is damaged ({}); it was moved to {} and is kept there, with the "
                    + "events it holds, for inspection ('pdagentd verify {}'); starting with an empty queue",
                    dataDir, reason, moved, moved);
            return SqliteEventQueue.open(dataDir, clock, maxOpen);
        }
    }

    /** Moves the database files into a new folder under {@code <data dir>/quarantine}; returns the folder. */
    static Path quarantine(Path dataDir, Clock clock) {
        Path base = dataDir.resolve(DIR).resolve(STAMP.format(clock.instant()));
        Path target = base;
        for (int n = 2; Files.exists(target); n++) {
            target = Path.of(base + "-" + n);
        }
        try {
            Files.createDirectories(target);
            for (String suffix : SUFFIXES) {
                Path f = dataDir.resolve(SqliteEventQueue.DB_FILE + suffix);
                if (Files.exists(f)) {
                    Files.move(f, target.resolve(f.getFileName()), StandardCopyOption.ATOMIC_MOVE);
                }
            }
        } catch (IOException e) {
            throw new StoreUnavailableException("the embedded queue in " + dataDir + " is damaged and cannot be moved "
                    + "aside to " + target + ": " + e.getMessage(), e);
        }
        return target;
    }
}
