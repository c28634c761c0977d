package io.pdaltagent.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * The PII scrubber ({@code PDAGENTD_SCRUB_PII}): replaces personal data in every string value of
 * the event, at any depth, by its category's placeholder ({@link PiiCategory}). Object keys are
 * never changed, nor are the top-level keys that route and de-duplicate the event
 * ({@code routing_key}, {@code dedup_key}, {@code service_key}, {@code incident_key}): changing
 * those would send the event elsewhere or merge incidents. Runs last in the chain and on
 * suppressed events too, so nothing unscrubbed reaches the disk.
 *
 * <p>Nesting is bounded by the parser's limit (100 levels), so the walk's recursion is too.
 * Stateless but for counters; thread-safe.
 */
public final class PiiScrubber implements EventStage {
    /** Top-level fields never scrubbed: they decide where the event goes and which incident it is. */
    static final Set<String> KEPT_FIELDS = Set.of("routing_key", "dedup_key", "service_key", "incident_key");

    private final PiiText text;
    private final Set<PiiCategory> categories;
    private final LongAdder eventsChanged = new LongAdder();
    private final LongAdder nanos = new LongAdder();

    public PiiScrubber(Set<PiiCategory> categories) {
        if (categories.isEmpty()) {
            throw new IllegalArgumentException("the scrubber needs at least one category");
        }
        this.categories = Set.copyOf(categories);
        this.text = new PiiText(categories);
    }

    public Set<PiiCategory> categories() {
        return categories;
    }

    @Override
    public String name() {
        return "scrub_pii";
    }

    @Override
    public boolean runsOnSuppressed() {
        return true;
    }

    @Override
    public void apply(TransformEvent event) {
        long t0 = System.nanoTime();
        boolean changed = false;
        ObjectNode root = event.event();
        Iterator<Map.Entry<String, JsonNode>> it = root.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> f = it.next();
            if (KEPT_FIELDS.contains(f.getKey())) {
                continue;
            }
            JsonNode v = f.getValue();
            if (v.isTextual()) {
                String s = text.scrub(v.textValue());
                if (s != v.textValue()) {
                    f.setValue(root.textNode(s));
                    changed = true;
                }
            } else if (v.isContainerNode()) {
                changed |= walk(v);
            }
        }
        if (changed) {
            eventsChanged.increment();
            event.markChanged();
        }
        nanos.add(System.nanoTime() - t0);
    }

    /** Scrubs one string, as the scrubber does each string value (for tests and check-rules). */
    public String scrub(String s) {
        return text.scrub(s);
    }

    private boolean walk(JsonNode node) {
        boolean changed = false;
        if (node instanceof ObjectNode o) {
            Iterator<Map.Entry<String, JsonNode>> it = o.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> f = it.next();
                JsonNode v = f.getValue();
                if (v.isTextual()) {
                    String s = text.scrub(v.textValue());
                    if (s != v.textValue()) {
                        f.setValue(o.textNode(s));
                        changed = true;
                    }
                } else if (v.isContainerNode()) {
                    changed |= walk(v);
                }
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                JsonNode v = a.get(i);
                if (v.isTextual()) {
                    String s = text.scrub(v.textValue());
                    if (s != v.textValue()) {
                        a.set(i, a.textNode(s));
                        changed = true;
                    }
                } else if (v.isContainerNode()) {
                    changed |= walk(v);
                }
            }
        }
        return changed;
    }

    /** Events in which something was replaced. */
    public long eventsChanged() {
        return eventsChanged.sum();
    }

    /** Time spent scrubbing, all events. */
    public long nanos() {
        return nanos.sum();
    }
}
