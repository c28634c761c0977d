package io.pdaltagent.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.AbstractList;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A live, read-only view of a JSON tree as the plain values CEL reads ({@code Map}, {@code List},
 * {@code String}, {@code Long}, {@code Double}, {@code Boolean}), converted lazily, field by field,
 * as a condition reads them: a condition that reads two fields of a 1 KB event converts two values,
 * not the event, and the view sees the changes earlier rules made without being built again. JSON
 * nulls read as absent ({@code has()} is false). Not thread-safe: used on the thread that runs the
 * rules for one event.
 */
final class JsonView {
    private JsonView() {
    }

    static Object of(JsonNode n) {
        if (n == null) {
            return null;
        }
        return switch (n.getNodeType()) {
            case OBJECT -> new ObjectView((ObjectNode) n);
            case ARRAY -> new ArrayView((ArrayNode) n);
            case STRING -> n.textValue();
            case BOOLEAN -> n.booleanValue();
            case NUMBER -> n.isIntegralNumber() && n.canConvertToLong() ? (Object) n.longValue() : (Object) n.doubleValue();
            default -> null;
        };
    }

    static final class ObjectView extends AbstractMap<String, Object> {
        private final ObjectNode node;

        ObjectView(ObjectNode node) {
            this.node = node;
        }

        @Override
        public Object get(Object key) {
            return key instanceof String k ? of(node.get(k)) : null;
        }

        @Override
        public boolean containsKey(Object key) {
            if (!(key instanceof String k)) {
                return false;
            }
            JsonNode v = node.get(k);
            return v != null && !v.isNull() && !v.isMissingNode();
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            return new AbstractSet<>() {
                @Override
                public Iterator<Entry<String, Object>> iterator() {
                    Iterator<Map.Entry<String, JsonNode>> it = node.properties().stream()
                            .filter(e -> !e.getValue().isNull()).iterator();
                    return new Iterator<>() {
                        @Override
                        public boolean hasNext() {
                            return it.hasNext();
                        }

                        @Override
                        public Entry<String, Object> next() {
                            Map.Entry<String, JsonNode> e = it.next();
                            return new SimpleImmutableEntry<>(e.getKey(), of(e.getValue()));
                        }
                    };
                }

                @Override
                public int size() {
                    int n = 0;
                    for (Map.Entry<String, JsonNode> e : node.properties()) {
                        n += e.getValue().isNull() ? 0 : 1;
                    }
                    return n;
                }
            };
        }
    }

    static final class ArrayView extends AbstractList<Object> {
        private final ArrayNode node;

        ArrayView(ArrayNode node) {
            this.node = node;
        }

        @Override
        public Object get(int index) {
            return of(node.get(index));
        }

        @Override
        public int size() {
            return node.size();
        }
    }
}
