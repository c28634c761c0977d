package io.pdaltagent.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.SqliteEventQueue;
import io.pdaltagent.queue.StoreUnavailableException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code pd-queue} on the data directory of a stopped agent: the embedded queue opened directly,
 * which takes the directory's lock for as long as {@code pd-queue} runs. Opening it also does what
 * the agent's start does: events that were in flight when the agent stopped become pending again.
 * A throttled flag is never set: nothing backs off while the agent is stopped.
 */
final class DirectQueueBackend implements QueueBackend {
    /** The embedded queue's files, as {@link SqliteEventQueue} names them. */
    static final String DB_FILE = "queue.db";
    static final String LOCK_FILE = "queue.lock";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SqliteEventQueue queue;
    private final QueueAdmin admin;

    private DirectQueueBackend(SqliteEventQueue queue) {
        this.queue = queue;
        this.admin = new QueueAdmin(queue);
    }

    /**
     * Opens the queue in {@code dataDir}; {@code agentUrl} and {@code why} (why the agent could not be
     * reached) go into the message when that fails too.
     */
    static DirectQueueBackend open(Path dataDir, String agentUrl, String why) {
        if (!Files.exists(dataDir.resolve(DB_FILE))) {
            throw new PdQueueException(1, "the agent is not reachable at " + agentUrl + " (" + why + ") and there is no queue in "
                    + dataDir + " (set PDQUEUE_AGENT_URL or PDAGENTD_DATA_DIR?)");
        }
        if (inUse(dataDir)) {
            throw new PdQueueException(1, "the agent seems to be running (its queue in " + dataDir + " is in use) but its admin API is not reachable at "
                    + agentUrl + " (" + why + "); set PDQUEUE_AGENT_URL to the agent's admin address (PDAGENTD_ADMIN_PORT)");
        }
        try {
            return new DirectQueueBackend(SqliteEventQueue.open(dataDir, Clock.systemUTC(), Long.MAX_VALUE));
        } catch (StoreUnavailableException e) {
            throw new PdQueueException(1, "the agent is not reachable at " + agentUrl + " (" + why + ") and its queue cannot be opened: "
                    + e.getMessage());
        }
    }

    /** True when another process (the agent) holds the data directory's lock. */
    private static boolean inUse(Path dataDir) {
        try (FileChannel ch = FileChannel.open(dataDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                return true;
            }
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (IOException e) {
            throw new PdQueueException(1, "cannot use the queue in " + dataDir + ": " + e.getMessage()
                    + " (run pd-queue as the user the agent runs as)");
        }
    }

    @Override
    public JsonNode status(String keyOrNull) {
        return run(() -> admin.status(keyOrNull));
    }

    @Override
    public JsonNode retry(String keyOrNull) {
        return run(() -> admin.retry(keyOrNull, keyOrNull == null));
    }

    @Override
    public JsonNode suppressed(String keyOrNull, int limit) {
        return run(() -> admin.suppressed(keyOrNull, limit));
    }

    @Override
    public JsonNode dead(String keyOrNull, int limit) {
        return run(() -> admin.dead(keyOrNull, limit));
    }

    @Override
    public JsonNode event(long seq) {
        return run(() -> admin.event(seq));
    }

    @Override
    public JsonNode purge(DeliveryState state, String keyOrNull) {
        return run(() -> admin.purge(state, keyOrNull));
    }

    @Override
    public JsonNode retrySeqs(java.util.List<Long> seqs) {
        return run(() -> admin.retry(seqs));
    }

    @Override
    public JsonNode purgeSeqs(java.util.List<Long> seqs) {
        return run(() -> admin.purge(seqs));
    }

    @Override
    public boolean direct() {
        return true;
    }

    @Override
    public void close() {
        queue.close();
    }

    private static JsonNode run(Supplier<Map<String, Object>> op) {
        try {
            return JSON.valueToTree(op.get());
        } catch (QueueAdmin.AdminException | StoreUnavailableException e) {
            throw new PdQueueException(1, e.getMessage());
        }
    }
}
