/**
 * What the agent (pdaltagent-core) and the command-line tools (pdaltagent-cli) both need to know,
 * written once: where the agent's data dir is ({@link io.pdaltagent.common.DataDirs}) and how an event
 * is laid out in its spool ({@link io.pdaltagent.common.SpoolFormat}). Depends on java.base only; no
 * static state, no threads.
 */
package io.pdaltagent.common;
