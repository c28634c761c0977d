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
 * Reads {@link AgentConfig} from environment variables, and from the configuration file under them
 * ({@link ConfigSources}: the file's keys are the variables' names). A value that is present but
 * unusable stops the agent with a message naming the variable (and, for a value from the file, the
 * file and line); it is never replaced by a default. Every setting is read on every load, also those
 * another one makes irrelevant, so that {@link ConfigSources#checkNoUnknownKeys} knows every key.
 */
public final class EnvConfig {
    /** The data dir of a system-wide install, used when it exists and PDAGENTD_DATA_DIR is unset. */
    public static final String SYSTEM_DATA_DIR = io.pdaltagent.common.DataDirs.SYSTEM;
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
    /** PagerDuty's documented Events API v2 limit: about 120 calls per minute per integration key. */
    public static final int DEFAULT_KEY_RATE_PER_MINUTE = 120;
    /**
     * Sends a quiet key may make at once. PagerDuty counts over a trailing minute, so a burst adds
     * to the minute's count: kept small so that a backlog meets few 429s.
     */
    public static final int DEFAULT_KEY_BURST = 10;
    /** An AIOps account can ask for 10,000 events/min per key; a hundred times that is a mistake. */
    private static final int MAX_KEY_RATE_PER_MINUTE = 1_000_000;
    private static final int MAX_KEY_BURST = 100_000;
    /** PagerDuty counts a key's events over a trailing 60 seconds. */
    public static final long DEFAULT_KEY_RATE_WINDOW_SECONDS = 60;
    private static final long MAX_KEY_RATE_WINDOW_SECONDS = 3600;

    public static final int DEFAULT_ADMIN_PORT = 8081;
    public static final String DEFAULT_ADMIN_BIND_ADDRESS = "127.0.0.1";
    /** A token shorter than this is guessable; {@code openssl rand -hex 16} gives 32 characters. */
    public static final int MIN_ADMIN_TOKEN_LENGTH = 16;
    /** The proxy variables, in both spellings curl and Python read (see {@code EnvProxySelector}). */
    public static final java.util.List<String> PROXY_VARIABLES = java.util.List.of(
            "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY");

    private final ConfigSources env;

    private EnvConfig(ConfigSources env) {
        this.env = env;
    }

    /** The environment only (no configuration file). */
    public static AgentConfig load(Map<String, String> env) {
        return load(ConfigSources.fromEnv(env));
    }

    /** The sources given (environment over file); fails on a key of the file that no setting reads. */
    public static AgentConfig load(ConfigSources sources) {
        AgentConfig config = new EnvConfig(sources).build();
        sources.checkNoUnknownKeys();
        return config;
    }

    private AgentConfig build() {
        Path dataDir = path("PDAGENTD_DATA_DIR", defaultDataDir());
        String bind = string("PDAGENTD_BIND_ADDRESS", "0.0.0.0");
        try {
            InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw new ConfigException(where("PDAGENTD_BIND_ADDRESS") + ": '" + bind + "' is not an address of this host");
        }
        int http = port("PDAGENTD_HTTP_PORT", DEFAULT_HTTP_PORT);
        int https = port("PDAGENTD_HTTPS_PORT", DEFAULT_HTTPS_PORT);
        Path cert = path("PDAGENTD_TLS_CERT_FILE", null);
        Path key = path("PDAGENTD_TLS_KEY_FILE", null);
        if ((cert == null) != (key == null)) {
            throw new ConfigException("PDAGENTD_TLS_CERT_FILE and PDAGENTD_TLS_KEY_FILE go together: set both or neither");
        }
        int maxBody = (int) number("PDAGENTD_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1024, 64L * 1024 * 1024);
        AgentConfig.TlsOptions tls = tlsOptions();
        AgentConfig.Allowlist allow = allowlist();

        String broker = string("PDAGENTD_BROKER_URL", null);
        String brokerVar = "PDAGENTD_BROKER_URL";
        String celery = string("CELERY_BROKER_URL", null);
        if (broker == null) {
            broker = celery;
            brokerVar = "CELERY_BROKER_URL";
        }
        if (broker != null) {
            String lower = broker.trim().toLowerCase(java.util.Locale.ROOT);
            if (!(lower.startsWith("amqp://") || lower.startsWith("amqps://") || lower.startsWith("pyamqp://")
                    || lower.startsWith("pyamqps://"))) {
                throw new ConfigException(where(brokerVar) + ": a RabbitMQ URL starts with amqp://, amqps:// or pyamqp://");
            }
            try {
                java.net.URI u = new java.net.URI(broker.trim());
                if (u.getRawAuthority() != null && u.getHost() == null && !u.getRawAuthority().endsWith("@")) {
                    throw new ConfigException(where(brokerVar) + ": the broker URL has no valid host");
                }
            } catch (java.net.URISyntaxException e) {
                throw new ConfigException(where(brokerVar) + ": the broker URL does not parse: " + e.getReason());
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
        AgentConfig.PacingConfig pacing = new AgentConfig.PacingConfig(
                (int) number("PDAGENTD_KEY_RATE_PER_MINUTE", DEFAULT_KEY_RATE_PER_MINUTE, 0, MAX_KEY_RATE_PER_MINUTE),
                (int) number("PDAGENTD_KEY_BURST", DEFAULT_KEY_BURST, 1, MAX_KEY_BURST),
                Duration.ofSeconds(number("PDAGENTD_KEY_RATE_WINDOW_SECONDS", DEFAULT_KEY_RATE_WINDOW_SECONDS, 1,
                        MAX_KEY_RATE_WINDOW_SECONDS)));

        AgentConfig.AdminConfig admin = admin();
        AgentConfig.OutboundConfig outbound = outbound();

        return new AgentConfig(
                new AgentConfig.IngestConfig(bind, http, https, cert, key, maxBody, dataDir, tls, allow),
                new AgentConfig.QueueConfig(dataDir, maxEvents, retention, broker, partitions),
                new AgentConfig.DeliveryConfig(events, concurrency, timeout, retryBase, retryMax, maxAge, grace,
                        pacing),
                debug, admin, outbound, webhook(), transformConfig());
    }

    public static final String DEFAULT_API_BASE_URL = "https://api.pagerduty.com";
    public static final long DEFAULT_POLLING_INTERVAL_SECONDS = 10;
    public static final long DEFAULT_KEEP_ACTIVITY_SECONDS = 30L * 24 * 3600;
    /** The very first poll forwards the last ten minutes: recent activity, not a flood of history. */
    public static final long DEFAULT_WEBHOOK_LOOKBACK_SECONDS = 600;
    /** A dead poller's lease runs out within this; another agent takes over at its next poll. */
    public static final long DEFAULT_WEBHOOK_LEASE_SECONDS = 30;
    /** Longest token accepted; PagerDuty's are 20 (API keys) to a few hundred characters (OAuth). */
    private static final int MAX_TOKEN_LENGTH = 4096;
    /** Services in PDAGENTD_WEBHOOK_SERVICES_LIST; a query of more than this would be a mistake. */
    private static final int MAX_SERVICES = 10_000;
    private static final int MAX_CONFIG_JSON_BYTES = 64 * 1024;

    /** The webhook poller's settings, or null when it is off (no API token and no destination). */
    private AgentConfig.WebhookConfig webhook() {
        // every setting is read and checked even while the poller is off: a bad value is never
        // ignored, and the configuration file's unknown-key check knows each of them
        String token = string("PDAGENTD_API_TOKEN", null);
        String dest = string("PDAGENTD_WEBHOOK_DEST_URL", null);
        URI api = url("PDAGENTD_API_BASE_URL", DEFAULT_API_BASE_URL);
        if (dest != null) {
            // validated like the other URLs, but kept exactly as given: a receiver's trailing slash matters
            url("PDAGENTD_WEBHOOK_DEST_URL", null);
        }
        Duration interval = seconds("PDAGENTD_POLLING_INTERVAL_SECONDS", DEFAULT_POLLING_INTERVAL_SECONDS, 1);
        boolean all = bool("PDAGENTD_GET_ALL_LOG_ENTRIES", false);
        Duration keep = seconds("PDAGENTD_KEEP_ACTIVITY_SECONDS", DEFAULT_KEEP_ACTIVITY_SECONDS, 3600);
        java.util.List<String> services = services();
        String configJson = jsonObject("PDAGENTD_WEBHOOK_CONFIG_JSON");
        String format = string("PDAGENTD_WEBHOOK_FORMAT", AgentConfig.WebhookConfig.V3).toLowerCase(Locale.ROOT);
        if (!format.equals(AgentConfig.WebhookConfig.V3) && !format.equals(AgentConfig.WebhookConfig.V2)) {
            throw new ConfigException("PDAGENTD_WEBHOOK_FORMAT: '" + format + "' is neither v3 nor v2");
        }
        String secret = env.get("PDAGENTD_WEBHOOK_SECRET");
        if (secret != null && secret.isEmpty()) {
            secret = null;
        }
        if (secret != null && secret.length() > MAX_TOKEN_LENGTH) {
            throw new ConfigException("PDAGENTD_WEBHOOK_SECRET: longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        String db = string("PDAGENTD_ACTIVITY_DB_URL", null);
        if (db != null && !db.startsWith("jdbc:postgresql://")) {
            throw new ConfigException("PDAGENTD_ACTIVITY_DB_URL: a shared activity store is a jdbc:postgresql:// URL");
        }
        Duration lookBack = seconds("PDAGENTD_WEBHOOK_LOOKBACK_SECONDS", DEFAULT_WEBHOOK_LOOKBACK_SECONDS, 0);
        if (lookBack.compareTo(keep) > 0) {
            throw new ConfigException("PDAGENTD_WEBHOOK_LOOKBACK_SECONDS must not exceed PDAGENTD_KEEP_ACTIVITY_SECONDS");
        }
        Duration lease = seconds("PDAGENTD_WEBHOOK_LEASE_SECONDS", DEFAULT_WEBHOOK_LEASE_SECONDS, 3);
        if (token == null && dest == null) {
            return null;
        }
        if (token == null) {
            throw new ConfigException("PDAGENTD_WEBHOOK_DEST_URL is set but PDAGENTD_API_TOKEN is not: the webhook poller needs both");
        }
        if (dest == null) {
            throw new ConfigException("PDAGENTD_API_TOKEN is set but PDAGENTD_WEBHOOK_DEST_URL is not: the webhook poller needs both");
        }
        return new AgentConfig.WebhookConfig(api, authorization(token), URI.create(dest), interval, all, keep, services,
                configJson, format, secret, db, lookBack, lease);
    }

    /**
     * The Authorization header for a token: {@code Bearer …} (OAuth) and {@code Token token=…} are
     * used as given; a bare token is an API key, sent as {@code Token token=<key>}.
     */
    static String authorization(String token) {
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw new ConfigException("PDAGENTD_API_TOKEN: longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new ConfigException("PDAGENTD_API_TOKEN: contains a character that cannot go in an HTTP header");
            }
        }
        String lower = token.toLowerCase(Locale.ROOT);
        if (lower.equals("bearer") || lower.equals("token") || lower.equals("token token=")) {
            throw new ConfigException("PDAGENTD_API_TOKEN: '" + token + "' has no token after it");
        }
        if (lower.startsWith("bearer ") || lower.startsWith("token token=")) {
            if (token.substring(token.indexOf(lower.startsWith("bearer ") ? ' ' : '=') + 1).isBlank()) {
                throw new ConfigException("PDAGENTD_API_TOKEN: the token after '" + token.trim() + "' is empty");
            }
            return token;
        }
        if (token.contains(" ")) {
            throw new ConfigException("PDAGENTD_API_TOKEN: a token has no spaces; use 'Bearer <token>' or 'Token token=<key>'");
        }
        return "Token token=" + token;
    }

    private java.util.List<String> services() {
        String v = string("PDAGENTD_WEBHOOK_SERVICES_LIST", null);
        if (v == null) {
            return java.util.List.of();
        }
        com.fasterxml.jackson.databind.JsonNode n;
        try {
            n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(v);
        } catch (java.io.IOException e) {
            throw new ConfigException("PDAGENTD_WEBHOOK_SERVICES_LIST: not JSON; give an array of service ids, e.g. [\"PABC123\"]");
        }
        if (n == null || !n.isArray()) {
            throw new ConfigException("PDAGENTD_WEBHOOK_SERVICES_LIST: not a JSON array of service ids, e.g. [\"PABC123\"]");
        }
        if (n.size() > MAX_SERVICES) {
            throw new ConfigException("PDAGENTD_WEBHOOK_SERVICES_LIST: more than " + MAX_SERVICES + " services");
        }
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode e : n) {
            if (!e.isTextual() || e.asText().isBlank()) {
                throw new ConfigException("PDAGENTD_WEBHOOK_SERVICES_LIST: every element must be a service id string, not " + e);
            }
            ids.add(e.asText().trim());
        }
        return ids;
    }

    private String jsonObject(String name) {
        String v = string(name, null);
        if (v == null) {
            return null;
        }
        if (v.length() > MAX_CONFIG_JSON_BYTES) {
            throw new ConfigException(name + ": longer than " + MAX_CONFIG_JSON_BYTES + " characters");
        }
        com.fasterxml.jackson.databind.JsonNode n;
        try {
            n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(v);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ConfigException(name + ": not JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) {
            throw new ConfigException(name + ": not a JSON object");
        }
        return n.toString();
    }

    /** Most keys an allowlist takes; a relay for more keys than this is no allowlist. */
    private static final int MAX_ALLOWED_KEYS = 100_000;
    private static final int MAX_ALLOWED_NETWORKS = 10_000;

    /** Client certificates on HTTPS ingest, and how often the certificate files are checked. */
    private AgentConfig.TlsOptions tlsOptions() {
        Path ca = path("PDAGENTD_TLS_CLIENT_CA_FILE", null);
        if (ca != null && !java.nio.file.Files.isReadable(ca)) {
            throw new ConfigException(where("PDAGENTD_TLS_CLIENT_CA_FILE") + ": " + ca + " is not a readable file");
        }
        String auth = string("PDAGENTD_TLS_CLIENT_AUTH", null);
        AgentConfig.TlsOptions.ClientAuth clientAuth;
        if (auth == null) {
            clientAuth = ca == null ? AgentConfig.TlsOptions.ClientAuth.NONE : AgentConfig.TlsOptions.ClientAuth.REQUIRED;
        } else {
            try {
                clientAuth = AgentConfig.TlsOptions.ClientAuth.valueOf(auth.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where("PDAGENTD_TLS_CLIENT_AUTH") + ": '" + auth
                        + "' is none of none, optional, required");
            }
        }
        if (clientAuth != AgentConfig.TlsOptions.ClientAuth.NONE && ca == null) {
            throw new ConfigException(where("PDAGENTD_TLS_CLIENT_AUTH") + ": " + auth
                    + " client certificates need PDAGENTD_TLS_CLIENT_CA_FILE (the CAs that issue them)");
        }
        Duration reload = seconds("PDAGENTD_TLS_RELOAD_SECONDS",
                AgentConfig.TlsOptions.DEFAULT_RELOAD_INTERVAL.toSeconds(), 0);
        return new AgentConfig.TlsOptions(ca, clientAuth, reload);
    }

    /** {@code PDAGENTD_ALLOWED_ROUTING_KEYS} and {@code PDAGENTD_ALLOWED_SOURCE_NETWORKS}: comma lists. */
    private AgentConfig.Allowlist allowlist() {
        java.util.Set<String> keys = new java.util.LinkedHashSet<>();
        for (String k : list("PDAGENTD_ALLOWED_ROUTING_KEYS")) {
            if (!k.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new ConfigException(where("PDAGENTD_ALLOWED_ROUTING_KEYS") + ": a routing key is printable ASCII"
                        + " without spaces (" + io.pdaltagent.observe.Mask.key(k) + " is not)");
            }
            keys.add(k);
        }
        if (keys.size() > MAX_ALLOWED_KEYS) {
            throw new ConfigException(where("PDAGENTD_ALLOWED_ROUTING_KEYS") + ": more than " + MAX_ALLOWED_KEYS + " keys");
        }
        java.util.List<Cidr> networks = new java.util.ArrayList<>();
        for (String n : list("PDAGENTD_ALLOWED_SOURCE_NETWORKS")) {
            try {
                networks.add(Cidr.parse(n));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where("PDAGENTD_ALLOWED_SOURCE_NETWORKS") + ": " + e.getMessage());
            }
        }
        if (networks.size() > MAX_ALLOWED_NETWORKS) {
            throw new ConfigException(where("PDAGENTD_ALLOWED_SOURCE_NETWORKS") + ": more than " + MAX_ALLOWED_NETWORKS
                    + " networks");
        }
        java.util.Set<String> users = new java.util.LinkedHashSet<>();
        for (String u : list("PDAGENTD_SPOOL_ALLOWED_USERS")) {
            if (!u.matches("[A-Za-z0-9._][A-Za-z0-9._-]{0,63}\\$?")) {
                throw new ConfigException(where("PDAGENTD_SPOOL_ALLOWED_USERS") + ": '" + u + "' is not a user name");
            }
            users.add(u);
        }
        return new AgentConfig.Allowlist(keys, networks, users);
    }

    /** A comma (or white-space) separated list; empty when unset. */
    private java.util.List<String> list(String name) {
        String v = string(name, null);
        if (v == null) {
            return java.util.List.of();
        }
        return java.util.Arrays.stream(v.split("[,\\s]+")).filter(x -> !x.isEmpty()).toList();
    }

    /** HTTPS on the admin listener: {@code PDAGENTD_ADMIN_TLS} and its optional own pair. */
    private AgentConfig.AdminTls adminTls() {
        boolean on = bool("PDAGENTD_ADMIN_TLS", false);
        Path cert = path("PDAGENTD_ADMIN_TLS_CERT_FILE", null);
        Path key = path("PDAGENTD_ADMIN_TLS_KEY_FILE", null);
        if ((cert == null) != (key == null)) {
            throw new ConfigException("PDAGENTD_ADMIN_TLS_CERT_FILE and PDAGENTD_ADMIN_TLS_KEY_FILE go together: set both or neither");
        }
        if (cert != null && !on) {
            throw new ConfigException("PDAGENTD_ADMIN_TLS_CERT_FILE is set but PDAGENTD_ADMIN_TLS is not true");
        }
        return new AgentConfig.AdminTls(on, cert, key);
    }

    /** The admin listener: off the ingest ports; off loopback only with a token. */
    private AgentConfig.AdminConfig admin() {
        String bind = string("PDAGENTD_ADMIN_BIND_ADDRESS", DEFAULT_ADMIN_BIND_ADDRESS);
        InetAddress address;
        try {
            address = InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw new ConfigException(where("PDAGENTD_ADMIN_BIND_ADDRESS") + ": '" + bind + "' is not an address of this host");
        }
        int port = port("PDAGENTD_ADMIN_PORT", DEFAULT_ADMIN_PORT);
        String token = string("PDAGENTD_ADMIN_TOKEN", null);
        if (token != null && token.length() < MIN_ADMIN_TOKEN_LENGTH) {
            throw new ConfigException(where("PDAGENTD_ADMIN_TOKEN") + ": at least " + MIN_ADMIN_TOKEN_LENGTH
                    + " characters (e.g. openssl rand -hex 16)");
        }
        if (token != null && !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new ConfigException(where("PDAGENTD_ADMIN_TOKEN") + ": printable ASCII without spaces only (it is sent in an HTTP header)");
        }
        io.pdaltagent.dashboard.PasswordHash hash = passwordHash("PDAGENTD_ADMIN_PASSWORD_HASH");
        if (port != 0 && !address.isLoopbackAddress() && token == null && hash == null) {
            throw new ConfigException("PDAGENTD_ADMIN_TOKEN: required (or PDAGENTD_ADMIN_PASSWORD_HASH) when the admin"
                    + " listener is not on a loopback address (PDAGENTD_ADMIN_BIND_ADDRESS=" + bind + "); set a token,"
                    + " or PDAGENTD_ADMIN_BIND_ADDRESS=127.0.0.1");
        }
        String readToken = string("PDAGENTD_ADMIN_READ_TOKEN", null);
        if (readToken != null && readToken.length() < MIN_ADMIN_TOKEN_LENGTH) {
            throw new ConfigException(where("PDAGENTD_ADMIN_READ_TOKEN") + ": at least " + MIN_ADMIN_TOKEN_LENGTH
                    + " characters (e.g. openssl rand -hex 16)");
        }
        if (readToken != null && !readToken.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new ConfigException(where("PDAGENTD_ADMIN_READ_TOKEN") + ": printable ASCII without spaces only");
        }
        if (readToken != null && token == null && hash == null) {
            throw new ConfigException("PDAGENTD_ADMIN_READ_TOKEN: needs PDAGENTD_ADMIN_TOKEN or PDAGENTD_ADMIN_PASSWORD_HASH too (without them"
                    + " the dashboard asks for no login, so a read-only token would restrict nothing)");
        }
        if (readToken != null && readToken.equals(token)) {
            throw new ConfigException("PDAGENTD_ADMIN_READ_TOKEN: must differ from PDAGENTD_ADMIN_TOKEN");
        }
        return new AgentConfig.AdminConfig(bind, port, token, readToken, hash, adminTls());
    }

    /** A dashboard password hash (PBKDF2-HMAC-SHA256, PHC string), or null; the value is never echoed. */
    private io.pdaltagent.dashboard.PasswordHash passwordHash(String name) {
        String v = string(name, null);
        if (v == null) {
            return null;
        }
        try {
            return io.pdaltagent.dashboard.PasswordHash.parse(v);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where(name) + ": " + e.getMessage());
        }
    }

    /** Proxy, extra trusted CAs and source address for every outbound call. */
    private AgentConfig.OutboundConfig outbound() {
        Map<String, String> proxies = new LinkedHashMap<>();
        for (String name : PROXY_VARIABLES) {
            String v = string(name, null);
            if (v != null) {
                proxies.put(name, v);
            }
        }
        Path ca = path("PDAGENTD_CA_FILE", null);
        if (ca != null && !java.nio.file.Files.isReadable(ca)) {
            throw new ConfigException(where("PDAGENTD_CA_FILE") + ": " + ca + " is not a readable file");
        }
        String source = string("PDAGENTD_SOURCE_ADDRESS", null);
        InetAddress sourceAddress = null;
        if (source != null && !source.equals("0.0.0.0") && !source.equals("::")) {
            try {
                sourceAddress = InetAddress.getByName(source);
            } catch (UnknownHostException e) {
                throw new ConfigException(where("PDAGENTD_SOURCE_ADDRESS") + ": '" + source + "' is not an address of this host");
            }
        }
        return new AgentConfig.OutboundConfig(Map.copyOf(proxies), ca, sourceAddress);
    }

    /** The variable's name, and where its value came from when that was the configuration file. */
    private String where(String name) {
        ConfigSources.Value v = env.value(name);
        return v != null && v.origin() == ConfigSources.Origin.FILE ? name + " (" + v.where() + ")" : name;
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
        AgentConfig.TlsOptions to = c.ingest().tls();
        m.put("tls_client_auth", to.clientAuth().name().toLowerCase(Locale.ROOT)
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

    private String string(String name, String def) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            env.noteDefault(name, def);
            return def;
        }
        return v.trim();
    }

    private Path path(String name, Path def) {
        String v = string(name, null);
        if (v == null) {
            env.noteDefault(name, def == null ? null : def.toString());
            return def;
        }
        try {
            return Path.of(v);
        } catch (RuntimeException e) {
            throw new ConfigException(where(name) + ": '" + v + "' is not a path");
        }
    }

    private int port(String name, int def) {
        return (int) number(name, def, 0, 65535);
    }

    private long number(String name, long def, long min, long max) {
        String v = string(name, null);
        if (v == null) {
            env.noteDefault(name, String.valueOf(def));
            return def;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new ConfigException(where(name) + ": '" + v + "' is not a whole number");
        }
        if (n < min || n > max) {
            throw new ConfigException(where(name) + ": " + n + " is out of range (" + min + " to " + max + ")");
        }
        return n;
    }

    private Duration seconds(String name, long def, long min) {
        return Duration.ofSeconds(number(name, def, min, 100L * 365 * 24 * 3600));
    }

    private boolean bool(String name, boolean def) {
        String v = string(name, null);
        if (v == null) {
            env.noteDefault(name, String.valueOf(def));
            return def;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new ConfigException(where(name) + ": '" + v + "' is not true or false");
        };
    }

    private URI url(String name, String def) {
        String v = string(name, def);
        URI u;
        try {
            u = new URI(v);
        } catch (URISyntaxException e) {
            throw new ConfigException(where(name) + ": '" + v + "' is not a URL (" + e.getReason() + ")");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null) {
            throw new ConfigException(where(name) + ": '" + v + "' is not an http:// or https:// URL with a host");
        }
        String s = u.toString();
        return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    }
}
