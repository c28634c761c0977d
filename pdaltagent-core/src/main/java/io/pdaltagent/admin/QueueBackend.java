package io.pdaltagent.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.pdaltagent.queue.DeliveryState;

/**
 * Where {@code pd-queue} gets its answers: the running agent's admin API ({@link ApiQueueBackend})
 * or, when the agent is stopped, its data directory opened directly ({@link DirectQueueBackend}).
 * Both return {@link QueueAdmin}'s documents. Failures are {@link PdQueueException}s.
 */
interface QueueBackend extends AutoCloseable {

    JsonNode status(String keyOrNull);

    /** Retries the dead events of one key, or of all keys when {@code keyOrNull} is null. */
    JsonNode retry(String keyOrNull);

    JsonNode dead(String keyOrNull, int limit);

    /** Events suppressed at ingest: counts per key and suppressor, then the oldest events. */
    JsonNode suppressed(String keyOrNull, int limit);

    /** One event with its body; fails with exit code 1 when there is none. */
    JsonNode event(long seq);

    JsonNode purge(DeliveryState state, String keyOrNull);

    /** Retries these events where they are dead (pd-queue retry --seq). */
    JsonNode retrySeqs(java.util.List<Long> seqs);

    /** Purges these events where they are dead (pd-queue purge --seq). */
    JsonNode purgeSeqs(java.util.List<Long> seqs);

    /** True when working on the data directory of a stopped agent. */
    boolean direct();

    @Override
    void close();
}
