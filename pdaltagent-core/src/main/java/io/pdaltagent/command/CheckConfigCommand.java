package io.pdaltagent.command;

import io.pdaltagent.config.ConfigException;
import io.pdaltagent.config.ConfigSources;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * {@code pdagentd check-config}: validates the configuration as a start would (every setting, the
 * configuration file's keys, the proxy settings and the CA bundle) without starting anything: no
 * port is bound, no file written. Exit 0 and one line when it is usable, else 2 and the reason,
 * naming the setting (and the file and line).
 */
public final class CheckConfigCommand implements Command {
    @Override
    public String summary() {
        return "validate the configuration without starting (exit 0 when usable, 2 with the reason when not)";
    }

    @Override
    public int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (!args.isEmpty()) {
            err.println("pdagentd check-config: takes no arguments");
            return 2;
        }
        try {
            ConfigSources sources = Settings.sources(env);
            Settings.checked(sources);
            out.println("pdagentd: configuration OK (configuration file: " + (sources.file() == null ? "none" : sources.file()) + ")");
            return 0;
        } catch (ConfigException e) {
            err.println("pdagentd: " + e.getMessage());
            return 2;
        }
    }
}
