package io.pdaltagent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.dashboard.PasswordHash;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PDAGENTD_ADMIN_PASSWORD_HASH: read, checked, and enough to put the admin listener off loopback. */
class AdminPasswordEnvConfigTest {
    static final String HASH = PasswordHash.create("a dashboard password".toCharArray(), new SecureRandom()).encoded();

    static AgentConfig.AdminConfig admin(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("PDAGENTD_DATA_DIR", "/tmp/unused");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return EnvConfig.load(m).admin();
    }

    @Test
    void aPasswordHashIsReadAndMaskedInTheConfigEcho() {
        AgentConfig.AdminConfig a = admin("PDAGENTD_ADMIN_PASSWORD_HASH", HASH);
        assertThat(a.passwordHash().matches("a dashboard password".toCharArray())).isTrue();
        assertThat(a.toString()).contains("passwordHash=<masked>").doesNotContain(HASH);
        assertThat(admin().passwordHash()).isNull();
    }

    @Test
    void offLoopbackAPasswordHashIsEnoughWithoutAToken() {
        assertThatThrownBy(() -> admin("PDAGENTD_ADMIN_BIND_ADDRESS", "0.0.0.0")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("PDAGENTD_ADMIN_PASSWORD_HASH");
        assertThat(admin("PDAGENTD_ADMIN_BIND_ADDRESS", "0.0.0.0", "PDAGENTD_ADMIN_PASSWORD_HASH", HASH).token()).isNull();
    }

    @Test
    void aBadHashStopsTheAgentNamingTheVariableWithoutEchoingIt() {
        String bad = "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0$" + "A".repeat(43);
        assertThatThrownBy(() -> admin("PDAGENTD_ADMIN_PASSWORD_HASH", bad)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("PDAGENTD_ADMIN_PASSWORD_HASH").hasMessageContaining("iteration")
                .hasMessageNotContaining(bad);
        assertThatThrownBy(() -> admin("PDAGENTD_ADMIN_PASSWORD_HASH", "hunter2")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("pdagentd hash-password").hasMessageNotContaining("hunter2");
    }
}
