package io.pdaltagent.command;

import io.pdaltagent.config.ConfigException;
import io.pdaltagent.config.ConfigSources;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * {@code pdagentd config}: the effective configuration, one {@code KEY=value} line per setting in
 * the order the agent reads them, each with where its value came from ({@code default},
 * {@code environment}, or the configuration file and line); secrets masked. A bad setting is
 * reported as {@code check-config} reports it (exit 2); nothing is started.
 */
public final class ConfigCommand implements Command {
    @Override
    public String summary() {
        return "print the effective configuration: each setting, its value (secrets masked) and its source";
    }

    @Override
    public int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (!args.isEmpty()) {
            err.println("pdagentd config: takes no arguments");
            return 2;
        }
        ConfigSources sources;
        try {
            sources = Settings.sources(env);
            Settings.checked(sources);
        } catch (ConfigException e) {
            err.println("pdagentd: " + e.getMessage());
            return 2;
        }
        out.println("# configuration file: " + (sources.file() == null
                ? "none (" + ConfigSources.CONFIG_FILE_VARIABLE + " unset, " + Settings.DEFAULT_FILE + " absent)"
                : sources.file()));
        Map<String, ConfigSources.Value> all = sources.effective();
        int width = 0;
        for (Map.Entry<String, ConfigSources.Value> e : all.entrySet()) {
            width = Math.max(width, line(e.getKey(), e.getValue()).length());
        }
        for (Map.Entry<String, ConfigSources.Value> e : all.entrySet()) {
            String l = line(e.getKey(), e.getValue());
            String source = e.getValue() == null ? "unset" : e.getValue().where();
            out.println(l + " ".repeat(width - l.length()) + "  # " + source);
        }
        return 0;
    }

    private static String line(String key, ConfigSources.Value v) {
        return key + "=" + (v == null ? "" : Settings.shown(key, v.text()));
    }
}
