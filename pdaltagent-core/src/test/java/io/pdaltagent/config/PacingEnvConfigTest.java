package io.pdaltagent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PacingEnvConfigTest {
    static AgentConfig.PacingConfig pacing(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("PDAGENTD_DATA_DIR", "/tmp/unused");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return EnvConfig.load(m).delivery().pacing();
    }

    @Test
    void pacesAtPagerDutysDocumentedRateWithASmallBurstByDefault() {
        assertThat(pacing()).isEqualTo(new AgentConfig.PacingConfig(120, 10));
        assertThat(pacing().enabled()).isTrue();
        assertThat(EnvConfig.describe(EnvConfig.load(Map.of("PDAGENTD_DATA_DIR", "/tmp/unused"))))
                .containsEntry("key_pacing", "120/min per key, burst 10");
    }

    @Test
    void takesTheRateAndBurstFromTheEnvironmentAndZeroTurnsPacingOff() {
        assertThat(pacing("PDAGENTD_KEY_RATE_PER_MINUTE", "10000", "PDAGENTD_KEY_BURST", "50"))
                .isEqualTo(new AgentConfig.PacingConfig(10_000, 50));
        assertThat(pacing("PDAGENTD_KEY_RATE_PER_MINUTE", "0").enabled()).isFalse();
        assertThat(pacing().window()).isEqualTo(java.time.Duration.ofMinutes(1));
        assertThat(pacing("PDAGENTD_KEY_RATE_WINDOW_SECONDS", "6").window()).isEqualTo(java.time.Duration.ofSeconds(6));
    }

    @Test
    void aBadValueStopsTheAgentNamingTheVariable() {
        assertThatThrownBy(() -> pacing("PDAGENTD_KEY_RATE_PER_MINUTE", "fast")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("PDAGENTD_KEY_RATE_PER_MINUTE").hasMessageContaining("whole number");
        assertThatThrownBy(() -> pacing("PDAGENTD_KEY_RATE_PER_MINUTE", "-1"))
                .hasMessageContaining("PDAGENTD_KEY_RATE_PER_MINUTE").hasMessageContaining("out of range");
        assertThatThrownBy(() -> pacing("PDAGENTD_KEY_RATE_PER_MINUTE", "1000001"))
                .hasMessageContaining("PDAGENTD_KEY_RATE_PER_MINUTE");
        assertThatThrownBy(() -> pacing("PDAGENTD_KEY_BURST", "0"))
                .hasMessageContaining("PDAGENTD_KEY_BURST").hasMessageContaining("out of range");
        assertThatThrownBy(() -> pacing("PDAGENTD_KEY_BURST", "1.5")).hasMessageContaining("PDAGENTD_KEY_BURST");
        assertThatThrownBy(() -> pacing("PDAGENTD_KEY_RATE_WINDOW_SECONDS", "0"))
                .hasMessageContaining("PDAGENTD_KEY_RATE_WINDOW_SECONDS").hasMessageContaining("out of range");
    }
}
