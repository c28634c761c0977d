/**
 * The agent's admin side: {@code /healthz} for load balancers and orchestrators and {@code /metrics}
 * for Prometheus ({@link io.pdaltagent.admin.AdminHandler}); the local-only queue admin API
 * {@code /admin/v1/queue/...} ({@link io.pdaltagent.admin.QueueAdminHandler}, documents by
 * {@link io.pdaltagent.admin.QueueAdmin}); and {@code bin/pd-queue} ({@link io.pdaltagent.admin.PdQueue}),
 * which uses that API, or the data directory of a stopped agent.
 */
package io.pdaltagent.admin;
