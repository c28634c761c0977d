package io.pdaltagent.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A dotted path to a field of the event, from its root: {@code payload.custom_details.team}.
 * Segments are object keys (letters, digits, {@code _ - $ @}); arrays are not addressed. Setting a
 * field creates the objects on the way; a non-object on the way makes {@link #set} fail (the rule
 * counts a failure). Immutable.
 */
record FieldPath(String text, List<String> segments) {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_$@-]{1,128}");
    /** Deeper paths are no event's fields (the parser's nesting limit is 100). */
    private static final int MAX_SEGMENTS = 16;

    /** Parses a path, or throws {@link IllegalArgumentException} that says why. */
    static FieldPath parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("a field path is required (e.g. payload.custom_details.team)");
        }
        String[] parts = text.strip().split("\\.", -1);
        if (parts.length > MAX_SEGMENTS) {
            throw new IllegalArgumentException("'" + text + "' is deeper than " + MAX_SEGMENTS + " levels");
        }
        for (String p : parts) {
            if (!SEGMENT.matcher(p).matches()) {
                throw new IllegalArgumentException("'" + text + "' is no field path: segments are letters, digits, _ - $ @, "
                        + "separated by dots");
            }
        }
        return new FieldPath(text.strip(), List.of(parts));
    }

    /** The value at this path, or null. */
    JsonNode get(ObjectNode root) {
        JsonNode cur = root;
        for (String s : segments) {
            if (cur == null || !cur.isObject()) {
                return null;
            }
            cur = cur.get(s);
        }
        return cur;
    }

    /** The parent object of the last segment, created on the way when {@code create}; null when blocked. */
    ObjectNode parent(ObjectNode root, boolean create) {
        ObjectNode cur = root;
        for (int i = 0; i < segments.size() - 1; i++) {
            JsonNode next = cur.get(segments.get(i));
            if (next == null || next.isNull()) {
                if (!create) {
                    return null;
                }
                next = cur.putObject(segments.get(i));
            }
            if (!next.isObject()) {
                return null;
            }
            cur = (ObjectNode) next;
        }
        return cur;
    }

    String last() {
        return segments.get(segments.size() - 1);
    }

    /** Sets the value; false when a non-object value is in the way. */
    boolean set(ObjectNode root, JsonNode value) {
        ObjectNode p = parent(root, true);
        if (p == null) {
            return false;
        }
        p.set(last(), value);
        return true;
    }

    /** Removes the field; returns what was there, or null. */
    JsonNode remove(ObjectNode root) {
        ObjectNode p = parent(root, false);
        return p == null ? null : p.remove(last());
    }

    /** True when this path is or lies under one of the top-level {@code names}. */
    boolean startsAtAny(java.util.Set<String> names) {
        return names.contains(segments.get(0));
    }
}
