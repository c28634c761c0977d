/**
 * Migration from PagerDuty Agent ({@code pdagentd import-pdagent}): its queue directory
 * ({@link io.pdaltagent.migrate.PdagentQueueDir}, the layout of {@code pdagent/pdqueue.py}) is moved
 * into this agent's spool, where the agent's own spool import validates and queues each event in
 * order; its {@code /etc/pdagent.conf} ({@link io.pdaltagent.migrate.PdagentConf}) is mapped to this
 * agent's settings. Depends on {@code config} only; called by {@code command}.
 */
package io.pdaltagent.migrate;
