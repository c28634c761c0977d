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
                .as("a YAML list is the comma list the variable takes").containsEntry("NO_PROXY", "localhost,.internal");
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

    /**
     * A value each setting refuses, for every setting the agent reads (the test fails when a new
     * setting has none here): the message names the key, and for the file the file and line first.
     */
    private Map<String, String> badValues() throws Exception {
        Path notPem = Files.writeString(dir.resolve("not.pem"), "not a certificate\n");
        io.pdaltagent.ingest.TlsMaterial.selfSigned(dir.resolve("tls-pair"));
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("PDAGENTD_DATA_DIR", "a\u0000b");
        bad.put("PDAGENTD_BIND_ADDRESS", "no.such.host.invalid");
        bad.put("PDAGENTD_HTTP_PORT", "eighty");
        bad.put("PDAGENTD_HTTPS_PORT", "70000");
        bad.put("PDAGENTD_TLS_CERT_FILE", notPem.toString());
        bad.put("PDAGENTD_TLS_KEY_FILE", notPem.toString());
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
        bad.put("PDAGENTD_KEY_RATE_PER_MINUTE", "-1");
        bad.put("PDAGENTD_KEY_BURST", "0");
        bad.put("PDAGENTD_KEY_RATE_WINDOW_SECONDS", "0");
        bad.put("PDAGENTD_DEBUG", "maybe");
        bad.put("PDAGENTD_ADMIN_BIND_ADDRESS", "no.such.host.invalid");
        bad.put("PDAGENTD_ADMIN_PORT", "-1");
        bad.put("PDAGENTD_ADMIN_TOKEN", "short");
        bad.put("PDAGENTD_ADMIN_READ_TOKEN", "short");
        bad.put("PDAGENTD_ADMIN_PASSWORD_HASH", "plain-text-password");
        bad.put("PDAGENTD_ADMIN_TLS", "maybe");
        bad.put("PDAGENTD_ADMIN_TLS_CERT_FILE", notPem.toString());
        bad.put("PDAGENTD_ADMIN_TLS_KEY_FILE", notPem.toString());
        bad.put("PDAGENTD_TLS_CLIENT_CA_FILE", dir.resolve("no-such-ca.pem").toString());
        bad.put("PDAGENTD_TLS_CLIENT_AUTH", "sometimes");
        bad.put("PDAGENTD_TLS_RELOAD_SECONDS", "-1");
        bad.put("PDAGENTD_ALLOWED_ROUTING_KEYS", "R0UT1NGKEY\u00e9");
        bad.put("PDAGENTD_ALLOWED_SOURCE_NETWORKS", "10.0.0.0/33");
        bad.put("PDAGENTD_SPOOL_ALLOWED_USERS", "bad/user");
        bad.put("https_proxy", "ftp://proxy:21");
        bad.put("HTTPS_PROXY", "http://proxy.example:31x8");
        bad.put("http_proxy", "http://:3128");
        bad.put("HTTP_PROXY", "proxy.corp:70000");
        bad.put("no_proxy", "example.com/8");
        bad.put("NO_PROXY", "10.0.0.0/33");
        bad.put("PDAGENTD_CA_FILE", notPem.toString());
        bad.put("PDAGENTD_SOURCE_ADDRESS", "no.such.host.invalid");
        bad.put("PDAGENTD_API_TOKEN", "Bearer");
        bad.put("PDAGENTD_WEBHOOK_DEST_URL", "mailto:ops@example.com");
        bad.put("PDAGENTD_API_BASE_URL", "api.pagerduty.com");
        bad.put("PDAGENTD_POLLING_INTERVAL_SECONDS", "0");
        bad.put("PDAGENTD_GET_ALL_LOG_ENTRIES", "all");
        bad.put("PDAGENTD_KEEP_ACTIVITY_SECONDS", "60");
        bad.put("PDAGENTD_WEBHOOK_SERVICES_LIST", "PABC123");
        bad.put("PDAGENTD_WEBHOOK_CONFIG_JSON", "[1]");
        bad.put("PDAGENTD_WEBHOOK_FORMAT", "v9");
        bad.put("PDAGENTD_WEBHOOK_SECRET", "s".repeat(5000));
        bad.put("PDAGENTD_ACTIVITY_DB_URL", "jdbc:mysql://db/x");
        bad.put("PDAGENTD_WEBHOOK_LOOKBACK_SECONDS", "99999999999");
        bad.put("PDAGENTD_WEBHOOK_LEASE_SECONDS", "1");
        bad.put("PDAGENTD_SCRUB_PII", "email,zip");
        bad.put("PDAGENTD_RULES_FILE", dir.resolve("missing-rules.yaml").toString());
        bad.put("PDAGENTD_PLUGINS_DIR", dir.resolve("missing-plugins").toString());
        bad.put("PDAGENTD_PLUGIN_TIMEOUT_MILLIS", "0");
        return bad;
    }

    /** As a start and check-config load it: every setting, then what the stages check at start. */
    private AgentConfig checked(Path file, String key, String value) {
        Map<String, String> e = new HashMap<>();
        e.put(ConfigSources.CONFIG_FILE_VARIABLE, file.toString());
        if (!key.equals("PDAGENTD_DATA_DIR")) {
            e.put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        }
        if (value != null) {
            e.put(key, value);
        }
        return io.pdaltagent.command.Settings.checked(ConfigSources.load(e, null));
    }

    @Test
    void everyBadValueInTheFileNamesItsFileLineAndKey() throws Exception {
        Map<String, String> bad = badValues();
        for (Map.Entry<String, String> e : bad.entrySet()) {
            String key = e.getKey();
            String quoted = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(e.getValue());
            // line 2 makes the pair of TLS files complete, so that the one on line 3 is what is refused
            Path pair = dir.resolve("tls-pair/tls");
            String other = switch (key) {
                case "PDAGENTD_TLS_CERT_FILE" -> "PDAGENTD_TLS_KEY_FILE: " + pair.resolve("agent-key.pem");
                case "PDAGENTD_TLS_KEY_FILE" -> "PDAGENTD_TLS_CERT_FILE: " + pair.resolve("agent-cert.pem");
                case "PDAGENTD_HTTPS_PORT" -> "PDAGENTD_ADMIN_PORT: 0";
                default -> "PDAGENTD_HTTPS_PORT: 0";
            };
            Path f = file("# line 1\n" + other + "\n" + key + ": " + quoted + "\n");
            assertThatThrownBy(() -> checked(f, key, null)).as(key).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(f + ":3: " + key + ": ");
            // the same value from the environment names the variable
            Path rest = file(other + "\n");
            assertThatThrownBy(() -> checked(rest, key, e.getValue())).as(key).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(key + ": ");
        }
    }

    @Test
    void everySettingTheAgentReadsHasABadValueInThatTest() throws Exception {
        ConfigSources s = ConfigSources.load(Map.of("PDAGENTD_DATA_DIR", dir.toString()), null);
        EnvConfig.load(s);
        assertThat(badValues().keySet()).containsExactlyInAnyOrderElementsOf(s.effective().keySet());
    }

    @Test
    void yamlListsBecomeCommaListsOrJsonAndAListOrMappingWhereOneValueBelongsIsRefused() throws Exception {
        Path f = file("""
                PDAGENTD_SCRUB_PII: [email, phone]
                no_proxy:
                  - localhost
                  - 10.0.0.0/8
                PDAGENTD_API_TOKEN: abcdefghijklmnopqrst
                PDAGENTD_WEBHOOK_DEST_URL: http://127.0.0.1:9/hook
                PDAGENTD_WEBHOOK_SERVICES_LIST: [PABC123, PDEF456]
                PDAGENTD_WEBHOOK_CONFIG_JSON: {team: ops}
                NO_PROXY: []
                """);
        AgentConfig c = load(f, Map.of());
        assertThat(c.transform().scrubPii()).containsExactlyInAnyOrder("email", "phone");
        assertThat(c.outbound().proxyVariables()).containsEntry("no_proxy", "localhost,10.0.0.0/8")
                .as("an empty list is unset").doesNotContainKey("NO_PROXY");
        assertThat(c.webhook().serviceIds()).as("the JSON-valued settings take the list as JSON").containsExactly("PABC123", "PDEF456");
        assertThat(c.webhook().configJson()).isEqualTo("{\"team\":\"ops\"}");

        Map<String, String> refused = new java.util.LinkedHashMap<>();
        refused.put("PDAGENTD_HTTP_PORT: [8080, 8081]", "PDAGENTD_HTTP_PORT: takes a single value, not a list");
        refused.put("HTTPS_PROXY: {host: proxy, port: 3128}", "HTTPS_PROXY: takes a single value, not a mapping");
        refused.put("PDAGENTD_DEBUG: {a: b}", "PDAGENTD_DEBUG: takes a single value, not a mapping");
        refused.put("NO_PROXY: {localhost: true}", "NO_PROXY: takes a list (a comma list, or a YAML list), not a mapping");
        refused.put("NO_PROXY: [[localhost]]", "NO_PROXY: every element of the list must be a single value, not [\"localhost\"]");
        refused.put("PDAGENTD_SCRUB_PII: [email, zip]", "PDAGENTD_SCRUB_PII: 'zip' is no category");
        for (Map.Entry<String, String> e : refused.entrySet()) {
            Path bad = file("PDAGENTD_HTTPS_PORT: 0\n" + e.getKey() + "\n");
            assertThatThrownBy(() -> load(bad, Map.of())).as(e.getKey()).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(bad + ":2: " + e.getValue());
        }
    }

    @Test
    void aBadProxyInTheFileNamesTheFileAndLineAtCheckAndAtStart() throws Exception {
        Path f = file("PDAGENTD_HTTPS_PORT: 0\n\nHTTPS_PROXY: http://proxy.example:31x8\n");
        assertThat(load(f, Map.of()).outbound().proxyVariables()).as("the value is read as text")
                .containsEntry("HTTPS_PROXY", "http://proxy.example:31x8");
        assertThatThrownBy(() -> checked(f, "HTTPS_PROXY", null)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(f + ":3: HTTPS_PROXY: ").hasMessageContaining("31x8");
        // a start refuses it with the same words
        ConfigSources s = ConfigSources.load(Map.of(ConfigSources.CONFIG_FILE_VARIABLE, f.toString(),
                "PDAGENTD_DATA_DIR", dir.resolve("data").toString()), null);
        AgentConfig config = EnvConfig.load(s);
        assertThatThrownBy(() -> io.pdaltagent.Agent.start(config, java.time.Clock.systemUTC()))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(s.locate((ConfigException) e)).hasMessageStartingWith(f + ":3: HTTPS_PROXY: "));
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
