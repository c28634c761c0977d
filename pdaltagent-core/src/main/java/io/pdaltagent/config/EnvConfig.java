package io.pdaltagent.config;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads {@link AgentConfig} from environment variables. A value that is present but unusable stops
 * the agent with a message naming the variable; it is never replaced by a default.
 */
public final class EnvConfig {
    /** The data dir of a system-wide install, used when it exists and PDAGENTD_DATA_DIR is unset. */
    public static final String SYSTEM_DATA_DIR = "/var/lib/pdaltagent";
    public static final int DEFAULT_HTTP_PORT = 8080;
    public static final int DEFAULT_HTTPS_PORT = 8443;
    public static final String DEFAULT_EVENTS_BASE_URL = "https://events.pagerduty.com";
    /** PagerDuty's documented limit on an event's size: 512 KB. */
    public static final int DEFAULT_MAX_BODY_BYTES = 512 * 1024;
    public static final long DEFAULT_QUEUE_MAX_EVENTS = 1_000_000;
    public static final long DEFAULT_MAX_EVENT_AGE_SECONDS = 7 * 24 * 3600;
    /** Delivered records only feed status counts; a day of them is plenty and keeps the store small. */
    public static final long DEFAULT_DELIVERED_RETENTION_SECONDS = 24 * 3600;
    /** Enough to keep 5,000 events/s moving against a 50 ms answer time, with room to spare. */
    public static final int DEFAULT_DELIVERY_CONCURRENCY = 512;
    public static final long DEFAULT_DELIVERY_TIMEOUT_SECONDS = 30;
    public static final long DEFAULT_RETRY_BASE_MILLIS = 1_000;
    /** PagerDuty asks for minutes of backoff under throttling; five is the ceiling. */
    public static final long DEFAULT_RETRY_MAX_MILLIS = 300_000;
    public static final long DEFAULT_SHUTDOWN_GRACE_SECONDS = 10;

    private final Map<String, String> env;

    private EnvConfig(Map<String, String> env) {
        this.env = env;
    }

    public static AgentConfig load(Map<String, String> env) {
        return new EnvConfig(env).build();
    }

