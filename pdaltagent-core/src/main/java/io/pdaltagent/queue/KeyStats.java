package io.pdaltagent.queue;

/**
 * Counts for one ordering key, as {@code pd-queue status} shows them.
 *
 * @param pending items still to deliver (pending, in flight or waiting for a retry)
 * @param succeeded delivered items still kept (delivered records are pruned after a retention)
 * @param dead items that will not be delivered unless a person retries them
 * @param throttled true while the key's head item waits for a retry
 */
public record KeyStats(String key, long pending, long succeeded, long dead, boolean throttled) {
}
