package io.pdaltagent.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.transform.TransformChain;
import io.pdaltagent.transform.TransformEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one intake path of every door into the agent (HTTP ingest and the spool importer):
 * parse → validate → transform → build the item to store. The doors differ only in how they read
 * the body and how they answer; what is checked, what is changed and what is stored is decided
 * here, once.
 *
 * <ol>
 *   <li><b>parse</b>: a JSON object ({@link Json}) or, on the Nagios path, a form ({@link NagiosForm});</li>
 *   <li><b>validate</b>: PagerDuty's rules ({@link EventValidator}); a trigger without a key gets one;</li>
 *   <li><b>transform</b>: the {@link TransformChain} (rules, plugins, PII scrubber); skipped when
 *       empty. A changed event is validated again, so that a transform cannot store an event
 *       PagerDuty would refuse; the routing key a rule chose is written into the event (or path);</li>
 *   <li><b>store</b>: a {@link NewItem} with the client's bytes when nothing changed, else the tree
 *       written again (unknown fields kept); a suppressed event is stored as such.</li>
 * </ol>
 *
 * <p>Form bodies of the Nagios path are checked but not transformed (they are not JSON events).
 * Stateless apart from the validator's key supplier and the chain; thread-safe.
 */
public final class Intake {
    static final String JSON_MEDIA_TYPE = "application/json";

    /** What became of a body. */
    public sealed interface Outcome {
    }

    /**
     * The event is to be stored.
     *
     * @param item what to append
     * @param dedupKey the key to answer with (may be null: change events, some path-keyed bodies)
     * @param suppressedBy the rule or plugin that suppressed the event (stored, not delivered), or null
     */
    public record Store(NewItem item, String dedupKey, String suppressedBy) implements Outcome {
    }

    /**
     * The body is refused.
     *
     * @param reason a listener label: {@code malformed}, {@code invalid}
     * @param message the one-line answer for a malformed body (null for {@code invalid})
     * @param errors the problems of an invalid event, in PagerDuty's wording
     * @param keyForLog the routing key read, or null, for a masked log line
     * @param logDetail for a DEBUG log: never the body's content
     */
    public record Rejected(String reason, String message, List<String> errors, String keyForLog, String logDetail)
            implements Outcome {
        /** One line for a person: the message, or the errors joined. */
        public String describe() {
            return message != null ? message : String.join("; ", errors);
        }
    }

    private final EventValidator validator;
    private final TransformChain chain;

    public Intake(TransformChain chain) {
        this(new EventValidator(), chain);
    }

    Intake(EventValidator validator, TransformChain chain) {
        this.validator = Objects.requireNonNull(validator, "validator");
        this.chain = Objects.requireNonNull(chain, "chain");
    }

    /** Intake without transforms. */
    public static Intake plain() {
        return new Intake(TransformChain.NONE);
    }

    /**
     * The problems the agent's validator finds in {@code body} posted to {@code path}; empty when it
     * would be accepted. Nothing is transformed: this is validation only (pd-send's checks agree).
     */
    public static List<String> validationErrors(String path, byte[] body) {
        Route.Match match = Route.match(path);
        if (match == null) {
            return List.of("'" + path + "' is no ingest path");
        }
        Outcome o = plain().take(match, path, body, Instant.EPOCH);
        if (o instanceof Rejected r) {
            return r.errors().isEmpty() ? List.of(r.message()) : r.errors();
        }
        return List.of();
    }