    private AgentConfig build() {
        Path dataDir = path("PDAGENTD_DATA_DIR", defaultDataDir());
        String bind = string("PDAGENTD_BIND_ADDRESS", "0.0.0.0");
        try {
            InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw new ConfigException("PDAGENTD_BIND_ADDRESS: '" + bind + "' is not an address of this host");
        }
        int http = port("PDAGENTD_HTTP_PORT", DEFAULT_HTTP_PORT);
        int https = port("PDAGENTD_HTTPS_PORT", DEFAULT_HTTPS_PORT);
        Path cert = path("PDAGENTD_TLS_CERT_FILE", null);
        Path key = path("PDAGENTD_TLS_KEY_FILE", null);
        if ((cert == null) != (key == null)) {
            throw new ConfigException("PDAGENTD_TLS_CERT_FILE and PDAGENTD_TLS_KEY_FILE go together: set both or neither");
        }
        int maxBody = (int) number("PDAGENTD_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1024, 64L * 1024 * 1024);

        String broker = string("PDAGENTD_BROKER_URL", null);
        String brokerVar = "PDAGENTD_BROKER_URL";
        if (broker == null) {
            broker = string("CELERY_BROKER_URL", null);
            brokerVar = "CELERY_BROKER_URL";
        }
        if (broker != null) {
            String lower = broker.trim().toLowerCase(java.util.Locale.ROOT);
            if (!(lower.startsWith("amqp://") || lower.startsWith("amqps://") || lower.startsWith("pyamqp://")
                    || lower.startsWith("pyamqps://"))) {
                throw new ConfigException(brokerVar + ": a RabbitMQ URL starts with amqp://, amqps:// or pyamqp://");
            }
            try {
                java.net.URI u = new java.net.URI(broker.trim());
                if (u.getRawAuthority() != null && u.getHost() == null && !u.getRawAuthority().endsWith("@")) {
                    throw new ConfigException(brokerVar + ": the broker URL has no valid host");
                }
            } catch (java.net.URISyntaxException e) {
                throw new ConfigException(brokerVar + ": the broker URL does not parse: " + e.getReason());
            }
        }
        int partitions = (int) number("PDAGENTD_BROKER_PARTITIONS", AgentConfig.QueueConfig.DEFAULT_BROKER_PARTITIONS, 1, 1000);
        long maxEvents = number("PDAGENTD_QUEUE_MAX_EVENTS", DEFAULT_QUEUE_MAX_EVENTS, 1, Long.MAX_VALUE);
        Duration retention = seconds("PDAGENTD_DELIVERED_RETENTION_SECONDS", DEFAULT_DELIVERED_RETENTION_SECONDS, 0);

        URI events = url("PDAGENTD_EVENTS_BASE_URL", DEFAULT_EVENTS_BASE_URL);
        int concurrency = (int) number("PDAGENTD_DELIVERY_CONCURRENCY", DEFAULT_DELIVERY_CONCURRENCY, 1, 100_000);
        Duration timeout = seconds("PDAGENTD_DELIVERY_TIMEOUT_SECONDS", DEFAULT_DELIVERY_TIMEOUT_SECONDS, 1);
        Duration retryBase = Duration.ofMillis(number("PDAGENTD_RETRY_BASE_MILLIS", DEFAULT_RETRY_BASE_MILLIS, 1, 3_600_000));
        Duration retryMax = Duration.ofMillis(number("PDAGENTD_RETRY_MAX_MILLIS", DEFAULT_RETRY_MAX_MILLIS, 1, 86_400_000));
        if (retryMax.compareTo(retryBase) < 0) {
            throw new ConfigException("PDAGENTD_RETRY_MAX_MILLIS must be at least PDAGENTD_RETRY_BASE_MILLIS");
        }
        Duration maxAge = seconds("PDAGENTD_MAX_EVENT_AGE_SECONDS", DEFAULT_MAX_EVENT_AGE_SECONDS, 1);
        Duration grace = seconds("PDAGENTD_SHUTDOWN_GRACE_SECONDS", DEFAULT_SHUTDOWN_GRACE_SECONDS, 0);
        boolean debug = bool("PDAGENTD_DEBUG", false);

        return new AgentConfig(
                new AgentConfig.IngestConfig(bind, http, https, cert, key, maxBody, dataDir),
                new AgentConfig.QueueConfig(dataDir, maxEvents, retention, broker, partitions),
                new AgentConfig.DeliveryConfig(events, concurrency, timeout, retryBase, retryMax, maxAge, grace),
                debug,
                transformConfig());
    }

    /** {@code PDAGENTD_SCRUB_PII}, {@code PDAGENTD_RULES_FILE}, {@code PDAGENTD_PLUGINS_DIR}, {@code PDAGENTD_PLUGIN_TIMEOUT_MILLIS}. */
    private AgentConfig.TransformConfig transformConfig() {
        java.util.Set<String> categories = new java.util.LinkedHashSet<>();
        String scrub = string("PDAGENTD_SCRUB_PII", null);
        if (scrub != null) {
            String lower = scrub.toLowerCase(Locale.ROOT);
            if (lower.equals("true") || lower.equals("1") || lower.equals("yes") || lower.equals("on")) {
                categories.addAll(PII_CATEGORIES);
            } else if (!(lower.equals("false") || lower.equals("0") || lower.equals("no") || lower.equals("off"))) {
                for (String part : lower.split(",")) {
                    String c = part.strip();
                    if (!PII_CATEGORIES.contains(c)) {
                        throw new ConfigException("PDAGENTD_SCRUB_PII: '" + c + "' is no category; use true, false or a "
                                + "comma list of " + String.join(",", PII_CATEGORIES));
                    }
                    categories.add(c);
                }
            }
        }
        Path rules = path("PDAGENTD_RULES_FILE", null);
        if (rules != null && !java.nio.file.Files.isRegularFile(rules)) {
            throw new ConfigException("PDAGENTD_RULES_FILE: '" + rules + "' is no readable file");
        }
        Path plugins = path("PDAGENTD_PLUGINS_DIR", null);
        if (plugins != null && !java.nio.file.Files.isDirectory(plugins)) {
            throw new ConfigException("PDAGENTD_PLUGINS_DIR: '" + plugins + "' is no directory");
        }
        Duration pluginTimeout = Duration.ofMillis(number("PDAGENTD_PLUGIN_TIMEOUT_MILLIS",
                AgentConfig.TransformConfig.DEFAULT_PLUGIN_TIMEOUT.toMillis(), 1, 60_000));
        return new AgentConfig.TransformConfig(categories, rules, plugins, pluginTimeout);
    }

    /** The scrubber's categories by their configuration names (io.pdaltagent.transform.PiiCategory). */
    public static final java.util.List<String> PII_CATEGORIES = java.util.List.of("email", "phone", "credit_card",
            "ssn", "iban", "ip", "ipv6", "street_address", "po_box");

    /** The effective settings for the start-up log line, secrets masked. */
    public static Map<String, String> describe(AgentConfig c) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("data_dir", c.queue().dataDir().toString());
        m.put("bind_address", c.ingest().bindAddress());
        m.put("http_port", String.valueOf(c.ingest().httpPort()));
        m.put("https_port", String.valueOf(c.ingest().httpsPort()));
        m.put("tls", c.ingest().tlsCertFile() == null ? "generated self-signed" : c.ingest().tlsCertFile().toString());
        m.put("queue", c.queue().brokerUrl() == null ? "embedded" : io.pdaltagent.observe.Mask.url(c.queue().brokerUrl()));
        m.put("queue_max_events", String.valueOf(c.queue().maxEvents()));
        m.put("events_base_url", c.delivery().eventsBaseUrl().toString());
        m.put("delivery_concurrency", String.valueOf(c.delivery().concurrency()));
        m.put("max_event_age", c.delivery().maxEventAge().toString());
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
        Path system = Path.of(SYSTEM_DATA_DIR);
        if (java.nio.file.Files.isDirectory(system)) {
            return system;
        }
        return Path.of(System.getProperty("user.home"), ".pdaltagent");
    }

