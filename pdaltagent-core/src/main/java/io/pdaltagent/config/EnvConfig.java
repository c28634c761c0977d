package io.pdaltagent.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@link AgentConfig} from environment variables, and from the configuration file under them
 * ({@link ConfigSources}: the file's keys are the variables' names). The composition of the
 * sections, each a small reader of its own settings: {@link IngestSettings} (ports, TLS),
 * {@link QueueSettings}, {@link DeliverySettings} (with pacing), {@link OutboundSettings} (proxy,
 * CA bundle, source address), {@link WebhookSettings}, {@link TransformSettings} and
 * {@link AdminSettings}, with {@link SecuritySettings} (client certificates, allowlists, admin
 * HTTPS), all through one {@link ConfigReader}.
 *
 * <p>A value that is present but unusable stops the agent with a message naming the variable (and,
 * for a value from the file, the file and line first: {@code FILE:LINE: KEY: why}); it is never
 * replaced by a default. Every section reads every one of its settings on every load, also those
 * another setting makes irrelevant, so that {@link ConfigSources#checkNoUnknownKeys} knows every
 * key: a key of the file that no section read is an unknown key.
 */
public final class EnvConfig {
    /** The data dir of a system-wide install, used when it exists and PDAGENTD_DATA_DIR is unset. */
    public static final String SYSTEM_DATA_DIR = io.pdaltagent.common.DataDirs.SYSTEM;
    public static final int DEFAULT_HTTP_PORT = IngestSettings.DEFAULT_HTTP_PORT;
    public static final int DEFAULT_HTTPS_PORT = IngestSettings.DEFAULT_HTTPS_PORT;
    public static final String DEFAULT_EVENTS_BASE_URL = DeliverySettings.DEFAULT_EVENTS_BASE_URL;
    public static final String DEFAULT_API_BASE_URL = WebhookSettings.DEFAULT_API_BASE_URL;
    public static final int DEFAULT_ADMIN_PORT = AdminSettings.DEFAULT_ADMIN_PORT;
    /** The scrubber's categories by their configuration names (io.pdaltagent.transform.PiiCategory). */
    public static final List<String> PII_CATEGORIES = TransformSettings.PII_CATEGORIES;

    private EnvConfig() {
    }

    /** The environment only (no configuration file). */
    public static AgentConfig load(Map<String, String> env) {
        return load(ConfigSources.fromEnv(env));
    }

    /** The sources given (environment over file); fails on a key of the file that no setting reads. */
    public static AgentConfig load(ConfigSources sources) {
        ConfigReader r = new ConfigReader(sources);
        Path dataDir = r.path("PDAGENTD_DATA_DIR", defaultDataDir());
        AgentConfig config = new AgentConfig(
                IngestSettings.read(r, dataDir),
                QueueSettings.read(r, dataDir),
                DeliverySettings.read(r),
                r.bool("PDAGENTD_DEBUG", false),
                AdminSettings.read(r),
                OutboundSettings.read(r),
                WebhookSettings.read(r),
                TransformSettings.read(r));
        sources.checkNoUnknownKeys();
        return config;
    }

    /** The effective settings for the start-up log line, secrets masked. */
    public static Map<String, String> describe(AgentConfig c) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("data_dir", c.queue().dataDir().toString());
        m.put("bind_address", c.ingest().bindAddress());
        m.put("http_port", String.valueOf(c.ingest().httpPort()));
        m.put("https_port", String.valueOf(c.ingest().httpsPort()));
        m.put("tls", c.ingest().tlsCertFile() == null ? "generated self-signed" : c.ingest().tlsCertFile().toString());
        AgentConfig.TlsOptions to = c.ingest().tls();
        m.put("tls_client_auth", to.clientAuth().name().toLowerCase(java.util.Locale.ROOT)
                + (to.clientCaFile() == null ? "" : " (CAs " + to.clientCaFile() + ")"));
        AgentConfig.Allowlist al = c.ingest().allow();
        m.put("allowed_routing_keys", al.routingKeys().isEmpty() ? "any" : al.routingKeys().size() + " key(s)");
        m.put("allowed_source_networks", al.sourceNetworks().isEmpty() ? "any" : al.sourceNetworks().toString());
        m.put("spool_allowed_users", al.spoolUsers().isEmpty() ? "any" : String.join(",", al.spoolUsers()));
        m.put("queue", c.queue().brokerUrl() == null ? "embedded" : io.pdaltagent.observe.Mask.url(c.queue().brokerUrl()));
        m.put("queue_max_events", String.valueOf(c.queue().maxEvents()));
        m.put("events_base_url", c.delivery().eventsBaseUrl().toString());
        m.put("delivery_concurrency", String.valueOf(c.delivery().concurrency()));
        m.put("max_event_age", c.delivery().maxEventAge().toString());
        AgentConfig.PacingConfig pc = c.delivery().pacing();
        m.put("key_pacing", pc.enabled() ? pc.ratePerMinute() + "/min per key, burst " + pc.burst() : "off");
        if (c.webhook() != null) {
            m.put("webhook_poller", "api " + c.webhook().apiBaseUrl() + " every " + c.webhook().pollInterval().toSeconds()
                    + " s to " + io.pdaltagent.observe.Mask.url(c.webhook().destUrl().toString()) + " (" + c.webhook().format()
                    + (c.webhook().secret() == null ? ", unsigned" : ", signed") + ", activity store "
                    + (c.webhook().activityDbUrl() == null ? "embedded"
                            : c.webhook().activityDbUrl().replaceAll("(?i)(password=)[^&]*", "$1****"))
                    + ")");
        }
        m.put("admin", c.admin().port() == 0 ? "off" : c.admin().bindAddress() + ":" + c.admin().port()
                + (c.admin().token() == null ? "" : " (token set)") + (c.admin().tls().enabled() ? " (https)" : ""));
        m.put("proxy", c.outbound().proxyVariables().isEmpty() ? "none" : String.join(",", c.outbound().proxyVariables().keySet()));
        m.put("scrub_pii", c.transform().scrubPii().isEmpty() ? "off" : String.join(",", c.transform().scrubPii()));
        m.put("rules_file", String.valueOf(c.transform().rulesFile()));
        m.put("plugins_dir", String.valueOf(c.transform().pluginsDir()));
        return m;
    }

    /**
     * The data dir when {@code PDAGENTD_DATA_DIR} is unset: {@value #SYSTEM_DATA_DIR} when that
     * directory exists (a system-wide install, shared with pd-send run by other users), else
     * {@code ~/.pdaltagent}. pd-send finds the agent's spool the same way.
     */
    public static Path defaultDataDir() {
        return io.pdaltagent.common.DataDirs.defaultDataDir();
    }
}
