package io.pdaltagent.queue;

import java.time.Instant;

/**
 * Counts for one ordering key, as {@code pd-queue status} and the dashboard's keys page show them.
 *
 * @param pending items still to deliver (pending, in flight or waiting for a retry)
 * @param inFlight of those, the items claimed for a delivery attempt and not completed yet
 * @param succeeded delivered items still kept (delivered records are pruned after a retention)
 * @param dead items that will not be delivered unless a person retries them
 * @param throttled true while the key's head item waits for a retry
 * @param oldestOpenAcceptedAt when the key's oldest open (pending, in flight, retry) item was accepted;
 *        null when the key has no open item
 */
public record KeyStats(String key, long pending, long inFlight, long succeeded, long dead, boolean throttled,
                       Instant oldestOpenAcceptedAt) {
}
