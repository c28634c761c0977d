package io.pdaltagent.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a rule does when its condition holds, in the order written. Each action is validated when
 * the rules file is loaded, so at run time it can only fail on the event's shape (a non-object in
 * a path's way), which the rule counts as a failure. Immutable and thread-safe.
 */
sealed interface Action {
    /** Applies the action; returns false when it could not (the event's shape did not allow it). */
    boolean apply(TransformEvent event);

    /** One line for {@code check-rules}. */
    String describe();

    record Set(FieldPath field, JsonNode value) implements Action {
        @Override
        public boolean apply(TransformEvent e) {
            boolean ok = field.set(e.event(), value.deepCopy());
            if (ok) {
                e.markChanged();
            }
            return ok;
        }

        @Override
        public String describe() {
            return "set " + field.text() + " = " + value;
        }
    }

    record Remove(FieldPath field) implements Action {
        @Override
        public boolean apply(TransformEvent e) {
            if (field.remove(e.event()) != null) {
                e.markChanged();
            }
            return true;
        }

        @Override
        public String describe() {
            return "remove " + field.text();
        }
    }

    record Rename(FieldPath from, FieldPath to) implements Action {
        @Override
        public boolean apply(TransformEvent e) {
            JsonNode v = from.get(e.event());
            if (v == null) {
                return true; // nothing to rename
            }
            from.remove(e.event());
            e.markChanged();
            return to.set(e.event(), v);
        }

        @Override
        public String describe() {
            return "rename " + from.text() + " to " + to.text();
        }
    }

    /** {@code payload.severity} of a v2 alert event; other kinds have no severity and are left alone. */
    record Severity(String severity) implements Action {
        @Override
        public boolean apply(TransformEvent e) {
            if (e.kind() != TransformEvent.Kind.V2 && e.kind() != TransformEvent.Kind.PATH_KEYED) {
                return true;
            }
            JsonNode payload = e.event().get("payload");
            if (payload == null || !payload.isObject()) {
                return e.kind() == TransformEvent.Kind.PATH_KEYED; // a path-keyed body need not have one
            }
            ((ObjectNode) payload).put("severity", severity);
            e.markChanged();
            return true;
        }

        @Override
        public String describe() {
            return "severity " + severity;
        }
    }

    /** A regex capture group of a string field into another field; no match changes nothing. */
    record Extract(FieldPath from, Pattern regex, int group, FieldPath to) implements Action {
        @Override
        public boolean apply(TransformEvent e) {
            JsonNode v = from.get(e.event());
            if (v == null || !v.isTextual()) {
                return true;
            }
            Matcher m = regex.matcher(v.textValue());
            if (!m.find() || m.group(group) == null) {
                return true;
            }
            e.markChanged();
            return to.set(e.event(), TextNode.valueOf(m.group(group)));
        }

        @Override
        public String describe() {
            return "extract group " + group + " of /" + regex + "/ from " + from.text() + " into " + to.text();
        }
    }

    record Route(String routingKey) implements Action {
        @Override
        public boolean apply(TransformEvent e) {
            e.route(routingKey);
            return true;
        }

        @Override
        public String describe() {
            return "route to " + io.pdaltagent.observe.Mask.key(routingKey);
        }
    }

    /** Keeps the event as suppressed, named after the rule. */
    record Suppress(String by) implements Action {
        @Override
        public boolean apply(TransformEvent e) {
            e.suppress(by);
            return true;
        }

        @Override
        public String describe() {
            return "suppress";
        }
    }

    record Stop() implements Action {
        @Override
        public boolean apply(TransformEvent e) {
            e.stop();
            return true;
        }

        @Override
        public String describe() {
            return "stop";
        }
    }
}