    /**
     * Takes one body that arrived on {@code match}'s route.
     *
     * @param pathQuery the path (with query) the event is delivered to, as it came in
     * @param acceptedAt the time of acceptance stamped on the item
     */
    Outcome take(Route.Match match, String pathQuery, byte[] body, Instant acceptedAt) {
        Route route = match.route();
        if (!route.isJson()) {
            return takeForm(pathQuery, body, acceptedAt);
        }
        Json.Parsed parsed = Json.parseObject(body);
        if (parsed instanceof Json.NotAnObject bad) {
            return new Rejected("malformed", bad.error(), List.of(), null, bad.logDetail());
        }
        Json.ParsedObject ok = (Json.ParsedObject) parsed;
        ObjectNode tree = ok.object();
        EventValidator.Verdict verdict = validator.check(route, match.pathKey(), tree);
        if (verdict instanceof EventValidator.Invalid invalid) {
            return invalid(invalid);
        }
        EventValidator.Valid valid = (EventValidator.Valid) verdict;
        boolean changed = valid.changed();
        String suppressedBy = null;
        String path = pathQuery;
        if (!chain.isEmpty()) {
            TransformEvent te = new TransformEvent(tree, kind(route), valid.orderingKey());
            chain.run(te);
            suppressedBy = te.suppressedBy();
            if (te.changed()) {
                changed = true;
                Route.Match target = match;
                if (!te.routingKey().equals(valid.orderingKey())) {
                    target = reroute(match, tree, te.routingKey());
                    path = target.route().hasPathKey() ? pathOf(target) : pathQuery;
                }
                EventValidator.Verdict again = validator.check(target.route(), target.pathKey(), tree);
                if (again instanceof EventValidator.Invalid invalid) {
                    List<String> errors = new ArrayList<>();
                    for (String e : invalid.errors()) {
                        errors.add(e + " (after the agent's transforms)");
                    }
                    return invalid(new EventValidator.Invalid(errors, invalid.keyForLog()));
                }
                valid = (EventValidator.Valid) again;
            }
        }
        byte[] stored;
        if (changed) {
            try {
                stored = Json.MAPPER.writeValueAsBytes(tree); // a key added or a transform: unknown fields kept
            } catch (JsonProcessingException e) {
                return new Rejected("malformed", "The event cannot be written again", List.of(), valid.orderingKey(),
                        e.getClass().getSimpleName());
            }
        } else if (ok.offset() > 0) {
            stored = Arrays.copyOfRange(body, ok.offset(), body.length); // without the byte order mark
        } else {
            stored = body; // the client's bytes, exactly
        }
        NewItem item = new NewItem(valid.orderingKey(), Destination.events(path), JSON_MEDIA_TYPE, stored,
                valid.dedupKey(), acceptedAt, suppressedBy);
        return new Store(item, valid.dedupKey(), suppressedBy);
    }

    private static Rejected invalid(EventValidator.Invalid invalid) {
        return new Rejected("invalid", null, invalid.errors(), invalid.keyForLog(), null);
    }

    private static Outcome takeForm(String pathQuery, byte[] body, Instant acceptedAt) {
        Map<String, String> form = NagiosForm.parse(body);
        if (form == null) {
            return new Rejected("malformed", "Form body is malformed", List.of(), null, "bad form encoding");
        }
        List<String> problems = NagiosForm.problems(form);
        String pager = form.get("CONTACTPAGER");
        if (!problems.isEmpty()) {
            return new Rejected("invalid", null, problems, pager, null);
        }
        NewItem item = new NewItem(pager, Destination.events(pathQuery), NagiosForm.MEDIA_TYPE, body, null, acceptedAt);
        return new Store(item, null, null);
    }

    private static TransformEvent.Kind kind(Route route) {
        return switch (route) {
            case V2_ENQUEUE -> TransformEvent.Kind.V2;
            case V2_CHANGE -> TransformEvent.Kind.CHANGE;
            case V1_GENERIC -> TransformEvent.Kind.V1;
            case INTEGRATION, X_ERE -> TransformEvent.Kind.PATH_KEYED;
            case NAGIOS -> throw new IllegalArgumentException("the Nagios route has no JSON body");
        };
    }

    /** Writes a new routing key into the event (typed routes) or the path (path-keyed routes). */
    private static Route.Match reroute(Route.Match match, ObjectNode tree, String key) {
        switch (match.route()) {
            case V2_ENQUEUE, V2_CHANGE -> tree.put("routing_key", key);
            case V1_GENERIC -> tree.put("service_key", key);
            default -> {
                return new Route.Match(match.route(), key);
            }
        }
        return match;
    }

    private static String pathOf(Route.Match m) {
        return m.route() == Route.INTEGRATION ? "/integration/" + m.pathKey() + "/enqueue" : "/x-ere/" + m.pathKey();
    }
}
