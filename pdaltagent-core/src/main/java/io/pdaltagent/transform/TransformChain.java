package io.pdaltagent.transform;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transform stage of the one intake path: the stages in their fixed order (rules, plugins,
 * scrubber). {@link #NONE} has no stage, and the intake then skips the stage entirely (one branch
 * per event, nothing allocated). Immutable and thread-safe; the stages may change behind it
 * (hot-reloaded rules), each stage guards its own state.
 *
 * <pre>{@code
 * TransformChain chain = TransformChain.of(List.of(rules, plugins, scrubber));
 * if (!chain.isEmpty()) {
 *     chain.run(new TransformEvent(tree, Kind.V2, routingKey));
 * }
 * }</pre>
 */
public final class TransformChain {
    private static final Logger LOG = LoggerFactory.getLogger(TransformChain.class);

    public static final TransformChain NONE = new TransformChain(List.of());

    private final List<EventStage> stages;
    private final LongAdder stageBugs = new LongAdder();

    private TransformChain(List<EventStage> stages) {
        this.stages = List.copyOf(stages);
    }

    public static TransformChain of(List<EventStage> stages) {
        return stages.isEmpty() ? NONE : new TransformChain(stages);
    }

    public boolean isEmpty() {
        return stages.isEmpty();
    }

    public List<EventStage> stages() {
        return stages;
    }

    /** Runs every stage on {@code event}; after a suppression only stages that run on suppressed events. */
    public void run(TransformEvent event) {
        for (EventStage stage : stages) {
            if (event.suppressedBy() != null && !stage.runsOnSuppressed()) {
                continue;
            }
            try {
                stage.apply(event);
            } catch (RuntimeException e) {
                // a stage must handle its own failures; one that escapes is a bug, and the event goes on
                stageBugs.increment();
                LOG.error("Transform stage {} threw; the event goes on without it", stage.name(), e);
            }
        }
    }

    /** Exceptions that escaped a stage (bugs), for metrics. */
    public long stageBugs() {
        return stageBugs.sum();
    }
}
