package io.pdaltagent.queue;

import java.time.Instant;

/**
 * A snapshot of the whole queue.
 *
 * @param open items not yet delivered nor dead
 * @param inFlight items whose delivery is under way
 * @param retryScheduled items waiting for a retry
 * @param delivered delivered items still kept
 * @param dead dead items
 * @param oldestOpenAcceptedAt when the oldest open item was accepted, or null when none is open
 */
public record QueueStats(long open, long inFlight, long retryScheduled, long delivered, long dead,
                         Instant oldestOpenAcceptedAt) {
}
