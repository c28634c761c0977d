package io.pdaltagent;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;
import io.pdaltagent.delivery.EnvProxySelector;
import io.pdaltagent.delivery.WebhookHeaders;
import io.pdaltagent.observe.Metrics;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.webhook.ActivityStore;
import io.pdaltagent.webhook.ActivityStoreException;
import io.pdaltagent.webhook.JdbcActivityStore;
import io.pdaltagent.webhook.LogEntriesClient;
import io.pdaltagent.webhook.WebhookFilterChain;
import io.pdaltagent.webhook.WebhookPoller;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root's wiring of the webhook relay, kept beside {@link Agent} so that it stays
 * short: the activity store the configuration names, the REST client, the poller, and the
 * delivery headers. Not thread-safe; used by {@link Agent} while it starts and stops.
 */
final class WebhookRelay implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookRelay.class);

    private final ActivityStore store;
    private final WebhookPoller poller;

    private WebhookRelay(ActivityStore store, WebhookPoller poller) {
        this.store = store;
        this.poller = poller;
    }

    /** The headers of webhook deliveries: V3 or V2 user agent, signed when a secret is set. */
    static WebhookHeaders headers(AgentConfig.WebhookConfig c) {
        if (c == null) {
            return WebhookHeaders.unsigned(WebhookHeaders.USER_AGENT_V3);
        }
        String agent = AgentConfig.WebhookConfig.V2.equals(c.format()) ? WebhookHeaders.USER_AGENT_V2
                : WebhookHeaders.USER_AGENT_V3;
        return WebhookHeaders.of(agent, c.secret());
    }

    /** Null when the poller is off. */
    static WebhookRelay start(AgentConfig config, EventQueue queue, EnvProxySelector proxies,
                              javax.net.ssl.SSLContext tls, Metrics metrics, Clock clock, String version,
                              WebhookFilterChain filters) {
        AgentConfig.WebhookConfig c = config.webhook();
        if (c == null) {
            return null;
        }
        if (config.queue().brokerUrl() != null && c.activityDbUrl() == null) {
            LOG.warn("webhook poller: RabbitMQ queue with the embedded activity store; run only one agent with "
                    + "PDAGENTD_API_TOKEN on this broker, or set PDAGENTD_ACTIVITY_DB_URL so that agents share one poller");
        }
        ActivityStore store;
        try {
            store = c.activityDbUrl() == null ? JdbcActivityStore.embedded(config.queue().dataDir(), clock)
                    : JdbcActivityStore.postgres(c.activityDbUrl(), clock);
        } catch (ActivityStoreException e) {
            throw new ConfigException((c.activityDbUrl() == null ? "PDAGENTD_DATA_DIR" : "PDAGENTD_ACTIVITY_DB_URL")
                    + ": " + e.getMessage());
        }
        try {
            LogEntriesClient api = new LogEntriesClient(c.apiBaseUrl(), c.authorization(), proxies, proxies.authenticator(),
                    version, tls, config.outbound().sourceAddress());
            WebhookPoller poller = WebhookPoller.start(c, queue, api, store, config.queue().dataDir(), clock,
                    filters);
            metrics.pollerStats(poller::stats);
            return new WebhookRelay(store, poller);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    @Override
    public void close() {
        poller.close();
        store.close();
    }
}
