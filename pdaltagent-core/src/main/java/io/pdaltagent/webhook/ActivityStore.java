package io.pdaltagent.webhook;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * What the webhook poller remembers: the log entries it has taken on (each entry id once, ever,
 * until pruned), the webhooks it staged but has not yet seen stored in the queue, its cursor, and,
 * when the store is shared between agents, which agent is the active poller (a lease).
 *
 * <p>An entry moves through two states, recorded here:
 * <pre>
 * state      meaning                                              next
 * (absent)   never seen                                           STAGED (by {@link #stage})
 * STAGED     this agent owns the entry; its webhook body is kept  FORWARDED (by {@link #markForwarded}),
 *            here until the queue has it                          or re-appended after a crash, then FORWARDED
 * FORWARDED  the webhook is in the queue; only the id is kept     deleted by {@link #prune} after the keep time
 * </pre>
 * {@link #stage} is an atomic insert-if-absent: of several agents racing for one entry, exactly
 * one gets it.
 *
 * <p><b>Threads.</b> Used by the poller's one thread; implementations are thread-safe anyway.
 */
public interface ActivityStore extends AutoCloseable {

    /** One webhook about to be handed to the queue. {@code order} keeps the poller's order within a stage call. */
    record Staged(String entryId, String incidentId, Instant createdAt, String webhookId, byte[] body, String stagedBy) {
    }

    /** The ids among {@code entryIds} that this store has seen (staged or forwarded). */
    Set<String> known(Collection<String> entryIds);

    /**
     * Records the entries as STAGED by {@code holder}, in one transaction; entries already known are
     * left alone. Returns the ids this call staged: those, and only those, the caller forwards.
     */
    Set<String> stage(List<Staged> entries, String holder);

    /** STAGED → FORWARDED (the body is dropped), in one transaction. */
    void markForwarded(Collection<String> entryIds);

    /** Every STAGED entry, in the order it was staged. */
    List<Staged> staged();

    /**
     * Takes over a STAGED entry of another holder (a dead agent's). True when this call moved it;
     * false when someone else did first or it was forwarded meanwhile.
     */
    boolean adopt(String entryId, String from, String to);

    /** When the last complete poll ended (the next one starts from here minus the overlap), or null. */
    Instant cursor();

    void saveCursor(Instant until);

    /** Deletes FORWARDED entries created before {@code cutoff}; returns how many. */
    int prune(Instant cutoff);

    /**
     * Takes or renews the poller lease for {@code ttl}. True while {@code holder} is the active
     * poller. A store that is not shared (the embedded one) always answers true: the data
     * directory's lock already makes its agent the only one.
     */
    boolean tryLease(String holder, Duration ttl);

    /** Gives the lease up (on a clean stop), so that another agent takes over at once. */
    void releaseLease(String holder);

    /** For /healthz: {@code embedded} or {@code postgresql}. */
    String kind();

    @Override
    void close();
}
