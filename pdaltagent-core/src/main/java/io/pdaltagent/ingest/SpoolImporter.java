package io.pdaltagent.ingest;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import io.pdaltagent.observe.AgentListener;
import io.pdaltagent.observe.Mask;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueueFullException;
import io.pdaltagent.queue.StoreUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports the events that {@code pd-send} (and the other commands of pdaltagent-cli) wrote to the
 * spool while the agent could not be reached: {@code <data dir>/spool/*.event}, one JSON file per
 * event ({@code {"version":1,"path":…,"content_type":…,"body":…,"queued_at":…,"queued_by":…}}), named so
 * that name order is queue order. The layout is {@link io.pdaltagent.common.SpoolFormat}'s, shared with the writers.
 *
 * <p><b>What an import does</b>, one file at a time in name order: the file is first claimed by
 * moving it to {@code spool/importing/} (a file the agent may not remove is left alone, with a
 * warning, rather than imported again and again); its body is checked exactly as ingest checks a
 * request on the same path, through the same {@link Intake} (validation, a key for a trigger
 * without one, the transforms), the event is appended to the queue, and the file is deleted once the append is durable.
 * A file that is unreadable or invalid is moved to {@code spool/rejected/} with a {@code .reason}
 * file next to it and a WARN log line (the body is never logged). When the queue is full or the store
 * unavailable, the file stays claimed and is tried first on the next pass, so order holds. A record
 * of an event that arrives dead (PagerDuty Agent's, from {@code pdagentd import-pdagent}) is
 * appended dead ({@link DeadArrivals}). A crash
 * between the append and the delete imports that one event again at the next start (at least once,
 * as everywhere in the agent).
 *
 * <p><b>When.</b> {@link #start} imports what is there before returning (the composition root calls
 * it before ingest opens, so events spooled while the agent was down are queued ahead of newer ones
 * sent over HTTP), then a thread named {@code spool-importer} imports new files as a
 * {@link WatchService} reports them, and rescans every {@value #RESCAN_SECONDS} s in case a
 * notification was missed (or the file system has none).
 *
 * <p><b>Permissions.</b> {@code spool/} is created with mode {@code 1733}: any local user may drop a
 * file in it, only the agent may list it, and the sticky bit stops users from removing each other's
 * files. {@code importing/} and {@code rejected/} are the agent's own ({@code 0700}). What another
 * user plants is never read: a file is checked only once it has been moved into {@code importing/}
 * (where nobody else can swap it), and refused unread when it is a symbolic link (never followed),
 * has more than one hard link (it could be the agent's own file, or another user's, under a second
 * name), or belongs to a user not in {@code PDAGENTD_SPOOL_ALLOWED_USERS} when that list is set.
 *
 * <p>Threads: {@link #importNow} is synchronized; the listener is called on the importing thread.
 */
public final class SpoolImporter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolImporter.class);

    public static final String SPOOL_DIR = io.pdaltagent.common.SpoolFormat.DIR_NAME;
    static final String IMPORTING_DIR = "importing";
    static final String REJECTED_DIR = "rejected";
    static final String SUFFIX = io.pdaltagent.common.SpoolFormat.SUFFIX;
    static final String REASON_SUFFIX = ".reason";
    static final int FORMAT_VERSION = io.pdaltagent.common.SpoolFormat.FORMAT_VERSION;
    /** Fallback rescan period when no file-system notification arrives. */
    static final long RESCAN_SECONDS = 2;
    /** rwx-wx-wt: any user may create files, only the owner may list; users cannot remove others' files. */
    static final int SPOOL_DIR_MODE = io.pdaltagent.common.SpoolFormat.DIR_MODE;
    static final int PRIVATE_DIR_MODE = 0700;
    /** A writer's temporary file older than this was left by a writer that died; it is removed. */
    static final Duration STALE_TEMP_AGE = Duration.ofHours(1);
    /**
     * A file that is no spool file yet and was written less than this long ago is given another
     * pass: a writer that does not rename (a hand-made {@code cp}) may still be writing it.
     */
    static final Duration SETTLE_TIME = Duration.ofSeconds(2);
    /** Label prefix for the listener: {@code spool:/v2/enqueue}. */
    static final String LABEL_PREFIX = "spool:";
    /** How long {@link #close} waits for the import under way. */
    private static final long CLOSE_WAIT_SECONDS = 10;
    /** How many names of files the agent may not claim are remembered (for one warning each). */
    private static final int MAX_WARNED = 1000;

    private final Path spool;
    private final Path importing;
    private final Path rejected;
    private final EventQueue queue;
    private final AgentListener listener;
    private final Clock clock;
    private final int maxBodyBytes;
    private final Intake intake;
    private final Set<String> allowedUsers;
    private final Set<String> warnedUnclaimable = Collections.synchronizedSet(new LinkedHashSet<>());
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running;
    private volatile boolean holdingForQueue;
    private WatchService watcher;
    private Thread thread;

    /**
     * @param dataDir the agent's data dir; the spool is its {@code spool/}
     * @param maxBodyBytes larger bodies are rejected, as ingest answers 413
     */
    public SpoolImporter(Path dataDir, EventQueue queue, AgentListener listener, Clock clock, int maxBodyBytes) {
        this(dataDir, queue, listener, clock, maxBodyBytes, Intake.plain());
    }

    /** @param intake the same intake as HTTP ingest's: spooled events pass the same checks and transforms */
    public SpoolImporter(Path dataDir, EventQueue queue, AgentListener listener, Clock clock, int maxBodyBytes,
                         Intake intake) {
        this(dataDir, queue, listener, clock, maxBodyBytes, intake, Set.of());
    }

    /** @param allowedUsers the owners whose files are imported ({@code PDAGENTD_SPOOL_ALLOWED_USERS}); empty: any */
    public SpoolImporter(Path dataDir, EventQueue queue, AgentListener listener, Clock clock, int maxBodyBytes,
                         Intake intake, Set<String> allowedUsers) {
        this.allowedUsers = Set.copyOf(allowedUsers);
        this.spool = dataDir.resolve(SPOOL_DIR);
        this.importing = spool.resolve(IMPORTING_DIR);
        this.rejected = spool.resolve(REJECTED_DIR);
        this.queue = Objects.requireNonNull(queue, "queue");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxBodyBytes = maxBodyBytes;
        this.intake = Objects.requireNonNull(intake, "intake");
    }

    /** {@code <data dir>/spool}. */
    public Path spoolDir() {
        return spool;
    }

    /**
     * Creates the spool directories, imports what is there, and starts watching for new files.
     * Problems are logged, never thrown: the agent runs without its spool rather than not at all.
     */
    public void start() {
        try {
            prepareDirectories();
        } catch (IOException | RuntimeException e) {
            LOG.error("The spool {} cannot be used ({}); events that pd-send queues there while the agent is down "
                    + "will not be imported", spool, describe(e));
            return;
        }
        importNow();
        try {
            watcher = spool.getFileSystem().newWatchService();
            spool.register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
        } catch (IOException | RuntimeException e) {
            LOG.info("No file notifications for {} ({}); rescanning every {} s", spool, describe(e), RESCAN_SECONDS);
            closeWatcher();
        }
        running = true;
        thread = Thread.ofPlatform().name("spool-importer").daemon(true).start(new WatchLoop());
    }

    private void prepareDirectories() throws IOException {
        Files.createDirectories(spool.getParent());
        try {
            Files.createDirectory(spool);
            Files.setAttribute(spool, "unix:mode", SPOOL_DIR_MODE);
            LOG.info("Created the spool {} (mode 1733: every local user may queue events there)", spool);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(spool)) {
                throw new IOException(spool + " exists and is no directory");
            }
        } catch (UnsupportedOperationException e) {
            LOG.info("Cannot set the mode of {} on this file system; only the agent's user may queue events there", spool);
        }
        for (Path p : new Path[] {importing, rejected}) {
            try {
                Files.createDirectory(p);
                Files.setAttribute(p, "unix:mode", PRIVATE_DIR_MODE);
            } catch (FileAlreadyExistsException e) {
                // kept from an earlier run
            } catch (UnsupportedOperationException e) {
                // no POSIX modes here: the directory is as the umask made it
            }
        }
        if (!Files.isReadable(spool)) {
            throw new AccessDeniedException(spool.toString(), null, "the agent's user may not list it");
        }
    }

    /**
     * One pass: first the files claimed earlier and not finished, then the spool's files, in name
     * order. Returns how many events were appended.
     */
    public synchronized int importNow() {
        int imported = 0;
        try {
            for (Path claimed : eventFiles(importing)) {
                Outcome o = importClaimed(claimed);
                if (o == Outcome.HOLD) {
                    return imported;
                }
                imported += o == Outcome.IMPORTED ? 1 : 0;
            }
            for (Path file : eventFiles(spool)) {
                if (!runningOrStarting()) {
                    break;
                }
                Path claimed = claim(file);
                if (claimed == null) {
                    continue;
                }
                Outcome o = importClaimed(claimed);
                if (o == Outcome.HOLD) {
                    return imported;
                }
                imported += o == Outcome.IMPORTED ? 1 : 0;
            }
            if (holdingForQueue) {
                holdingForQueue = false;
                LOG.info("The queue takes events again; spool import goes on");
            }
            removeStaleTempFiles();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Spool pass over {} failed: {}; trying again in {} s", spool, describe(e), RESCAN_SECONDS);
        }
        if (imported > 0) {
            LOG.info("Imported {} event(s) from the spool {}", imported, spool);
        }
        return imported;
    }

    private boolean runningOrStarting() {
        return running || thread == null;
    }

    private enum Outcome {
        IMPORTED, REJECTED, HOLD
    }

    /** {@code *.event} regular files (no links), temporary and hidden names excluded, sorted by name. */
    private static List<Path> eventFiles(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (name.endsWith(SUFFIX) && !name.startsWith(".")) {
                    files.add(p);
                }
            }
        } catch (NoSuchFileException e) {
            return files;
        }
        Path[] sorted = files.toArray(new Path[0]);
        Arrays.sort(sorted, (a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return Arrays.asList(sorted);
    }

    /** Moves a spool file to importing/; null when it is gone or may not be moved by the agent. */
    private Path claim(Path file) {
        String name = file.getFileName().toString();
        Path target = importing.resolve(name);
        try {
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
            warnedUnclaimable.remove(name);
            return target;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            if (warnedUnclaimable.size() < MAX_WARNED && warnedUnclaimable.add(name)) {
                LOG.warn("Spool file {} is not imported: the agent may not move it out of {} ({}); make {} owned by "
                        + "the agent's user (it is created so when missing)", name, spool, describe(e), spool);
            }
            return null;
        }
    }

    private Outcome importClaimed(Path claimed) {
        String name = claimed.getFileName().toString();
        Checked checked;
        try {
            String refused = refusal(claimed);
            if (refused != null) {
                return reject(claimed, null, "refused", refused);
            }
            checked = check(read(claimed), claimed);
        } catch (IOException e) {
            return reject(claimed, null, "unreadable", "the file cannot be read: " + describe(e));
        }
        if (checked.problem != null) {
            if (checked.route == null && "malformed".equals(checked.reason) && isFresh(claimed)) {
                LOG.debug("Spool file {} is incomplete; trying again on the next pass", name);
                return Outcome.HOLD;
            }
            return reject(claimed, checked.route, checked.reason, checked.problem);
        }
        NewItem item = checked.item;
        try {
            if (checked.suppressedBy == null || queue.keepsSuppressed()) { // else counted by its rule, not stored
                CompletableFuture<Long> stored = queue.append(item);
                stored.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.HOLD;
        } catch (ExecutionException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            if (!holdingForQueue) {
                holdingForQueue = true;
                String why = cause instanceof QueueFullException || cause instanceof StoreUnavailableException
                        ? cause.getMessage() : cause.toString();
                LOG.warn("Spool import paused: the queue cannot take events ({}); {} and the files after it wait",
                        why, name);
            }
            return Outcome.HOLD;
        }
        try {
            Files.delete(claimed);
        } catch (IOException e) {
            // appended, so at worst imported again at the next pass: at least once
            LOG.warn("Imported spool file {} could not be deleted ({}); it may be imported again", name, describe(e));
        }
        notifyListener(checked.route, null);
        if (LOG.isDebugEnabled()) {
            LOG.debug("Imported spool file {} on {} for key {}", name, checked.route.template(),
                    Mask.key(item.orderingKey()));
        }
        return Outcome.IMPORTED;
    }

    private boolean isFresh(Path file) {
        try {
            FileTime modified = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS);
            return modified.toInstant().isAfter(clock.instant().minus(SETTLE_TIME));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Why a claimed file is not read at all, or null. It lies in {@code importing/} (the agent's own,
     * 0700), so what is checked here cannot change before it is read: a link (a symbolic link is never
     * followed; a hard link could be another user's or the agent's own file, seen under a second name),
     * or an owner not in {@code PDAGENTD_SPOOL_ALLOWED_USERS}.
     */
    private String refusal(Path claimed) throws IOException {
        if (Files.isSymbolicLink(claimed)) {
            return "a symbolic link; spool files are never followed";
        }
        if (!Files.isRegularFile(claimed, LinkOption.NOFOLLOW_LINKS)) {
            return "not a regular file";
        }
        Object links = linkCount(claimed);
        if (links instanceof Integer n && n > 1) {
            return "a file with " + n + " hard links; a spool file has one name";
        }
        String owner = Files.getOwner(claimed, LinkOption.NOFOLLOW_LINKS).getName();
        if (!allowedUsers.isEmpty() && !allowedUsers.contains(owner)) {
            return "owned by '" + printable(owner) + "', who is not in PDAGENTD_SPOOL_ALLOWED_USERS";
        }
        return null;
    }

    private static Object linkCount(Path file) throws IOException {
        try {
            return Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return null; // no such attribute on this file system
        }
    }

    /** The file's bytes, without following a link, at most what a spool file of the largest body can be. */
    private byte[] read(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("not a regular file");
        }
        // a body's characters may take up to 6 bytes each once escaped in the JSON string
        long limit = (long) maxBodyBytes * 6 + 64 * 1024;
        try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
             InputStream in = Channels.newInputStream(ch)) {
            if (ch.size() > limit) {
                throw new IOException("larger than " + limit + " bytes");
            }
            return in.readNBytes((int) limit + 1);
        }
    }

    /** A checked spool file: an item to append, or the problem that rejects it. */
    record Checked(Route route, NewItem item, String reason, String problem, String suppressedBy) {
        static Checked bad(Route route, String reason, String problem) {
            return new Checked(route, null, reason, problem, null);
        }
    }

    /** Parses and checks one spool file's bytes, not read from a file (a dead record is then refused); never throws. */
    Checked check(byte[] file) {
        return check(file, null);
    }

    /** Parses and checks the bytes of the spool file {@code claimed}; never throws for any content. */
    Checked check(byte[] file, Path claimed) {
        JsonNode record;
        try {
            record = Json.MAPPER.readTree(file);
        } catch (JacksonException e) {
            return Checked.bad(null, "malformed", "not a spool file: JSON parse error " + where(e.getLocation()));
        } catch (IOException e) {
            return Checked.bad(null, "malformed", "not a spool file: " + e.getClass().getSimpleName());
        } catch (NumberFormatException e) {
            return Checked.bad(null, "malformed", "not a spool file: a number out of range"); // 1e99999999999
        }
        if (record == null || !record.isObject()) {
            return Checked.bad(null, "malformed", "not a spool file: not a JSON object");
        }
        JsonNode version = record.get("version");
        if (version == null || !version.canConvertToInt() || version.intValue() != FORMAT_VERSION) {
            return Checked.bad(null, "malformed", "unknown spool file version " + (version == null ? "(none)"
                    : version.toString()) + "; this agent reads version " + FORMAT_VERSION);
        }
        JsonNode pathNode = record.get("path");
        JsonNode bodyNode = record.get("body");
        if (pathNode == null || !pathNode.isTextual() || bodyNode == null || !bodyNode.isTextual()) {
            return Checked.bad(null, "malformed", "not a spool file: 'path' and 'body' must be strings");
        }
        String path = pathNode.textValue();
        Route.Match match = path.indexOf('?') >= 0 || path.indexOf('#') >= 0 ? null : Route.match(path);
        if (match == null) {
            return Checked.bad(null, "not_found", "'" + printable(path) + "' is no ingest path");
        }
        Route route = match.route();
        byte[] body = bodyNode.textValue().getBytes(StandardCharsets.UTF_8);
        if (body.length > maxBodyBytes) {
            return Checked.bad(route, "too_large", "Request body is larger than the limit of " + maxBodyBytes + " bytes");
        }
        Intake.Outcome outcome = intake.take(match, path, body, clock.instant());
        if (DeadArrivals.isDead(record)) {
            DeadArrivals.Result dead = DeadArrivals.item(record, claimed, path, DeadArrivals.contentType(record), body, outcome,
                    clock.instant());
            return dead.problem() != null ? Checked.bad(route, "invalid", dead.problem())
                    : new Checked(route, dead.item(), null, null, null);
        }
        if (outcome instanceof Intake.Rejected r) {
            return Checked.bad(route, r.reason(), r.describe());
        }
        Intake.Store store = (Intake.Store) outcome;
        return new Checked(route, store.item(), null, null, store.suppressedBy());
    }

    private Outcome reject(Path claimed, Route route, String reason, String problem) {
        String name = claimed.getFileName().toString();
        LOG.warn("Spool file {} rejected ({}): {}; moved to {}", name, reason, problem, rejected);
        try {
            Files.move(claimed, rejected.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(rejected.resolve(name + REASON_SUFFIX), reason + ": " + problem + "\n");
        } catch (IOException e) {
            LOG.warn("Rejected spool file {} could not be moved to {} ({}); deleting it", name, rejected, describe(e));
            try {
                Files.deleteIfExists(claimed);
            } catch (IOException e2) {
                LOG.error("Rejected spool file {} can be neither moved nor deleted ({})", claimed, describe(e2));
            }
        }
        notifyListener(route, reason);
        return Outcome.REJECTED;
    }

    private void notifyListener(Route route, String reasonOrNull) {
        String label = LABEL_PREFIX + (route == null ? "unknown" : route.template());
        try {
            if (reasonOrNull == null) {
                listener.accepted(label);
            } else {
                listener.rejected(label, reasonOrNull);
            }
        } catch (RuntimeException e) {
            LOG.error("AgentListener threw; ignored", e);
        }
    }

    /** Removes writers' temporary files ({@code .<name>.tmp}) left behind by a writer that died. */
    private void removeStaleTempFiles() throws IOException {
        FileTime cutoff = FileTime.from(clock.instant().minus(STALE_TEMP_AGE));
        try (DirectoryStream<Path> s = Files.newDirectoryStream(spool, ".*.tmp")) {
            for (Path p : s) {
                try {
                    if (Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).compareTo(cutoff) < 0) {
                        Files.deleteIfExists(p);
                        LOG.info("Removed {}: a temporary spool file left by a writer that stopped", p.getFileName());
                    }
                } catch (IOException e) {
                    // gone meanwhile, or not ours to remove
                }
            }
        }
    }

    /** Stops watching; waits for the file under way (up to 10 s) so that the queue may close after. */
    @Override
    public void close() {
        running = false;
        stopped.countDown();
        closeWatcher();
        Thread t = thread;
        if (t != null) {
            // not interrupted: an append under way completes and its file is deleted, not imported twice
            try {
                t.join(TimeUnit.SECONDS.toMillis(CLOSE_WAIT_SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closeWatcher() {
        WatchService w = watcher;
        if (w != null) {
            try {
                w.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** Waits for a notification (or the rescan period), then imports; until {@link #close}. */
    private final class WatchLoop implements Runnable {
        @Override
        public void run() {
            while (running) {
                try {
                    WatchService w = watcher;
                    if (w == null) {
                        if (stopped.await(RESCAN_SECONDS, TimeUnit.SECONDS)) {
                            return;
                        }
                    } else {
                        WatchKey key = w.poll(RESCAN_SECONDS, TimeUnit.SECONDS);
                        if (key != null) {
                            key.pollEvents();
                            key.reset();
                        }
                    }
                } catch (InterruptedException | ClosedWatchServiceException e) {
                    if (!running) {
                        return;
                    }
                    Thread.interrupted();
                }
                if (running) {
                    try {
                        importNow();
                    } catch (RuntimeException e) {
                        LOG.warn("Spool import failed; trying again in {} s", RESCAN_SECONDS, e);
                    }
                }
            }
        }
    }

    private static String where(JsonLocation l) {
        return l == null ? "" : "at line " + l.getLineNr() + ", column " + l.getColumnNr();
    }

    /** A path from a file, echoed only as printable ASCII and at most 100 characters. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 100; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }

    private static String describe(Throwable e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
