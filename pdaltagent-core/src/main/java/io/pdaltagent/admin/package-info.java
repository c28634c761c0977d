/**
 * The agent's admin side: {@code /healthz} for load balancers and orchestrators and {@code /metrics}
 * for Prometheus ({@link io.pdaltagent.admin.AdminHandler}, on the ingest ports and the admin
 * listener); the admin listener itself ({@link io.pdaltagent.admin.AdminListener}, its own port,
 * loopback by default, a token off loopback) with the queue admin API {@code /admin/v1/queue/...}
 * ({@link io.pdaltagent.admin.QueueAdminHandler}, documents by {@link io.pdaltagent.admin.QueueAdmin})
 * and the agent's identity ({@link io.pdaltagent.admin.AgentIdentityHandler}); the endpoint file in
 * the data dir ({@link io.pdaltagent.admin.AgentEndpoint}); and {@code bin/pd-queue}
 * ({@link io.pdaltagent.admin.PdQueue}), which finds the agent through that file and uses that API,
 * or the data directory of a stopped agent. Depends on {@code queue}, {@code config} and
 * {@code observe}; wired by {@code Agent}.
 */
package io.pdaltagent.admin;
