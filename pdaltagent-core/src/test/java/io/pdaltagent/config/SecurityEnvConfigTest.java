package io.pdaltagent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The security settings: client certificates, certificate reload, allowlists, admin HTTPS. */
class SecurityEnvConfigTest {
    @TempDir
    Path tmp;

    static AgentConfig load(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("PDAGENTD_DATA_DIR", "/tmp/unused");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return EnvConfig.load(m);
    }

    @Test
    void byDefaultNoClientCertificatesNoAllowlistsAndAPlainAdminListener() {
        AgentConfig c = load();
        assertThat(c.ingest().tls()).isEqualTo(AgentConfig.TlsOptions.DEFAULT);
        assertThat(c.ingest().allow()).isEqualTo(AgentConfig.Allowlist.ALL);
        assertThat(c.admin().tls()).isEqualTo(AgentConfig.AdminTls.OFF);
        assertThat(EnvConfig.describe(c)).containsEntry("tls_client_auth", "none")
                .containsEntry("allowed_routing_keys", "any").containsEntry("allowed_source_networks", "any");
    }

    @Test
    void aClientCaFileAloneRequiresClientCertificates() throws Exception {
        Path ca = Files.writeString(tmp.resolve("ca.pem"), "x");
        AgentConfig.TlsOptions t = load("PDAGENTD_TLS_CLIENT_CA_FILE", ca.toString()).ingest().tls();
        assertThat(t.clientAuth()).isEqualTo(AgentConfig.TlsOptions.ClientAuth.REQUIRED);
        assertThat(load("PDAGENTD_TLS_CLIENT_CA_FILE", ca.toString(), "PDAGENTD_TLS_CLIENT_AUTH", "Optional")
                .ingest().tls().clientAuth()).isEqualTo(AgentConfig.TlsOptions.ClientAuth.OPTIONAL);
        assertThat(load("PDAGENTD_TLS_RELOAD_SECONDS", "0").ingest().tls().reloadInterval()).isEqualTo(Duration.ZERO);
    }

    @Test
    void clientAuthWithoutACaFileOrWithAnUnknownWordStopsTheStart() {
        assertThatThrownBy(() -> load("PDAGENTD_TLS_CLIENT_AUTH", "required")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("PDAGENTD_TLS_CLIENT_CA_FILE");
        assertThatThrownBy(() -> load("PDAGENTD_TLS_CLIENT_AUTH", "maybe")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("PDAGENTD_TLS_CLIENT_AUTH");
        assertThatThrownBy(() -> load("PDAGENTD_TLS_CLIENT_CA_FILE", tmp.resolve("missing.pem").toString()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PDAGENTD_TLS_CLIENT_CA_FILE");
    }

    @Test
    void readsTheAllowlistsAsCommaLists() {
        AgentConfig c = load("PDAGENTD_ALLOWED_ROUTING_KEYS", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                "PDAGENTD_ALLOWED_SOURCE_NETWORKS", "10.0.0.0/8,192.168.1.7 ::1",
                "PDAGENTD_SPOOL_ALLOWED_USERS", "nagios,zabbix");
        assertThat(c.ingest().allow().routingKeys()).containsExactlyInAnyOrder("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        assertThat(c.ingest().allow().sourceNetworks()).extracting(Cidr::toString)
                .containsExactly("10.0.0.0/8", "192.168.1.7/32", "0:0:0:0:0:0:0:1/128");
        assertThat(c.ingest().allow().spoolUsers()).containsExactlyInAnyOrder("nagios", "zabbix");
        // the keys themselves never reach the start-up line
        assertThat(EnvConfig.describe(c).toString()).contains("allowed_routing_keys=2 key(s)").doesNotContain("aaaa");
    }

    @Test
    void aBadNetworkStopsTheStartNamingTheVariable() {
        assertThatThrownBy(() -> load("PDAGENTD_ALLOWED_SOURCE_NETWORKS", "10.0.0.0/8,intranet.example"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("PDAGENTD_ALLOWED_SOURCE_NETWORKS: ")
                .hasMessageContaining("intranet.example");
        assertThatThrownBy(() -> load("PDAGENTD_SPOOL_ALLOWED_USERS", "a b;c")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("PDAGENTD_SPOOL_ALLOWED_USERS");
    }

    @Test
    void adminHttpsWithTheIngestPairOrItsOwn() {
        assertThat(load("PDAGENTD_ADMIN_TLS", "true").admin().tls()).isEqualTo(new AgentConfig.AdminTls(true, null, null));
        AgentConfig.AdminTls own = load("PDAGENTD_ADMIN_TLS", "true", "PDAGENTD_ADMIN_TLS_CERT_FILE", "/c.pem",
                "PDAGENTD_ADMIN_TLS_KEY_FILE", "/k.pem").admin().tls();
        assertThat(own).isEqualTo(new AgentConfig.AdminTls(true, Path.of("/c.pem"), Path.of("/k.pem")));
        assertThatThrownBy(() -> load("PDAGENTD_ADMIN_TLS", "true", "PDAGENTD_ADMIN_TLS_CERT_FILE", "/c.pem"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("set both or neither");
        assertThatThrownBy(() -> load("PDAGENTD_ADMIN_TLS_CERT_FILE", "/c.pem", "PDAGENTD_ADMIN_TLS_KEY_FILE", "/k.pem"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PDAGENTD_ADMIN_TLS");
    }
}
