package io.pdaltagent.config;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every outbound call uses: the proxy variables (in both spellings curl and Python read;
 * {@code NO_PROXY} as a comma list or, in the file, a YAML list), {@code PDAGENTD_CA_FILE} and
 * {@code PDAGENTD_SOURCE_ADDRESS}. The proxy values' own syntax is checked where they are parsed
 * ({@code delivery.EnvProxySelector}), at start and by {@code pdagentd check-config}; its errors
 * name the variable, and {@link ConfigSources#locate} adds the file's line.
 */
final class OutboundSettings {
    /** The proxy variables, in both spellings curl and Python read (see {@code EnvProxySelector}). */
    static final List<String> PROXY_VARIABLES = List.of("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY");
    static final List<String> NO_PROXY_VARIABLES = List.of("no_proxy", "NO_PROXY");

    private OutboundSettings() {
    }

    static AgentConfig.OutboundConfig read(ConfigReader r) {
        Map<String, String> proxies = new LinkedHashMap<>();
        for (String name : PROXY_VARIABLES) {
            String v = r.string(name, null);
            if (v != null) {
                proxies.put(name, v);
            }
        }
        for (String name : NO_PROXY_VARIABLES) {
            String v = r.commaList(name);
            if (v != null) {
                proxies.put(name, v);
            }
        }
        Path ca = r.path("PDAGENTD_CA_FILE", null);
        if (ca != null && !Files.isReadable(ca)) {
            throw r.bad("PDAGENTD_CA_FILE", ca + " is not a readable file");
        }
        String source = r.string("PDAGENTD_SOURCE_ADDRESS", null);
        InetAddress sourceAddress = null;
        if (source != null && !source.equals("0.0.0.0") && !source.equals("::")) {
            sourceAddress = r.address("PDAGENTD_SOURCE_ADDRESS", source);
        }
        return new AgentConfig.OutboundConfig(Map.copyOf(proxies), ca, sourceAddress);
    }
}
