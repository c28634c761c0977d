package io.pdaltagent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.transform.PiiCategory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PDAGENTD_SCRUB_PII, PDAGENTD_RULES_FILE, PDAGENTD_PLUGINS_DIR and PDAGENTD_PLUGIN_TIMEOUT_MILLIS. */
class TransformConfigTest {
    @TempDir
    Path dir;

    private AgentConfig.TransformConfig load(Map<String, String> env) {
        return EnvConfig.load(env).transform();
    }

    @Test
    void nothingConfiguredMeansNoTransforms() {
        AgentConfig.TransformConfig t = load(Map.of());
        assertThat(t.scrubPii()).isEmpty();
        assertThat(t.rulesFile()).isNull();
        assertThat(t.pluginsDir()).isNull();
    }

    @Test
    void scrubPiiTakesTrueFalseOrACommaListOfCategories() {
        assertThat(load(Map.of("PDAGENTD_SCRUB_PII", "true")).scrubPii()).hasSize(9);
        assertThat(load(Map.of("PDAGENTD_SCRUB_PII", "false")).scrubPii()).isEmpty();
        assertThat(load(Map.of("PDAGENTD_SCRUB_PII", "email, ip")).scrubPii()).containsExactlyInAnyOrder("email", "ip");
        assertThatThrownBy(() -> load(Map.of("PDAGENTD_SCRUB_PII", "email,zip")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("PDAGENTD_SCRUB_PII: 'zip' is no category");
    }

    @Test
    void theCategoryNamesAreTheScrubbersOwn() {
        assertThat(EnvConfig.PII_CATEGORIES).containsExactlyInAnyOrderElementsOf(
                Arrays.stream(PiiCategory.values()).map(c -> c.configName).toList());
    }

    @Test
    void aRulesFileOrPluginsDirThatIsNotThereStopsTheAgentNamingTheVariable() throws Exception {
        assertThatThrownBy(() -> load(Map.of("PDAGENTD_RULES_FILE", dir.resolve("none.yaml").toString())))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("PDAGENTD_RULES_FILE:");
        assertThatThrownBy(() -> load(Map.of("PDAGENTD_PLUGINS_DIR", dir.resolve("none").toString())))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("PDAGENTD_PLUGINS_DIR:");
        assertThatThrownBy(() -> load(Map.of("PDAGENTD_PLUGIN_TIMEOUT_MILLIS", "0")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("PDAGENTD_PLUGIN_TIMEOUT_MILLIS:");
        Path rules = Files.writeString(dir.resolve("r.yaml"), "rules: []\n");
        assertThat(load(Map.of("PDAGENTD_RULES_FILE", rules.toString(), "PDAGENTD_PLUGINS_DIR", dir.toString(),
                "PDAGENTD_PLUGIN_TIMEOUT_MILLIS", "50")))
                .satisfies(t -> {
                    assertThat(t.rulesFile()).isEqualTo(rules);
                    assertThat(t.pluginsDir()).isEqualTo(dir);
                    assertThat(t.pluginTimeout().toMillis()).isEqualTo(50);
                });
    }
}
