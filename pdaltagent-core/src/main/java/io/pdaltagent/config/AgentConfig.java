package io.pdaltagent.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The agent's whole configuration: one immutable tree, validated once by {@link EnvConfig}. Each
 * component receives only its own part.
 */
public record AgentConfig(IngestConfig ingest, QueueConfig queue, DeliveryConfig delivery, boolean debug,
                          TransformConfig transform) {

    public AgentConfig(IngestConfig ingest, QueueConfig queue, DeliveryConfig delivery, boolean debug) {
        this(ingest, queue, delivery, debug, TransformConfig.NONE);
    }

    /**
     * @param httpPort 0 turns plain HTTP off
     * @param httpsPort 0 turns HTTPS off
     * @param tlsCertFile PEM certificate chain, or null for the generated self-signed pair
     * @param tlsKeyFile PEM private key, or null for the generated self-signed pair
     * @param maxBodyBytes larger request bodies are answered 413
     */
    public record IngestConfig(String bindAddress, int httpPort, int httpsPort, Path tlsCertFile, Path tlsKeyFile,
                               int maxBodyBytes, Path dataDir) {
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
     */
    public record DeliveryConfig(URI eventsBaseUrl, int concurrency, Duration timeout, Duration retryBase,
                                 Duration retryMax, Duration maxEventAge, Duration shutdownGrace) {
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
