package io.pdaltagent.observe;

import java.time.Instant;
import java.util.Map;

/**
 * A snapshot of the webhook poller for {@code /healthz} and {@code /metrics}.
 *
 * @param state {@code starting}, {@code active} (this agent polls), {@code standby} (another agent
 *     holds the lease), {@code unauthorized} (PagerDuty refused the token), {@code stopped}
 * @param lastPollAt when the last poll ended, or null
 * @param lastOutcome {@code ok}, {@code rate_limited}, {@code unauthorized}, {@code error}, or null before the first poll
 * @param lastError what went wrong in the last poll that failed (never a body or a token), or null
 * @param cursor up to where PagerDuty's log has been read completely, or null
 * @param entriesForwarded webhooks this agent handed to the queue since it started
 * @param polls polls since start, by outcome
 * @param activityStore {@code embedded} or {@code postgresql}
 */
public record PollerStats(String state, Instant lastPollAt, String lastOutcome, String lastError, Instant cursor,
                          long entriesForwarded, Map<String, Long> polls, long rateLimited, String activityStore) {
    public PollerStats {
        polls = Map.copyOf(polls);
    }
}
