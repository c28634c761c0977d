package io.pdaltagent.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The agent's whole configuration: one immutable tree, validated once by {@link EnvConfig}. Each
 * component receives only its own part.
 */
public record AgentConfig(IngestConfig ingest, QueueConfig queue, DeliveryConfig delivery, boolean debug,
                          AdminConfig admin, OutboundConfig outbound, WebhookConfig webhook, TransformConfig transform) {

    /** Without the webhook poller and transforms, the admin listener's defaults, no proxy, no extra CAs. */
    public AgentConfig(IngestConfig ingest, QueueConfig queue, DeliveryConfig delivery, boolean debug) {
        this(ingest, queue, delivery, debug, AdminConfig.DEFAULT, OutboundConfig.DIRECT, null, TransformConfig.NONE);
    }

    /**
     * @param httpPort 0 turns plain HTTP off
     * @param httpsPort 0 turns HTTPS off
     * @param tlsCertFile PEM certificate chain, or null for the generated self-signed pair
     * @param tlsKeyFile PEM private key, or null for the generated self-signed pair
     * @param maxBodyBytes larger request bodies are answered 413
     */
    public record IngestConfig(String bindAddress, int httpPort, int httpsPort, Path tlsCertFile, Path tlsKeyFile,
                               int maxBodyBytes, Path dataDir, TlsOptions tls, Allowlist allow) {
        /** Without client certificates or allowlists, certificate files checked every ten seconds. */
        public IngestConfig(String bindAddress, int httpPort, int httpsPort, Path tlsCertFile, Path tlsKeyFile,
                            int maxBodyBytes, Path dataDir) {
            this(bindAddress, httpPort, httpsPort, tlsCertFile, tlsKeyFile, maxBodyBytes, dataDir, TlsOptions.DEFAULT,
                    Allowlist.ALL);
        }

        public IngestConfig {
            java.util.Objects.requireNonNull(tls, "tls");
            java.util.Objects.requireNonNull(allow, "allow");
        }
    }

    /**
     * HTTPS options beyond the certificate pair (startup-only, except that the certificate and key
     * files' content is reloaded when it changes).
     *
     * @param clientCaFile PEM bundle of the CAs whose client certificates HTTPS ingest accepts, or null
     * @param clientAuth whether a client certificate is asked for, and whether one is required
     * @param reloadInterval how often the certificate and key files are checked for changes; zero: never
     */
    public record TlsOptions(Path clientCaFile, ClientAuth clientAuth, Duration reloadInterval) {
        /** A renewed certificate (certbot, cert-manager) is in use within ten seconds. */
        public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(10);
        public static final TlsOptions DEFAULT = new TlsOptions(null, ClientAuth.NONE, DEFAULT_RELOAD_INTERVAL);

        /** {@code PDAGENTD_TLS_CLIENT_AUTH}: none, optional (a certificate sent must verify), required. */
        public enum ClientAuth { NONE, OPTIONAL, REQUIRED }

        public TlsOptions {
            java.util.Objects.requireNonNull(clientAuth, "clientAuth");
            java.util.Objects.requireNonNull(reloadInterval, "reloadInterval");
            if (clientAuth != ClientAuth.NONE && clientCaFile == null) {
                throw new IllegalArgumentException("client certificates need a CA file");
            }
        }
    }

    /**
     * Who may send events through ingest (the relay mode: other hosts posting to this agent), and
     * whose spool files are imported. An empty set or list allows everything; a refused request is
     * answered 403, a refused spool file is moved to {@code spool/rejected/}.
     *
     * @param routingKeys the routing (integration) keys events may be sent for; empty: any key
     * @param sourceNetworks the networks requests may come from; empty: any address
     * @param spoolUsers the local users whose spool files are imported; empty: any user
     */
    public record Allowlist(java.util.Set<String> routingKeys, java.util.List<Cidr> sourceNetworks,
                            java.util.Set<String> spoolUsers) {
        public static final Allowlist ALL = new Allowlist(java.util.Set.of(), java.util.List.of(), java.util.Set.of());

        public Allowlist(java.util.Set<String> routingKeys, java.util.List<Cidr> sourceNetworks) {
            this(routingKeys, sourceNetworks, java.util.Set.of());
        }

        public Allowlist {
            routingKeys = java.util.Set.copyOf(routingKeys);
            sourceNetworks = java.util.List.copyOf(sourceNetworks);
            spoolUsers = java.util.Set.copyOf(spoolUsers);
        }

        @Override
        public String toString() {
            return "Allowlist[routingKeys=" + routingKeys.size() + " key(s), sourceNetworks=" + sourceNetworks
                    + ", spoolUsers=" + spoolUsers + "]";
        }
    }

    /**
     * @param dataDir where the embedded queue and the generated TLS pair live
     * @param maxEvents open events before ingest answers "queue full"
     * @param deliveredRetention how long delivered records are kept (for status counts)
     * @param brokerUrl a RabbitMQ URL, or null for the embedded queue
     * @param brokerPartitions RabbitMQ partition queues (the same on every agent)
     */
    public record QueueConfig(Path dataDir, long maxEvents, Duration deliveredRetention, String brokerUrl,
                              int brokerPartitions) {
        public static final int DEFAULT_BROKER_PARTITIONS = 16;

        public QueueConfig(Path dataDir, long maxEvents, Duration deliveredRetention, String brokerUrl) {
            this(dataDir, maxEvents, deliveredRetention, brokerUrl, DEFAULT_BROKER_PARTITIONS);
        }
    }

    /**
     * @param eventsBaseUrl scheme, host and port (and optional path prefix) of the PagerDuty events host
     * @param concurrency deliveries under way at once, across keys
     * @param timeout per attempt, connect to last byte
     * @param retryBase first backoff ceiling; doubles per attempt
     * @param retryMax backoff ceiling
     * @param maxEventAge undelivered events older than this become dead (expired)
     * @param shutdownGrace how long a stop waits for deliveries under way
     * @param pacing the per-routing-key pace of Events API deliveries
     */
    public record DeliveryConfig(URI eventsBaseUrl, int concurrency, Duration timeout, Duration retryBase,
                                 Duration retryMax, Duration maxEventAge, Duration shutdownGrace,
                                 PacingConfig pacing) {

        /** Without pacing: deliveries only react to 429 (what embedding tests and tools expect). */
        public DeliveryConfig(URI eventsBaseUrl, int concurrency, Duration timeout, Duration retryBase,
                              Duration retryMax, Duration maxEventAge, Duration shutdownGrace) {
            this(eventsBaseUrl, concurrency, timeout, retryBase, retryMax, maxEventAge, shutdownGrace, PacingConfig.OFF);
        }
    }

    /**
     * How fast events of one routing key go to the Events API: a token bucket per key that refills
     * at {@code ratePerMinute} and holds up to {@code burst} sends; it slows down on a 429 and
     * recovers gradually. Webhook deliveries are never paced.
     *
     * @param ratePerMinute sends per minute per key at full pace; 0 turns pacing off
     * @param burst sends a key that was quiet may make at once
     * @param window the trailing window PagerDuty counts a key's events over (a minute): a second
     *     429 within it halves the rate, and a halved rate wins back a tenth of the full one per window
     */
    public record PacingConfig(int ratePerMinute, int burst, Duration window) {
        public static final PacingConfig OFF = new PacingConfig(0, 1, Duration.ofMinutes(1));

        /** Counted over PagerDuty's trailing minute. */
        public PacingConfig(int ratePerMinute, int burst) {
            this(ratePerMinute, burst, Duration.ofMinutes(1));
        }

        public boolean enabled() {
            return ratePerMinute > 0;
        }
    }

    /**
     * The webhook poller: PagerDuty's incident log entries relayed as webhooks. Null in
     * {@link AgentConfig#webhook()} when {@code PDAGENTD_API_TOKEN} and {@code PDAGENTD_WEBHOOK_DEST_URL}
     * are not set.
     *
     * @param apiBaseUrl PagerDuty's REST API ({@code https://api.eu.pagerduty.com} in the EU)
     * @param authorization the whole Authorization header value: {@code Token token=…} or {@code Bearer …}
     * @param destUrl where webhooks are posted
     * @param pollInterval from the start of one poll to the start of the next
     * @param allLogEntries also forward non-lifecycle entries (and ask without {@code is_overview})
     * @param keepActivity how long forwarded entry ids are remembered
     * @param serviceIds forward only entries of these services; empty: all services
     * @param configJson a JSON object passed along as the webhook's config, or null
     * @param format {@code v3} or {@code v2}
     * @param secret signs each webhook at delivery time, or null for unsigned webhooks
     * @param activityDbUrl a {@code jdbc:postgresql://} URL of a shared activity store, or null for the embedded one
     * @param firstLookBack how far back the very first poll looks
     * @param lease how long the active poller's lease lasts without renewal (shared store only)
     */
    public record WebhookConfig(URI apiBaseUrl, String authorization, URI destUrl, Duration pollInterval,
                                boolean allLogEntries, Duration keepActivity, java.util.List<String> serviceIds,
                                String configJson, String format, String secret, String activityDbUrl,
                                Duration firstLookBack, Duration lease) {
        public static final String V3 = "v3";
        public static final String V2 = "v2";

        public WebhookConfig {
            serviceIds = java.util.List.copyOf(serviceIds);
        }

        @Override
        public String toString() {
            return "WebhookConfig[apiBaseUrl=" + apiBaseUrl + ", destUrl=" + io.pdaltagent.observe.Mask.url(destUrl.toString())
                    + ", pollInterval=" + pollInterval + ", format=" + format + ", signed=" + (secret != null) + "]";
        }
    }

    /**
     * The admin listener ({@code /admin/v1/queue/*}, {@code /healthz}, {@code /metrics}).
     *
     * @param bindAddress where it listens; off loopback only with a token
     * @param port 0 turns the admin listener off
     * @param token required (Bearer) for every change, and for any request from another host; null: none
     * @param readToken the dashboard's view-only login ({@code PDAGENTD_ADMIN_READ_TOKEN}); null: none
     * @param passwordHash the dashboard's admin password ({@code PDAGENTD_ADMIN_PASSWORD_HASH}); null: none
     * @param tls HTTPS on the admin listener, or {@link AdminTls#OFF}
     */
    public record AdminConfig(String bindAddress, int port, String token, String readToken,
                              io.pdaltagent.dashboard.PasswordHash passwordHash, AdminTls tls) {
        public static final AdminConfig DEFAULT = new AdminConfig("127.0.0.1", 8081, null);

        /** Without a read-only token and without a password hash. */
        public AdminConfig(String bindAddress, int port, String token) {
            this(bindAddress, port, token, null, null, AdminTls.OFF);
        }

        /** Plain HTTP, without a password hash. */
        public AdminConfig(String bindAddress, int port, String token, String readToken) {
            this(bindAddress, port, token, readToken, null, AdminTls.OFF);
        }

        public AdminConfig {
            java.util.Objects.requireNonNull(tls, "tls");
        }

        @Override
        public String toString() {
            return "AdminConfig[bindAddress=" + bindAddress + ", port=" + port + ", token=" + (token == null ? "none" : "<masked>")
                    + ", readToken=" + (readToken == null ? "none" : "<masked>")
                    + ", passwordHash=" + (passwordHash == null ? "none" : "<masked>") + ", tls=" + tls.enabled() + "]";
        }
    }

    /**
     * HTTPS on the admin listener ({@code PDAGENTD_ADMIN_TLS}). Its own PEM pair, or when both are
     * null the ingest listener's (the operator's pair, else the generated self-signed one).
     */
    public record AdminTls(boolean enabled, Path certFile, Path keyFile) {
        public static final AdminTls OFF = new AdminTls(false, null, null);
    }

    /**
     * What every outbound call (deliveries, and later the poller and webhooks) uses.
     *
     * @param proxyVariables HTTPS_PROXY, HTTP_PROXY, NO_PROXY (either spelling) as set, read by {@code EnvProxySelector}
     * @param caFile a PEM bundle trusted on top of the JDK's CAs, or null
     * @param sourceAddress the local address outbound connections leave from, or null for the system's choice
     */
    public record OutboundConfig(java.util.Map<String, String> proxyVariables, Path caFile,
                                 java.net.InetAddress sourceAddress) {
        public static final OutboundConfig DIRECT = new OutboundConfig(java.util.Map.of(), null, null);
    }

    /**
     * Transforms at ingest. Startup-only: {@code scrubPii} and {@code pluginsDir}; the rules file's
     * content is reloaded when it changes (its path is startup-only).
     *
     * @param scrubPii the PII categories to scrub (their {@code PDAGENTD_SCRUB_PII} names); empty: off
     * @param rulesFile YAML rules and maintenance windows, or null
     * @param pluginsDir a directory of plugin jars, or null
     * @param pluginTimeout the longest a plugin's call may take before the event goes on without it
     */
    public record TransformConfig(java.util.Set<String> scrubPii, Path rulesFile, Path pluginsDir,
                                  Duration pluginTimeout) {
        /** A plugin's filter runs inline with ingest: 200 ms is long for that, and short for an outage. */
        public static final Duration DEFAULT_PLUGIN_TIMEOUT = Duration.ofMillis(200);
        public static final TransformConfig NONE = new TransformConfig(java.util.Set.of(), null, null,
                DEFAULT_PLUGIN_TIMEOUT);

        public TransformConfig {
            scrubPii = java.util.Set.copyOf(scrubPii);
        }
    }
}
