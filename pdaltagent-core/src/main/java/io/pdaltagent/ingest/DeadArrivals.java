package io.pdaltagent.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.NewItem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Spool records of events that arrive dead: besides the usual fields, {@code "dead"} (why, kept as
 * the item's last error) and {@code "ordering_key"} (its routing key, for a body too broken to name
 * one). {@code pdagentd import-pdagent} writes them for PagerDuty Agent's dead events, which become
 * dead items here ({@code pd-queue list}, {@code pd-queue retry}).
 *
 * <p>The spool is open to every local user, and a dead item skips the checks an event to deliver
 * passes; so a dead record is taken only from a file owned by root or by the agent's own user (the
 * users an import runs as). The body still goes through the {@link Intake} when it can (the
 * transforms, the PII scrubber among them, apply to it as to any event); one the intake refuses is
 * kept as it is, with the refusal added to its reason. Stateless.
 */
final class DeadArrivals {
    static final String DEAD_FIELD = "dead";
    static final String ORDERING_KEY_FIELD = "ordering_key";
    /** A reason is a line for people; longer is no reason. */
    static final int MAX_REASON_CHARS = 2000;
    /** Routing keys are 32 characters; a webhook's incident id fewer. */
    static final int MAX_KEY_CHARS = 256;
    private static final String AGENT_USER = System.getProperty("user.name");

    /** An item to append, or why the record is refused. */
    record Result(NewItem item, String problem) {
    }

    private DeadArrivals() {
    }

    /** True when the record asks for a dead arrival. */
    static boolean isDead(JsonNode record) {
        return record.has(DEAD_FIELD);
    }

    /**
     * The dead item of a record that {@link #isDead}.
     *
     * @param outcome what the intake made of the body
     */
    static Result item(JsonNode record, Path file, String path, String contentType, byte[] body, Intake.Outcome outcome,
                       Instant now) {
        String untrusted = untrusted(file);
        if (untrusted != null) {
            return new Result(null, untrusted);
        }
        JsonNode reasonNode = record.get(DEAD_FIELD);
        if (!reasonNode.isTextual() || reasonNode.textValue().isBlank() || reasonNode.textValue().length() > MAX_REASON_CHARS) {
            return new Result(null, "'" + DEAD_FIELD + "' must be a reason of 1 to " + MAX_REASON_CHARS + " characters");
        }
        String reason = reasonNode.textValue().strip();
        if (outcome instanceof Intake.Store store) {
            NewItem i = store.item();
            // a rule that would suppress it does not: the event is dead already, and stays visible as such
            return new Result(new NewItem(i.orderingKey(), i.destination(), i.contentType(), i.body(), i.dedupKey(),
                    i.acceptedAt()).dead(reason), null);
        }
        JsonNode keyNode = record.get(ORDERING_KEY_FIELD);
        if (keyNode == null || !keyNode.isTextual() || keyNode.textValue().isBlank()
                || keyNode.textValue().length() > MAX_KEY_CHARS) {
            return new Result(null, "a dead event this agent refuses needs '" + ORDERING_KEY_FIELD + "' (its routing key)");
        }
        String refused = ((Intake.Rejected) outcome).describe();
        return new Result(new NewItem(keyNode.textValue().strip(), Destination.events(path), contentType, body, null, now)
                .dead(reason + "; this agent refuses it too: " + refused), null);
    }

    /** Why this file may not hold a dead record, or null when its owner is root or the agent's user. */
    static String untrusted(Path file) {
        if (file == null) {
            return "a dead event is taken only from a spool file whose owner can be checked";
        }
        String owner;
        try {
            owner = Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
        } catch (IOException | UnsupportedOperationException e) {
            return "the owner of a dead event's file cannot be checked";
        }
        if (owner.equals("root") || owner.equals(AGENT_USER)) {
            return null;
        }
        return "a dead event is taken only from root or the agent's user (" + AGENT_USER + "), not from " + owner;
    }

    /** The record's content type, or JSON's. */
    static String contentType(JsonNode record) {
        JsonNode ct = record.get("content_type");
        return ct != null && ct.isTextual() && !ct.textValue().isBlank() ? ct.textValue() : "application/json";
    }
}
