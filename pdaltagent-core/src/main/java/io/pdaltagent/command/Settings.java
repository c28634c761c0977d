package io.pdaltagent.command;

import io.pdaltagent.Agent;
import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;
import io.pdaltagent.config.ConfigSources;
import io.pdaltagent.config.EnvConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The configuration as the agent reads it at start (environment over the configuration file), for
 * the commands; and the masking of secret values when they are shown.
 */
public final class Settings {
    /** Where the commands look for the configuration file when PDAGENTD_CONFIG_FILE is unset. */
    public static final Path DEFAULT_FILE = Path.of(ConfigSources.DEFAULT_FILE_NAME);

    private Settings() {
    }

    /** The sources: the file (PDAGENTD_CONFIG_FILE, or the default one when it exists) under {@code env}. */
    public static ConfigSources sources(Map<String, String> env) {
        return ConfigSources.load(env, DEFAULT_FILE);
    }

    /** The validated configuration from those sources. */
    public static AgentConfig load(Map<String, String> env) {
        return EnvConfig.load(sources(env));
    }

    /**
     * The configuration, checked as a start checks it: every value, the file's keys, and what the
     * stages check only at start (the proxies' syntax, the CA bundle; {@link Agent#validate}). An
     * error names the setting, and the file and line when its value is the file's.
     */
    public static AgentConfig checked(ConfigSources sources) {
        AgentConfig config = EnvConfig.load(sources);
        try {
            Agent.validate(config);
        } catch (ConfigException e) {
            throw sources.locate(e);
        }
        return config;
    }

    /**
     * A value as it may be shown: tokens, secrets and passwords as {@code <masked>}, URLs with their
     * password masked (broker, proxies, database).
     */
    public static String shown(String key, String value) {
        if (value == null) {
            return null;
        }
        String k = key.toUpperCase(Locale.ROOT);
        if (k.contains("TOKEN") || k.contains("SECRET") || k.contains("PASSWORD")) {
            return "<masked>";
        }
        if (k.endsWith("ROUTING_KEYS")) {
            // routing keys are credentials for PagerDuty: only their last four characters
            return java.util.Arrays.stream(value.split("[,\\s]+")).filter(x -> !x.isEmpty())
                    .map(io.pdaltagent.observe.Mask::key).collect(java.util.stream.Collectors.joining(","));
        }
        if (value.contains("://") || k.endsWith("_PROXY")) {
            return io.pdaltagent.observe.Mask.url(value).replaceAll("(?i)(password=)[^&]*", "$1****");
        }
        return value;
    }
}
