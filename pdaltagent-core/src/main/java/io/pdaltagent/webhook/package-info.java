/**
 * The webhook relay: polls PagerDuty's REST {@code /log_entries} and turns each incident log entry
 * into one webhook (V3 or the legacy V2 shape, see {@link io.pdaltagent.webhook.WebhookBodies}),
 * appended to the agent's durable queue with the incident id as ordering key, so the delivery
 * stage posts it to {@code PDAGENTD_WEBHOOK_DEST_URL} in order per incident, with retries, and
 * signs it there. Depends on {@code queue} and {@code config}; only {@code Agent} creates it.
 *
 * <p><b>Each entry reaches the queue once.</b> Two stores are involved, the activity store and the
 * queue, and no transaction spans both, so the order of the writes decides. For each batch of new
 * entries the poller (1) <em>stages</em> them in the activity store, in one transaction, together
 * with their webhook bodies: an insert-if-absent keyed by the entry id, so an entry is staged once
 * ever, by one agent; (2) appends the staged webhooks to the queue, with a dedup key (the
 * {@code X-Webhook-Id}) derived from the entry id alone; (3) marks them FORWARDED and drops the
 * bodies, in one transaction. The cursor moves only after a whole window has passed these steps.
 * A crash (SIGKILL) can come at any point:
 * <ul>
 *   <li>before (1) commits: nothing was recorded; the next poll reads the window again from the
 *       unmoved cursor and stages the entries then;</li>
 *   <li>between (1) and (2): the entries are STAGED by this agent, with their bodies. At the next
 *       start, before the first poll (and before the queue's housekeeping runs), the agent asks
 *       its queue which of those dedup keys it holds: none, so it appends them;</li>
 *   <li>between (2) and (3): the same recovery finds the dedup keys in the queue and only marks
 *       the entries FORWARDED: nothing is appended twice;</li>
 *   <li>after (3): the entries are known; re-reading the window (the overlap, or an unmoved
 *       cursor) skips them.</li>
 * </ul>
 * With the embedded queue this recovery is exact. A RabbitMQ queue cannot be searched for a key,
 * so there an entry caught between (2) and (3) is appended again with the same
 * {@code X-Webhook-Id}: at least once, never lost, and a receiver can drop the repeat. The same
 * holds for STAGED entries of an agent that died while holding the lease: the next lease holder
 * adopts them (an atomic change of owner, so only one agent does) and appends them.
 *
 * <p><b>Webhook filters.</b> The plugins' webhook filters ({@link io.pdaltagent.webhook.WebhookFilterChain})
 * run on each body when it is built, before step (1), so the body staged is the filtered one: the
 * recovery appends exactly what was staged and never runs the filters again, so a re-append sends
 * the same body under the same {@code X-Webhook-Id}. A dropped webhook is staged with an empty
 * body (no webhook is empty) and marked FORWARDED without an append, in step (3) or, after a
 * crash, by the recovery: its entry is known, so it is never polled and filtered again.
 *
 * <p><b>Several agents.</b> With a shared PostgreSQL activity store, one agent at a time holds
 * the poller lease (a row with an expiry on the database's clock, renewed by the holder between
 * polls); the others stand by and take over within the lease's length plus a poll interval after
 * the holder dies. The lease saves duplicate API traffic; duplicate webhooks are already ruled out
 * by step (1), which only one agent can win for an entry.
 *
 * <p><b>Forgetting.</b> Entry ids are kept for {@code PDAGENTD_KEEP_ACTIVITY_SECONDS} after the
 * entry's creation, and the poller never reads entries older than that (less a margin), so a
 * pruned id can never come back.
 */
package io.pdaltagent.webhook;
