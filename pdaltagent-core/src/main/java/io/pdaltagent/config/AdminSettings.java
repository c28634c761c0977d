package io.pdaltagent.config;

import java.net.InetAddress;

/**
 * The admin listener's section: {@code PDAGENTD_ADMIN_BIND_ADDRESS}, {@code PDAGENTD_ADMIN_PORT},
 * {@code PDAGENTD_ADMIN_TOKEN}, the dashboard's view-only {@code PDAGENTD_ADMIN_READ_TOKEN} and its
 * password ({@code PDAGENTD_ADMIN_PASSWORD_HASH}), and HTTPS ({@link SecuritySettings#adminTls}). The
 * listener is never on the ingest ports, and off loopback only with a token or a password hash.
 */
final class AdminSettings {
    static final int DEFAULT_ADMIN_PORT = 8081;
    static final String DEFAULT_ADMIN_BIND_ADDRESS = "127.0.0.1";
    /** A token shorter than this is guessable; {@code openssl rand -hex 16} gives 32 characters. */
    static final int MIN_ADMIN_TOKEN_LENGTH = 16;
    private static final String HINT = " (e.g. openssl rand -hex 16)";
    private static final String TOKEN = "PDAGENTD_ADMIN_TOKEN";
    private static final String READ_TOKEN = "PDAGENTD_ADMIN_READ_TOKEN";
    private static final String PASSWORD_HASH = "PDAGENTD_ADMIN_PASSWORD_HASH";

    private AdminSettings() {
    }

    static AgentConfig.AdminConfig read(ConfigReader r) {
        String bind = r.string("PDAGENTD_ADMIN_BIND_ADDRESS", DEFAULT_ADMIN_BIND_ADDRESS);
        InetAddress address = r.address("PDAGENTD_ADMIN_BIND_ADDRESS", bind);
        int port = r.port("PDAGENTD_ADMIN_PORT", DEFAULT_ADMIN_PORT);
        String token = r.token(TOKEN, MIN_ADMIN_TOKEN_LENGTH, HINT);
        io.pdaltagent.dashboard.PasswordHash hash = passwordHash(r);
        if (port != 0 && !address.isLoopbackAddress() && token == null && hash == null) {
            throw r.bad(TOKEN, "required when the admin listener is not on a loopback address (PDAGENTD_ADMIN_BIND_ADDRESS="
                    + bind + "); set a token or " + PASSWORD_HASH + ", or PDAGENTD_ADMIN_BIND_ADDRESS=127.0.0.1");
        }
        String readToken = r.token(READ_TOKEN, MIN_ADMIN_TOKEN_LENGTH, HINT);
        if (readToken != null && token == null && hash == null) {
            throw r.bad(READ_TOKEN, "needs " + TOKEN + " or " + PASSWORD_HASH + " too (without them the dashboard asks"
                    + " for no login, so a read-only token would restrict nothing)");
        }
        if (readToken != null && readToken.equals(token)) {
            throw r.bad(READ_TOKEN, "must differ from " + TOKEN);
        }
        return new AgentConfig.AdminConfig(bind, port, token, readToken, hash, SecuritySettings.adminTls(r));
    }

    /** The dashboard's password hash (PBKDF2-HMAC-SHA256, PHC string), or null; the value is never echoed. */
    private static io.pdaltagent.dashboard.PasswordHash passwordHash(ConfigReader r) {
        String v = r.string(PASSWORD_HASH, null);
        if (v == null) {
            return null;
        }
        try {
            return io.pdaltagent.dashboard.PasswordHash.parse(v);
        } catch (IllegalArgumentException e) {
            throw r.bad(PASSWORD_HASH, e.getMessage());
        }
    }
}
