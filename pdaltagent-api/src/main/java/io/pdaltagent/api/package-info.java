/**
 * The plugin API of pdaltagent: implement {@link io.pdaltagent.api.EventFilter} (change, drop or
 * re-route events at ingest), {@link io.pdaltagent.api.WebhookFilter} (change or drop webhooks the
 * relay posts) or {@link io.pdaltagent.api.EventSource} (produce events on an interval or a cron
 * schedule), list the class in {@code META-INF/services/<interface name>}, and put the jar in
 * {@code PDAGENTD_PLUGINS_DIR}. Events are plain JSON-like values: {@code Map<String, Object>},
 * {@code List<Object>}, {@code String}, {@code Long}, {@code Double}, {@link java.math.BigDecimal},
 * {@code Boolean} and {@code null}. This package depends on nothing but {@code java.base}.
 */
package io.pdaltagent.api;
