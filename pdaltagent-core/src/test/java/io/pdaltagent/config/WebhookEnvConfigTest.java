package io.pdaltagent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookEnvConfigTest {
    static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("PDAGENTD_DATA_DIR", "/tmp/unused");
        m.put("PDAGENTD_API_TOKEN", "u+abcdefghijklmnop");
        m.put("PDAGENTD_WEBHOOK_DEST_URL", "http://hooks.internal:9000/pd/");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void thePollerIsOffWithoutTokenAndDestination() {
        Map<String, String> e = env();
        e.remove("PDAGENTD_API_TOKEN");
        e.remove("PDAGENTD_WEBHOOK_DEST_URL");
        assertThat(EnvConfig.load(e).webhook()).isNull();
    }

    @Test
    void defaultsAndBothTokenForms() {
        AgentConfig.WebhookConfig w = EnvConfig.load(env()).webhook();
        assertThat(w.authorization()).isEqualTo("Token token=u+abcdefghijklmnop");
        assertThat(w.destUrl().toString()).isEqualTo("http://hooks.internal:9000/pd/");
        assertThat(w.apiBaseUrl().toString()).isEqualTo("https://api.pagerduty.com");
        assertThat(w.pollInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(w.keepActivity()).isEqualTo(Duration.ofDays(30));
        assertThat(w.format()).isEqualTo("v3");
        assertThat(w.serviceIds()).isEmpty();
        assertThat(w.secret()).isNull();
        assertThat(EnvConfig.load(env("PDAGENTD_API_TOKEN", "Bearer pdus+oauth")).webhook().authorization())
                .isEqualTo("Bearer pdus+oauth");
        AgentConfig.WebhookConfig all = EnvConfig.load(env("PDAGENTD_WEBHOOK_SERVICES_LIST", "[\"PA\",\"PB\"]",
                "PDAGENTD_WEBHOOK_FORMAT", "V2", "PDAGENTD_WEBHOOK_CONFIG_JSON", "{\"team\":\"db\"}",
                "PDAGENTD_API_BASE_URL", "https://api.eu.pagerduty.com", "PDAGENTD_GET_ALL_LOG_ENTRIES", "true",
                "PDAGENTD_ACTIVITY_DB_URL", "jdbc:postgresql://db/pd")).webhook();
        assertThat(all.serviceIds()).containsExactly("PA", "PB");
        assertThat(all.format()).isEqualTo("v2");
        assertThat(all.configJson()).isEqualTo("{\"team\":\"db\"}");
        assertThat(all.allLogEntries()).isTrue();
        assertThat(all.activityDbUrl()).isEqualTo("jdbc:postgresql://db/pd");
    }

    @Test
    void badValuesStopTheAgentNamingTheVariable() {
        Map<String, String> noToken = env();
        noToken.remove("PDAGENTD_API_TOKEN");
        assertThatThrownBy(() -> EnvConfig.load(noToken)).hasMessageContaining("PDAGENTD_API_TOKEN");
        assertThatThrownBy(() -> EnvConfig.load(env("PDAGENTD_WEBHOOK_DEST_URL", "hooks.internal/pd")))
                .hasMessageContaining("PDAGENTD_WEBHOOK_DEST_URL");
        assertThatThrownBy(() -> EnvConfig.load(env("PDAGENTD_POLLING_INTERVAL_SECONDS", "0")))
                .hasMessageContaining("PDAGENTD_POLLING_INTERVAL_SECONDS");
        assertThatThrownBy(() -> EnvConfig.load(env("PDAGENTD_WEBHOOK_FORMAT", "v1")))
                .hasMessageContaining("PDAGENTD_WEBHOOK_FORMAT");
        assertThatThrownBy(() -> EnvConfig.load(env("PDAGENTD_WEBHOOK_SERVICES_LIST", "PA,PB")))
                .hasMessageContaining("PDAGENTD_WEBHOOK_SERVICES_LIST");
        assertThatThrownBy(() -> EnvConfig.load(env("PDAGENTD_WEBHOOK_SERVICES_LIST", "[1]")))
                .hasMessageContaining("PDAGENTD_WEBHOOK_SERVICES_LIST");
        assertThatThrownBy(() -> EnvConfig.load(env("PDAGENTD_WEBHOOK_CONFIG_JSON", "[]")))
                .hasMessageContaining("PDAGENTD_WEBHOOK_CONFIG_JSON");
        assertThatThrownBy(() -> EnvConfig.load(env("PDAGENTD_ACTIVITY_DB_URL", "jdbc:mysql://db/pd")))
                .hasMessageContaining("PDAGENTD_ACTIVITY_DB_URL");
        assertThatThrownBy(() -> EnvConfig.load(env("PDAGENTD_API_TOKEN", "two words")))
                .hasMessageContaining("PDAGENTD_API_TOKEN");
        assertThatThrownBy(() -> EnvConfig.load(env("PDAGENTD_API_TOKEN", "Bearer ")))
                .hasMessageContaining("PDAGENTD_API_TOKEN");
        assertThatThrownBy(() -> EnvConfig.load(env("PDAGENTD_GET_ALL_LOG_ENTRIES", "maybe")))
                .hasMessageContaining("PDAGENTD_GET_ALL_LOG_ENTRIES");
    }

    @Test
    void theDescriptionMasksTheDatabasePassword() {
        AgentConfig c = EnvConfig.load(env("PDAGENTD_ACTIVITY_DB_URL", "jdbc:postgresql://db/pd?user=a&password=s3cret"));
        assertThat(EnvConfig.describe(c).toString()).doesNotContain("s3cret").doesNotContain("abcdefghijklmnop");
    }
}
