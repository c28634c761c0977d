/**
 * Transforms at ingest: what may change an event after it was validated and before it is stored.
 * {@link io.pdaltagent.transform.TransformChain} runs the stages in a fixed order (rules and
 * maintenance windows, then plugins' event filters, then the PII scrubber last, so that nothing a
 * rule or plugin adds reaches the disk unscrubbed). Depends on Jackson's tree model and on the
 * plugin API module; called by {@code ingest.Intake} for every door (HTTP and spool) and wired by
 * {@code Agent}. An empty chain costs one branch per event.
 */
package io.pdaltagent.transform;
