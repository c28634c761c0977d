package io.pdaltagent.transform;

/**
 * One stage of the {@link TransformChain}. {@link #apply} runs on the ingest thread that carries
 * the event (a Jetty thread or the spool importer), concurrently for different events, so a stage
 * must be thread-safe and must not block for long. A stage handles its own failures (a rule that
 * cannot be evaluated, a plugin that throws): it must not throw, and a throw that escapes is a bug
 * the chain logs and counts, after which the event goes on unchanged by that stage.
 */
public interface EventStage {
    /** A short name for logs and metrics: {@code rules}, {@code plugins}, {@code scrub_pii}. */
    String name();

    /** Looks at and may change {@code event}. */
    void apply(TransformEvent event);

    /** True when this stage runs even for an event another stage suppressed (the scrubber does). */
    default boolean runsOnSuppressed() {
        return false;
    }
}
