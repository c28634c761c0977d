package io.pdaltagent.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The relay's security settings: client certificates on HTTPS ingest and how often certificate
 * files are checked ({@code PDAGENTD_TLS_CLIENT_CA_FILE}, {@code PDAGENTD_TLS_CLIENT_AUTH},
 * {@code PDAGENTD_TLS_RELOAD_SECONDS}), the allowlists ({@code PDAGENTD_ALLOWED_ROUTING_KEYS},
 * {@code PDAGENTD_ALLOWED_SOURCE_NETWORKS}, {@code PDAGENTD_SPOOL_ALLOWED_USERS}) and HTTPS on the
 * admin listener ({@code PDAGENTD_ADMIN_TLS} with its optional own pair).
 */
final class SecuritySettings {
    /** Most keys an allowlist takes; a relay for more keys than this is no allowlist. */
    private static final int MAX_ALLOWED_KEYS = 100_000;
    private static final int MAX_ALLOWED_NETWORKS = 10_000;

    private SecuritySettings() {
    }

    static AgentConfig.TlsOptions tlsOptions(ConfigReader r) {
        Path ca = r.path("PDAGENTD_TLS_CLIENT_CA_FILE", null);
        if (ca != null && !Files.isReadable(ca)) {
            throw r.bad("PDAGENTD_TLS_CLIENT_CA_FILE", ca + " is not a readable file");
        }
        String auth = r.string("PDAGENTD_TLS_CLIENT_AUTH", null);
        AgentConfig.TlsOptions.ClientAuth clientAuth;
        if (auth == null) {
            clientAuth = ca == null ? AgentConfig.TlsOptions.ClientAuth.NONE : AgentConfig.TlsOptions.ClientAuth.REQUIRED;
        } else {
            try {
                clientAuth = AgentConfig.TlsOptions.ClientAuth.valueOf(auth.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw r.bad("PDAGENTD_TLS_CLIENT_AUTH", "'" + auth + "' is none of none, optional, required");
            }
        }
        if (clientAuth != AgentConfig.TlsOptions.ClientAuth.NONE && ca == null) {
            throw r.bad("PDAGENTD_TLS_CLIENT_AUTH", auth
                    + " client certificates need PDAGENTD_TLS_CLIENT_CA_FILE (the CAs that issue them)");
        }
        Duration reload = r.seconds("PDAGENTD_TLS_RELOAD_SECONDS", AgentConfig.TlsOptions.DEFAULT_RELOAD_INTERVAL.toSeconds(), 0);
        return new AgentConfig.TlsOptions(ca, clientAuth, reload);
    }

    static AgentConfig.Allowlist allowlist(ConfigReader r) {
        Set<String> keys = new LinkedHashSet<>();
        for (String k : list(r, "PDAGENTD_ALLOWED_ROUTING_KEYS")) {
            if (!k.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw r.bad("PDAGENTD_ALLOWED_ROUTING_KEYS", "a routing key is printable ASCII without spaces ("
                        + io.pdaltagent.observe.Mask.key(k) + " is not)");
            }
            keys.add(k);
        }
        if (keys.size() > MAX_ALLOWED_KEYS) {
            throw r.bad("PDAGENTD_ALLOWED_ROUTING_KEYS", "more than " + MAX_ALLOWED_KEYS + " keys");
        }
        List<Cidr> networks = new ArrayList<>();
        for (String n : list(r, "PDAGENTD_ALLOWED_SOURCE_NETWORKS")) {
            try {
                networks.add(Cidr.parse(n));
            } catch (IllegalArgumentException e) {
                throw r.bad("PDAGENTD_ALLOWED_SOURCE_NETWORKS", e.getMessage());
            }
        }
        if (networks.size() > MAX_ALLOWED_NETWORKS) {
            throw r.bad("PDAGENTD_ALLOWED_SOURCE_NETWORKS", "more than " + MAX_ALLOWED_NETWORKS + " networks");
        }
        Set<String> users = new LinkedHashSet<>();
        for (String u : list(r, "PDAGENTD_SPOOL_ALLOWED_USERS")) {
            if (!u.matches("[A-Za-z0-9._][A-Za-z0-9._-]{0,63}\\$?")) {
                throw r.bad("PDAGENTD_SPOOL_ALLOWED_USERS", "'" + u + "' is not a user name");
            }
            users.add(u);
        }
        return new AgentConfig.Allowlist(keys, networks, users);
    }

    static AgentConfig.AdminTls adminTls(ConfigReader r) {
        boolean on = r.bool("PDAGENTD_ADMIN_TLS", false);
        Path cert = r.path("PDAGENTD_ADMIN_TLS_CERT_FILE", null);
        Path key = r.path("PDAGENTD_ADMIN_TLS_KEY_FILE", null);
        if (cert != null && key == null) {
            throw r.bad("PDAGENTD_ADMIN_TLS_CERT_FILE", "needs PDAGENTD_ADMIN_TLS_KEY_FILE too: set both or neither");
        }
        if (key != null && cert == null) {
            throw r.bad("PDAGENTD_ADMIN_TLS_KEY_FILE", "needs PDAGENTD_ADMIN_TLS_CERT_FILE too: set both or neither");
        }
        if (cert != null && !on) {
            throw r.bad("PDAGENTD_ADMIN_TLS_CERT_FILE", "is set but PDAGENTD_ADMIN_TLS is not true");
        }
        return new AgentConfig.AdminTls(on, cert, key);
    }

    /** A comma (or white-space) separated list, or a YAML list; empty when unset. */
    private static List<String> list(ConfigReader r, String name) {
        String v = r.commaList(name);
        if (v == null) {
            return List.of();
        }
        return Arrays.stream(v.split("[,\\s]+")).filter(x -> !x.isEmpty()).toList();
    }
}