    private String string(String name, String def) {
        String v = env.get(name);
        return v == null || v.isBlank() ? def : v.trim();
    }

    private Path path(String name, Path def) {
        String v = string(name, null);
        if (v == null) {
            return def;
        }
        try {
            return Path.of(v);
        } catch (RuntimeException e) {
            throw new ConfigException(name + ": '" + v + "' is not a path");
        }
    }

    private int port(String name, int def) {
        return (int) number(name, def, 0, 65535);
    }

    private long number(String name, long def, long min, long max) {
        String v = string(name, null);
        if (v == null) {
            return def;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new ConfigException(name + ": '" + v + "' is not a whole number");
        }
        if (n < min || n > max) {
            throw new ConfigException(name + ": " + n + " is out of range (" + min + " to " + max + ")");
        }
        return n;
    }

    private Duration seconds(String name, long def, long min) {
        return Duration.ofSeconds(number(name, def, min, 100L * 365 * 24 * 3600));
    }

    private boolean bool(String name, boolean def) {
        String v = string(name, null);
        if (v == null) {
            return def;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new ConfigException(name + ": '" + v + "' is not true or false");
        };
    }

    private URI url(String name, String def) {
        String v = string(name, def);
        URI u;
        try {
            u = new URI(v);
        } catch (URISyntaxException e) {
            throw new ConfigException(name + ": '" + v + "' is not a URL (" + e.getReason() + ")");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null) {
            throw new ConfigException(name + ": '" + v + "' is not an http:// or https:// URL with a host");
        }
        String s = u.toString();
        return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    }
}
