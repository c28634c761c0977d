package io.pdaltagent.api;

/**
 * Changes, drops or re-routes events at ingest, after the rules file and before the PII scrubber
 * (so what a filter adds is scrubbed too). Found by {@link java.util.ServiceLoader} in the jars of
 * {@code PDAGENTD_PLUGINS_DIR}; needs a public no-argument constructor.
 *
 * <p><b>Threads and time.</b> {@link #filter} is called for every event, concurrently from many
 * threads, each call bounded in time ({@code PDAGENTD_PLUGIN_TIMEOUT_MILLIS}, 200 ms by default): a
 * call that throws or does not return in time is logged and counted, and the event goes on
 * unchanged. A filter that blocks on the network makes ingest wait that long: keep it fast, cache.
 *
 * <pre>{@code
 * public final class TeamFilter implements EventFilter {
 *     public FilterResult filter(PluginEvent e) {
 *         Map<String, Object> payload = (Map<String, Object>) e.body().get("payload");
 *         if (payload == null) return FilterResult.unchanged();
 *         payload.put("group", "team-a");
 *         return FilterResult.changed(e.body());
 *     }
 * }
 * }</pre>
 */
public interface EventFilter {
    /** The name in logs, metrics and as the suppressor of dropped events; the class name by default. */
    default String name() {
        return getClass().getName();
    }

    FilterResult filter(PluginEvent event) throws Exception;
}
