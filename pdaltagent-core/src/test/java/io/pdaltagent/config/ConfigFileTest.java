package io.pdaltagent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration file under the environment: precedence, every bad value named, bad files. */
class ConfigFileTest {
    @TempDir
    Path dir;

    private Path file(String yaml) throws Exception {
        Path f = dir.resolve("pdaltagent.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private AgentConfig load(Path file, Map<String, String> env) {
        Map<String, String> e = new HashMap<>(env);
        e.put(ConfigSources.CONFIG_FILE_VARIABLE, file.toString());
        e.putIfAbsent("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        return EnvConfig.load(ConfigSources.load(e, dir.resolve("default-does-not-exist.yaml")));
    }

    @Test
    void theFileSetsWhatTheEnvironmentDoesNotAndTheEnvironmentWins() throws Exception {
        Path f = file("""
                # pdaltagent
                PDAGENTD_HTTP_PORT: 9090
                PDAGENTD_HTTPS_PORT: 0
                PDAGENTD_EVENTS_BASE_URL: https://events.eu.pagerduty.com
                PDAGENTD_DEBUG: true
                HTTPS_PROXY: http://proxy.example:3128
                NO_PROXY: [localhost, .internal]
                PDAGENTD_ADMIN_PORT:
                """);
        AgentConfig c = load(f, Map.of("PDAGENTD_HTTP_PORT", "7070"));
        assertThat(c.ingest().httpPort()).as("environment over file").isEqualTo(7070);
        assertThat(c.ingest().httpsPort()).as("file over default").isZero();
        assertThat(c.delivery().eventsBaseUrl()).hasToString("https://events.eu.pagerduty.com");
        assertThat(c.debug()).isTrue();
        assertThat(c.admin().port()).as("an empty value is unset").isEqualTo(EnvConfig.DEFAULT_ADMIN_PORT);
        assertThat(c.outbound().proxyVariables()).containsEntry("HTTPS_PROXY", "http://proxy.example:3128")
                .containsEntry("NO_PROXY", "[\"localhost\",\".internal\"]");
    }

    @Test
    void webhookSettingsInTheFileAreKnownAndCheckedWhileThePollerIsOff() throws Exception {
        Path f = file("""
                PDAGENTD_POLLING_INTERVAL_SECONDS: 30
                PDAGENTD_WEBHOOK_FORMAT: v2
                PDAGENTD_WEBHOOK_SERVICES_LIST: [PABC123]
                """);
        assertThat(load(f, Map.of()).webhook()).as("no token and no destination: the poller is off").isNull();
        Path bad = file("PDAGENTD_WEBHOOK_FORMAT: v9\n");
        assertThatThrownBy(() -> load(bad, Map.of())).hasMessageContaining("PDAGENTD_WEBHOOK_FORMAT");
    }

    @Test
    void sourcesRememberWhereEachValueCameFrom() throws Exception {
        Path f = file("PDAGENTD_HTTP_PORT: 9090\nPDAGENTD_QUEUE_MAX_EVENTS: 5000\n");
        Map<String, String> env = Map.of(ConfigSources.CONFIG_FILE_VARIABLE, f.toString(), "PDAGENTD_QUEUE_MAX_EVENTS", "10",
                "PDAGENTD_DATA_DIR", dir.toString());
        ConfigSources s = ConfigSources.load(env, null);
        EnvConfig.load(s);
        Map<String, ConfigSources.Value> all = s.effective();
        assertThat(all.get("PDAGENTD_HTTP_PORT")).isEqualTo(new ConfigSources.Value("9090", ConfigSources.Origin.FILE, f + ":1"));
        assertThat(all.get("PDAGENTD_QUEUE_MAX_EVENTS").origin()).isEqualTo(ConfigSources.Origin.ENV);
        assertThat(all.get("PDAGENTD_HTTPS_PORT")).isEqualTo(new ConfigSources.Value("8443", ConfigSources.Origin.DEFAULT, "default"));
        assertThat(all).containsKey("PDAGENTD_ADMIN_TOKEN");
        assertThat(all.get("PDAGENTD_ADMIN_TOKEN")).isNull();
    }

    /** Each setting with a value it refuses: the message names the key and the file's line. */
    @Test
    void everyBadValueInTheFileNamesItsKeyAndLine() throws Exception {
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("PDAGENTD_HTTP_PORT", "eighty");
        bad.put("PDAGENTD_HTTPS_PORT", "70000");
        bad.put("PDAGENTD_ADMIN_PORT", "-1");
        bad.put("PDAGENTD_BIND_ADDRESS", "no.such.host.invalid");
        bad.put("PDAGENTD_ADMIN_BIND_ADDRESS", "no.such.host.invalid");
        bad.put("PDAGENTD_ADMIN_TOKEN", "short");
        bad.put("PDAGENTD_MAX_BODY_BYTES", "12");
        bad.put("PDAGENTD_BROKER_URL", "redis://x");
        bad.put("CELERY_BROKER_URL", "http://x");
        bad.put("PDAGENTD_BROKER_PARTITIONS", "0");
        bad.put("PDAGENTD_QUEUE_MAX_EVENTS", "many");
        bad.put("PDAGENTD_DELIVERED_RETENTION_SECONDS", "-5");
        bad.put("PDAGENTD_EVENTS_BASE_URL", "ftp://events");
        bad.put("PDAGENTD_DELIVERY_CONCURRENCY", "0");
        bad.put("PDAGENTD_DELIVERY_TIMEOUT_SECONDS", "0");
        bad.put("PDAGENTD_RETRY_BASE_MILLIS", "x");
        bad.put("PDAGENTD_RETRY_MAX_MILLIS", "0");
        bad.put("PDAGENTD_MAX_EVENT_AGE_SECONDS", "0");
        bad.put("PDAGENTD_SHUTDOWN_GRACE_SECONDS", "soon");
        bad.put("PDAGENTD_DEBUG", "maybe");
        bad.put("PDAGENTD_CA_FILE", dir.resolve("missing.pem").toString());
        bad.put("PDAGENTD_SOURCE_ADDRESS", "no.such.host.invalid");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            Path f = file("# line 1\nPDAGENTD_HTTPS_PORT: 0\n" + e.getKey() + ": \"" + e.getValue() + "\"\n");
            Map<String, String> env = new HashMap<>();
            if (e.getKey().equals("CELERY_BROKER_URL")) {
                env.put("PDAGENTD_BROKER_URL", "");
            }
            if (e.getKey().equals("PDAGENTD_HTTPS_PORT")) {
                f = file("# line 1\n\n" + e.getKey() + ": \"" + e.getValue() + "\"\n");
            }
            Path ff = f;
            assertThatThrownBy(() -> load(ff, env)).as(e.getKey()).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(e.getKey()).hasMessageContaining(f + ":3");
            // the same value from the environment names the variable
            Path empty = file("");
            assertThatThrownBy(() -> load(empty, Map.of(e.getKey(), e.getValue()))).as(e.getKey())
                    .hasMessageStartingWith(e.getKey());
        }
    }

    @Test
    void anUnknownKeyIsAnErrorNamingItsLine() throws Exception {
        Path f = file("PDAGENTD_HTTP_PORT: 9090\nPDAGENTD_HTTP_PROT: 9091\n");
        assertThatThrownBy(() -> load(f, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(f + ":2: unknown key 'PDAGENTD_HTTP_PROT'");
        Path lower = file("pdagentd_http_port: 9090\n");
        assertThatThrownBy(() -> load(lower, Map.of())).hasMessageContaining("unknown key 'pdagentd_http_port'");
        Path self = file("PDAGENTD_CONFIG_FILE: /etc/other.yaml\n");
        assertThatThrownBy(() -> load(self, Map.of())).hasMessageContaining("unknown key 'PDAGENTD_CONFIG_FILE'");
    }

    @Test
    void aMissingUnreadableOrGarbledFileStopsTheStartNamingTheFile() throws Exception {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> load(missing, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessage("PDAGENTD_CONFIG_FILE: " + missing + " does not exist");

        Path garbled = file("PDAGENTD_HTTP_PORT: 9090\nPDAGENTD_HTTPS_PORT: [0\n");
        assertThatThrownBy(() -> load(garbled, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(garbled + ":").hasMessageContaining("is not valid YAML");

        Path list = file("- PDAGENTD_HTTP_PORT\n");
        assertThatThrownBy(() -> load(list, Map.of())).hasMessage(list + ":1: the configuration file must be a mapping of KEY: value lines");

        Path twice = file("PDAGENTD_HTTP_PORT: 1\nPDAGENTD_HTTP_PORT: 2\n");
        assertThatThrownBy(() -> load(twice, Map.of())).hasMessageStartingWith(twice + ":2: key 'PDAGENTD_HTTP_PORT' appears twice");

        Path two = file("PDAGENTD_HTTP_PORT: 1\n---\nPDAGENTD_HTTPS_PORT: 2\n");
        assertThatThrownBy(() -> load(two, Map.of())).hasMessageContaining("only one YAML document");

        if (!"root".equals(System.getProperty("user.name"))) {
            Path locked = file("PDAGENTD_HTTP_PORT: 9090\n");
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
            assertThatThrownBy(() -> load(locked, Map.of())).hasMessage(locked + ": cannot read the configuration file (permission denied)");
        }
        Path dirAsFile = dir.resolve("adir");
        Files.createDirectories(dirAsFile);
        assertThatThrownBy(() -> load(dirAsFile, Map.of())).isInstanceOf(ConfigException.class).hasMessageStartingWith(dirAsFile + ": ");

        Path empty = file("");
        assertThat(load(empty, Map.of()).ingest().httpPort()).isEqualTo(EnvConfig.DEFAULT_HTTP_PORT);
        assertThat(load(Path.of("/dev/null"), Map.of()).ingest().httpPort()).isEqualTo(EnvConfig.DEFAULT_HTTP_PORT);
    }

    @Test
    void theDefaultFileIsReadOnlyWhenItExists() throws Exception {
        Path def = dir.resolve("etc.yaml");
        Map<String, String> env = Map.of("PDAGENTD_DATA_DIR", dir.toString());
        assertThat(ConfigSources.load(env, def).file()).isNull();
        Files.writeString(def, "PDAGENTD_HTTP_PORT: 9191\n");
        ConfigSources s = ConfigSources.load(env, def);
        assertThat(s.file()).isEqualTo(def);
        assertThat(EnvConfig.load(s).ingest().httpPort()).isEqualTo(9191);
    }
}
