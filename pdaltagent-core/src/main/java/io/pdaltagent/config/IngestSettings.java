package io.pdaltagent.config;

import java.nio.file.Path;

/**
 * The ingest section: {@code PDAGENTD_BIND_ADDRESS}, {@code PDAGENTD_HTTP_PORT},
 * {@code PDAGENTD_HTTPS_PORT}, {@code PDAGENTD_TLS_CERT_FILE} with {@code PDAGENTD_TLS_KEY_FILE}
 * (the files themselves are read at start, by {@code ingest.TlsMaterial}) and
 * {@code PDAGENTD_MAX_BODY_BYTES}.
 */
final class IngestSettings {
    static final int DEFAULT_HTTP_PORT = 8080;
    static final int DEFAULT_HTTPS_PORT = 8443;
    static final String DEFAULT_BIND_ADDRESS = "0.0.0.0";
    /** PagerDuty's documented limit on an event's size: 512 KB. */
    static final int DEFAULT_MAX_BODY_BYTES = 512 * 1024;
    /** Below a kilobyte no real event fits; above 64 MB a body is no event. */
    private static final int MIN_BODY_BYTES = 1024;
    private static final long MAX_BODY_BYTES = 64L * 1024 * 1024;

    private IngestSettings() {
    }

    static AgentConfig.IngestConfig read(ConfigReader r, Path dataDir) {
        String bind = r.string("PDAGENTD_BIND_ADDRESS", DEFAULT_BIND_ADDRESS);
        r.address("PDAGENTD_BIND_ADDRESS", bind);
        int http = r.port("PDAGENTD_HTTP_PORT", DEFAULT_HTTP_PORT);
        int https = r.port("PDAGENTD_HTTPS_PORT", DEFAULT_HTTPS_PORT);
        Path cert = r.path("PDAGENTD_TLS_CERT_FILE", null);
        Path key = r.path("PDAGENTD_TLS_KEY_FILE", null);
        // the one that is set is named (with its line): that is where the mistake is seen
        if (cert != null && key == null) {
            throw r.bad("PDAGENTD_TLS_CERT_FILE", "needs PDAGENTD_TLS_KEY_FILE too: set both or neither");
        }
        if (key != null && cert == null) {
            throw r.bad("PDAGENTD_TLS_KEY_FILE", "needs PDAGENTD_TLS_CERT_FILE too: set both or neither");
        }
        int maxBody = (int) r.number("PDAGENTD_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, MIN_BODY_BYTES, MAX_BODY_BYTES);
        return new AgentConfig.IngestConfig(bind, http, https, cert, key, maxBody, dataDir,
                SecuritySettings.tlsOptions(r), SecuritySettings.allowlist(r));
    }
}
