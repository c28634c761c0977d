package io.pdaltagent.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pdaltagent.config.AgentConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One poll: reads PagerDuty's log entries from the cursor (minus {@link #OVERLAP}) up to now and
 * forwards those not seen before, then moves the cursor.
 *
 * <p><b>Windows.</b> The time range is read as one window unless PagerDuty's count for it
 * ({@code total=true} on its first page) passes {@link #SPLIT_ABOVE}, or paging would pass the
 * {@value LogEntriesClient#OFFSET_CAP} offset + limit cap: then it is halved, and each half is
 * read the same way, oldest first. Each window is read completely (every page until
 * {@code more} is false), sorted oldest first, forwarded, and only then is the cursor moved to
 * its end: a poll that fails half-way is repeated from the last complete window.
 *
 * <p><b>Order.</b> PagerDuty lists newest first; a window's entries are sorted by
 * {@code created_at}, entries of the same instant in the reverse of PagerDuty's order. Windows go
 * oldest first, so each incident's webhooks are queued in the order things happened.
 *
 * <p><b>Threads.</b> Run by the poller's one thread; never two at once.
 */
final class PollCycle {
    private static final Logger LOG = LoggerFactory.getLogger(PollCycle.class);
    /**
     * Each poll reads again the last two minutes before the cursor: log entries can show up in the
     * API a little after their {@code created_at}, and would otherwise be missed. The activity
     * store drops those already forwarded.
     */
    static final Duration OVERLAP = Duration.ofMinutes(2);
    /** Windows with more entries are halved: it keeps a window's entries (held in memory) small. */
    static final int SPLIT_ABOVE = 2_000;
    /** A window this short is not split further, whatever it holds. */
    static final Duration MIN_WINDOW = Duration.ofSeconds(1);
    /** Entries forwarded per stage-append-mark round: bounds a transaction and the memory it needs. */
    static final int FORWARD_BATCH = 500;
    /** A webhook larger than this is not forwarded (PagerDuty drops anything over 256 KB too). */
    static final int MAX_WEBHOOK_BYTES = 512 * 1024;
    /** A little inside the keep time, so no entry older than the store remembers is ever read again. */
    static final Duration KEEP_MARGIN = Duration.ofMinutes(5);

    /** How a poll ended. */
    sealed interface Result {
        record Done(int forwarded) implements Result {
        }

        record RateLimited(Duration retryIn, int forwarded) implements Result {
        }

        record Refused(int status, String message) implements Result {
        }

        record Failed(String message) implements Result {
        }
    }

    private final LogEntriesClient api;
    private final ActivityStore store;
    private final Forwarder forwarder;
    private final WebhookBodies bodies;
    private final AgentConfig.WebhookConfig config;
    private final String holder;
    private final Clock clock;
    private final Set<String> services;
    private final WebhookFilterChain filters;
    private int rateLimited;

    PollCycle(LogEntriesClient api, ActivityStore store, Forwarder forwarder, WebhookBodies bodies,
              AgentConfig.WebhookConfig config, String holder, Clock clock) {
        this(api, store, forwarder, bodies, config, holder, clock, WebhookFilterChain.NONE);
    }

    PollCycle(LogEntriesClient api, ActivityStore store, Forwarder forwarder, WebhookBodies bodies,
              AgentConfig.WebhookConfig config, String holder, Clock clock, WebhookFilterChain filters) {
        this.filters = filters;
        this.api = api;
        this.store = store;
        this.forwarder = forwarder;
        this.bodies = bodies;
        this.config = config;
        this.holder = holder;
        this.clock = clock;
        this.services = Set.copyOf(config.serviceIds());
    }

    /** Thrown inside a poll to end it with a result. */
    private static final class Stop extends Exception {
        final Result result;

        Stop(Result result) {
            super(null, null, false, false);
            this.result = result;
        }
    }

    int rateLimitedCount() {
        return rateLimited;
    }

    Result run() throws InterruptedException {
        int forwarded = forwarder.recover(true);
        Instant now = clock.instant();
        Instant cursor = store.cursor();
        Instant since = cursor == null ? now.minus(config.firstLookBack()) : cursor.minus(OVERLAP);
        Instant oldest = now.minus(config.keepActivity()).plus(KEEP_MARGIN);
        if (since.isBefore(oldest)) {
            LOG.warn("webhook poller: the last poll ended at {}, longer ago than PDAGENTD_KEEP_ACTIVITY_SECONDS; "
                    + "reading from {} only", cursor, oldest);
            since = oldest;
        }
        if (!since.isBefore(now)) {
            return new Result.Done(forwarded);
        }
        try {
            forwarded += window(since, now);
        } catch (Stop s) {
            return s.result instanceof Result.RateLimited r ? new Result.RateLimited(r.retryIn(), forwarded) : s.result;
        }
        return new Result.Done(forwarded);
    }

    /** Reads, forwards and passes [since, until); returns how many were forwarded. */
    private int window(Instant since, Instant until) throws InterruptedException, Stop {
        boolean splittable = Duration.between(since, until).compareTo(MIN_WINDOW.multipliedBy(2)) >= 0;
        List<JsonNode> entries = new ArrayList<>();
        int offset = 0;
        while (true) {
            LogEntriesClient.Answer a = fetch(since, until, offset);
            LogEntriesClient.Answer.Page page = (LogEntriesClient.Answer.Page) a;
            if (offset == 0 && page.total() != null && page.total() > SPLIT_ABOVE && splittable) {
                return split(since, until);
            }
            entries.addAll(page.entries());
            if (!page.more() || page.entries().isEmpty()) {
                break;
            }
            offset += page.entries().size();
            if (offset + LogEntriesClient.PAGE_LIMIT > LogEntriesClient.OFFSET_CAP) {
                if (splittable) {
                    return split(since, until);
                }
                LOG.error("webhook poller: more than {} log entries between {} and {}; PagerDuty lists no more of them",
                        LogEntriesClient.OFFSET_CAP, since, until);
                break;
            }
        }
        int n = forward(entries);
        store.saveCursor(until);
        return n;
    }

    private int split(Instant since, Instant until) throws InterruptedException, Stop {
        Instant mid = since.plus(Duration.between(since, until).dividedBy(2));
        LOG.debug("webhook poller: window {} .. {} split at {}", since, until, mid);
        return window(since, mid) + window(mid, until);
    }

    private LogEntriesClient.Answer fetch(Instant since, Instant until, int offset) throws InterruptedException, Stop {
        LogEntriesClient.Answer a = api.fetch(since, until, offset, LogEntriesClient.PAGE_LIMIT, !config.allLogEntries(),
                offset == 0);
        return switch (a) {
            case LogEntriesClient.Answer.Page p -> p;
            case LogEntriesClient.Answer.RateLimited r -> {
                rateLimited++;
                throw new Stop(new Result.RateLimited(r.retryIn(), 0));
            }
            case LogEntriesClient.Answer.Refused r -> throw new Stop(new Result.Refused(r.status(), r.message()));
            case LogEntriesClient.Answer.Failed f -> throw new Stop(new Result.Failed(
                    (f.status() == 0 ? "no answer" : "HTTP " + f.status()) + (f.message().isEmpty() ? "" : ": " + f.message())));
        };
    }

    /** Filters, sorts and forwards a window's entries in batches. */
    private int forward(List<JsonNode> entries) {
        List<Indexed> wanted = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            JsonNode e = entries.get(i);
            if (!wanted(e)) {
                continue;
            }
            Instant at = createdAt(e);
            if (at != null) {
                wanted.add(new Indexed(e, at, i));
            }
        }
        // oldest first; PagerDuty lists newest first, so a tie goes to the later position
        wanted.sort(Comparator.comparing(Indexed::at).thenComparing(Comparator.comparingInt(Indexed::index).reversed()));
        Set<String> seenInWindow = new HashSet<>();
        int forwarded = 0;
        for (int from = 0; from < wanted.size(); from += FORWARD_BATCH) {
            List<Indexed> batch = wanted.subList(from, Math.min(wanted.size(), from + FORWARD_BATCH));
            Set<String> known = store.known(batch.stream().map(x -> x.entry().get("id").asText()).toList());
            List<ActivityStore.Staged> fresh = new ArrayList<>();
            for (Indexed x : batch) {
                String id = x.entry().get("id").asText();
                if (known.contains(id) || !seenInWindow.add(id)) {
                    continue;
                }
                byte[] body = filtered(x.entry());
                if (body.length > MAX_WEBHOOK_BYTES) {
                    LOG.warn("webhook poller: log entry {} gives a webhook of {} bytes, over {}; not forwarded", id,
                            body.length, MAX_WEBHOOK_BYTES);
                    continue;
                }
                fresh.add(new ActivityStore.Staged(id, WebhookBodies.incidentId(x.entry()), x.at(),
                        WebhookBodies.webhookId(id), body, holder));
            }
            Set<String> mine = store.stage(fresh, holder);
            forwarded += forwarder.forward(fresh.stream().filter(s -> mine.contains(s.entryId())).toList());
        }
        return forwarded;
    }

    /**
     * The entry's webhook body after the webhook filters, or {@link Forwarder#DROPPED} when a filter
     * dropped it: staged like any other (so the entry is known and never forwarded again), then
     * marked FORWARDED without reaching the queue.
     */
    private byte[] filtered(JsonNode entry) {
        String eventType = LogEntryTypes.v3EventType(entry.path("type").asText());
        ObjectNode body = filters.apply(eventType, WebhookBodies.incidentId(entry), bodies.tree(entry));
        return body == null ? Forwarder.DROPPED : WebhookBodies.bytes(body);
    }

    private record Indexed(JsonNode entry, Instant at, int index) {
    }

    private boolean wanted(JsonNode e) {
        if (WebhookBodies.incidentId(e) == null) {
            return false;
        }
        if (!LogEntryTypes.forwarded(e.path("type").asText(null), config.allLogEntries())) {
            return false;
        }
        if (services.isEmpty()) {
            return true;
        }
        String service = e.path("service").path("id").asText(null);
        if (service == null) {
            service = e.path("incident").path("service").path("id").asText(null);
        }
        return service != null && services.contains(service);
    }

    private static Instant createdAt(JsonNode e) {
        try {
            return OffsetDateTime.parse(e.path("created_at").asText("")).toInstant();
        } catch (DateTimeParseException bad) {
            LOG.warn("webhook poller: log entry {} has no readable created_at; not forwarded", e.path("id").asText());
            return null;
        }
    }
}
