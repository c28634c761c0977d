package io.pdaltagent.migrate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * PagerDuty Agent's {@code /etc/pdagent.conf}: an INI file read by Python's ConfigParser, whose
 * {@code [Main]} section holds the settings ({@code conf/pdagent.conf} in its repository:
 * {@code send_interval_secs}, {@code cleanup_interval_secs}, {@code cleanup_threshold_secs},
 * {@code log_level}, {@code backoff_interval_secs}, {@code retry_limit_for_possible_errors},
 * {@code source_address}). {@link #equivalents} maps those that have a meaning here to this agent's
 * variables; the rest are reported as having none.
 */
public final class PdagentConf {
    public static final Path DEFAULT_FILE = Path.of("/etc/pdagent.conf");

    private final Map<String, String> main;

    private PdagentConf(Map<String, String> main) {
        this.main = main;
    }

    /** The {@code [Main]} options (lower-cased names, as ConfigParser gives them), in file order. */
    public Map<String, String> options() {
        return main;
    }

    public static PdagentConf read(Path file) throws IOException {
        Map<String, String> main = new LinkedHashMap<>();
        String section = null;
        String lastKey = null;
        for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                section = line.substring(1, line.length() - 1).strip();
                lastKey = null;
                continue;
            }
            if (!"Main".equals(section)) {
                continue;
            }
            if (Character.isWhitespace(raw.charAt(0)) && lastKey != null) {
                main.put(lastKey, main.get(lastKey) + "\n" + line); // a ConfigParser continuation line
                continue;
            }
            int eq = indexOfSeparator(line);
            if (eq < 0) {
                throw new IOException(file + ": '" + line + "' is neither 'name = value' nor a [section]");
            }
            lastKey = line.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            main.put(lastKey, line.substring(eq + 1).strip());
        }
        return new PdagentConf(main);
    }

    private static int indexOfSeparator(String line) {
        int eq = line.indexOf('=');
        int colon = line.indexOf(':');
        if (eq < 0) {
            return colon;
        }
        return colon < 0 ? eq : Math.min(eq, colon);
    }

    /**
     * What the options mean here: variable → value for those with an equivalent. The proxy options
     * are read in either spelling; {@code source_address} {@code 0.0.0.0} is the system's choice,
     * which is already the default.
     */
    public Map<String, String> equivalents() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : main.entrySet()) {
            String v = e.getValue();
            switch (e.getKey()) {
                case "source_address" -> {
                    if (!v.isEmpty() && !v.equals("0.0.0.0")) {
                        out.put("PDAGENTD_SOURCE_ADDRESS", v);
                    }
                }
                case "https_proxy" -> out.put("HTTPS_PROXY", v);
                case "http_proxy" -> out.put("HTTP_PROXY", v);
                case "no_proxy" -> out.put("NO_PROXY", v);
                case "log_level" -> {
                    if (v.equalsIgnoreCase("debug")) {
                        out.put("PDAGENTD_DEBUG", "true");
                    }
                }
                default -> { }
            }
        }
        return out;
    }

}
