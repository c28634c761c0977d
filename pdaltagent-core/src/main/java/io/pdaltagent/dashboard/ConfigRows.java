package io.pdaltagent.dashboard;

import io.pdaltagent.command.Settings;
import io.pdaltagent.config.ConfigSources;
import io.pdaltagent.config.EnvConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The effective configuration for the dashboard's configuration page, as {@code pdagentd config}
 * shows it: every setting with its value (tokens, secrets and passwords masked by
 * {@link Settings#shown}) and where it came from. Computed once at start; stateless.
 */
public final class ConfigRows {
    private ConfigRows() {
    }

    /** The rows for {@code env} (and the configuration file it names), or null when they cannot be read. */
    public static List<Map<String, Object>> of(Map<String, String> env) {
        ConfigSources sources;
        try {
            sources = Settings.sources(env);
            EnvConfig.load(sources);
        } catch (RuntimeException e) {
            return null;
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map.Entry<String, ConfigSources.Value> e : sources.effective().entrySet()) {
            ConfigSources.Value v = e.getValue();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", e.getKey());
            row.put("value", v == null ? "" : Settings.shown(e.getKey(), v.text()));
            row.put("source", v == null ? "unset" : v.where());
            rows.add(row);
        }
        return rows;
    }
}
