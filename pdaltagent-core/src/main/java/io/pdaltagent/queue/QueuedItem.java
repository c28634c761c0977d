package io.pdaltagent.queue;

import java.time.Instant;

/**
 * An item as the queue holds it.
 *
 * @param seq the queue's sequence number: unique, increasing in append order, never reused
 * @param attempts delivery attempts started so far (a claim counts as one)
 * @param nextAttemptAt when a retry is due (for other states: when the state was entered)
 * @param lastStatus the HTTP status of the last answer, or 0 when there was none
 * @param lastError the last failure as a person can read it (PagerDuty's answer for a 4xx), or null
 */
public record QueuedItem(long seq, String orderingKey, Destination destination, String contentType,
                         byte[] body, String dedupKey, Instant acceptedAt, DeliveryState state,
                         int attempts, Instant nextAttemptAt, int lastStatus, String lastError) {
}
