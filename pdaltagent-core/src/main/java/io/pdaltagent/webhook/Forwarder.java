package io.pdaltagent.webhook;

import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.NewItem;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands staged webhooks to the queue and records that they are there: the two steps after
 * {@link ActivityStore#stage}, and the recovery of entries left STAGED by a crash. See the package
 * documentation for why this order makes each entry reach the queue once.
 *
 * <p>Appends are issued in the staged order without waiting for each other (the queue keeps call
 * order per ordering key, and group-commits them), then all are awaited; the entries whose append
 * succeeded are marked FORWARDED in one transaction. An entry whose append failed stays STAGED and
 * is appended again by the next {@link #recover}. Order per incident then holds unless a later
 * entry of the same incident was appended in the same batch after the failed one (the queue was
 * full, or its store failed, for one append but not the next): that entry goes out first.
 *
 * <p><b>Threads.</b> Called by the poller's one thread only.
 */
final class Forwarder {
    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);
    static final String CONTENT_TYPE = "application/json";
    /**
     * The staged body of an entry a webhook filter dropped: no webhook is empty (each is a JSON
     * object), so an empty body (or none, as a store may read an empty one back) means "mark
     * FORWARDED, append nothing", also when it is found STAGED after a crash.
     */
    static final byte[] DROPPED = new byte[0];

    private final EventQueue queue;
    private final ActivityStore store;
    private final Destination destination;
    private final String holder;
    private final Clock clock;
    private boolean recoveredOwn;

    Forwarder(EventQueue queue, ActivityStore store, Destination destination, String holder, Clock clock) {
        this.queue = queue;
        this.store = store;
        this.destination = destination;
        this.holder = holder;
        this.clock = clock;
    }

    static boolean dropped(ActivityStore.Staged s) {
        return s.body() == null || s.body().length == 0;
    }

    /**
     * Appends and marks; returns how many were done: reached the queue, or were dropped by a
     * webhook filter (marked without an append). Throws when some did not reach the queue.
     */
    int forward(List<ActivityStore.Staged> all) {
        List<String> done = new ArrayList<>(all.size());
        List<ActivityStore.Staged> staged = new ArrayList<>(all.size());
        for (ActivityStore.Staged s : all) {
            if (dropped(s)) {
                done.add(s.entryId());
            } else {
                staged.add(s);
            }
        }
        int droppedCount = done.size();
        List<CompletableFuture<Long>> appends = new ArrayList<>(staged.size());
        for (ActivityStore.Staged s : staged) {
            appends.add(queue.append(new NewItem(s.incidentId(), destination, CONTENT_TYPE, s.body(), s.webhookId(),
                    clock.instant())));
        }
        RuntimeException failure = null;
        for (int i = 0; i < staged.size(); i++) {
            try {
                appends.get(i).join();
                done.add(staged.get(i).entryId());
            } catch (CompletionException e) {
                failure = e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
        store.markForwarded(done);
        if (failure != null) {
            int failed = staged.size() - (done.size() - droppedCount);
            throw new IllegalStateException(failed + " webhook(s) could not be queued (they are "
                    + "kept and queued at the next poll): " + failure.getMessage(), failure);
        }
        return done.size();
    }

    /**
     * Entries left STAGED: this agent's own (a crash after staging, or a failed append) and, while
     * this agent holds the lease ({@code adoptOthers}), other agents'. An own entry the queue already holds (the crash
     * came between the append and the mark) is only marked; one it does not hold is appended. When
     * the queue cannot tell (a broker), or the entry was another agent's, it is appended again
     * under the same webhook id: at least once, never lost.
     */
    int recover(boolean adoptOthers) {
        List<ActivityStore.Staged> all = store.staged();
        if (!adoptOthers) {
            all = all.stream().filter(s -> holder.equals(s.stagedBy())).toList();
        }
        if (all.isEmpty()) {
            recoveredOwn = true;
            return 0;
        }
        List<ActivityStore.Staged> redo = new ArrayList<>();
        List<ActivityStore.Staged> own = all.stream().filter(s -> holder.equals(s.stagedBy())).toList();
        Optional<Set<String>> present = own.isEmpty() ? Optional.of(Set.of())
                : queue.presentDedupKeys(own.stream().map(ActivityStore.Staged::webhookId).toList());
        List<String> alreadyQueued = new ArrayList<>();
        for (ActivityStore.Staged s : all) {
            if (holder.equals(s.stagedBy())) {
                if (present.isPresent() && present.get().contains(s.webhookId())) {
                    alreadyQueued.add(s.entryId());
                } else {
                    redo.add(s);
                }
            } else if (store.adopt(s.entryId(), s.stagedBy(), holder)) {
                redo.add(s);
            }
        }
        store.markForwarded(alreadyQueued);
        if (!recoveredOwn || !redo.isEmpty()) {
            LOG.info("webhook recovery: {} staged entr(ies) found; {} already in the queue, {} queued now{}", all.size(),
                    alreadyQueued.size(), redo.size(), present.isPresent() ? "" : " (the queue cannot be searched: "
                            + "a receiver may see a webhook again, with the same X-Webhook-Id)");
        }
        recoveredOwn = true;
        return redo.isEmpty() ? 0 : forward(redo);
    }
}
