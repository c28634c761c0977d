package io.pdaltagent.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The transforms' section: {@code PDAGENTD_SCRUB_PII} ({@code true}, {@code false}, or a comma
 * list of categories; in the file also a YAML list), {@code PDAGENTD_RULES_FILE},
 * {@code PDAGENTD_PLUGINS_DIR} and {@code PDAGENTD_PLUGIN_TIMEOUT_MILLIS}.
 */
final class TransformSettings {
    /** The scrubber's categories by their configuration names (io.pdaltagent.transform.PiiCategory). */
    static final List<String> PII_CATEGORIES = List.of("email", "phone", "credit_card", "ssn", "iban", "ip", "ipv6",
            "street_address", "po_box");
    /** A plugin call over a minute holds ingest far too long to be meant. */
    private static final long MAX_PLUGIN_TIMEOUT_MILLIS = 60_000;
    private static final String SCRUB = "PDAGENTD_SCRUB_PII";

    private TransformSettings() {
    }

    static AgentConfig.TransformConfig read(ConfigReader r) {
        Set<String> categories = scrub(r);
        Path rules = r.path("PDAGENTD_RULES_FILE", null);
        if (rules != null && !Files.isRegularFile(rules)) {
            throw r.bad("PDAGENTD_RULES_FILE", "'" + rules + "' is no readable file");
        }
        Path plugins = r.path("PDAGENTD_PLUGINS_DIR", null);
        if (plugins != null && !Files.isDirectory(plugins)) {
            throw r.bad("PDAGENTD_PLUGINS_DIR", "'" + plugins + "' is no directory");
        }
        Duration pluginTimeout = r.millis("PDAGENTD_PLUGIN_TIMEOUT_MILLIS",
                AgentConfig.TransformConfig.DEFAULT_PLUGIN_TIMEOUT.toMillis(), 1, MAX_PLUGIN_TIMEOUT_MILLIS);
        return new AgentConfig.TransformConfig(categories, rules, plugins, pluginTimeout);
    }

    private static Set<String> scrub(ConfigReader r) {
        Set<String> categories = new LinkedHashSet<>();
        String scrub = r.commaList(SCRUB);
        if (scrub == null) {
            return categories;
        }
        String lower = scrub.toLowerCase(Locale.ROOT);
        switch (lower) {
            case "true", "1", "yes", "on" -> categories.addAll(PII_CATEGORIES);
            case "false", "0", "no", "off" -> { }
            default -> {
                for (String part : lower.split(",")) {
                    String c = part.strip();
                    if (!PII_CATEGORIES.contains(c)) {
                        throw r.bad(SCRUB, "'" + c + "' is no category; use true, false or a comma list of "
                                + String.join(",", PII_CATEGORIES));
                    }
                    categories.add(c);
                }
            }
        }
        return categories;
    }
}
