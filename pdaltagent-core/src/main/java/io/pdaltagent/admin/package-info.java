/**
 * The agent's admin endpoints on the HTTP server: {@code /healthz} for load balancers and
 * orchestrators, {@code /metrics} for Prometheus. See {@link io.pdaltagent.admin.AdminHandler}.
 */
package io.pdaltagent.admin;
