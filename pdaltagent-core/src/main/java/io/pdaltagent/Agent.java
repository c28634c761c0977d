package io.pdaltagent;

import io.pdaltagent.admin.AdminHandler;
import io.pdaltagent.admin.AdminListener;
import io.pdaltagent.admin.AgentEndpoint;
import io.pdaltagent.admin.AgentIdentityHandler;
import io.pdaltagent.admin.QueueAdminHandler;
import io.pdaltagent.dashboard.ConfigRows;
import io.pdaltagent.dashboard.DashboardAuth;
import io.pdaltagent.dashboard.DashboardData;
import io.pdaltagent.dashboard.DashboardHandler;
import io.pdaltagent.dashboard.MinuteHistory;
import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;
import io.pdaltagent.config.EnvConfig;
import io.pdaltagent.delivery.Backoff;
import io.pdaltagent.delivery.Dispatcher;
import io.pdaltagent.delivery.EnvProxySelector;
import io.pdaltagent.delivery.HttpSender;
import io.pdaltagent.delivery.RetryPolicy;
import io.pdaltagent.delivery.TrustBundle;
import io.pdaltagent.ingest.IngestHandler;
import io.pdaltagent.ingest.IngestServer;
import io.pdaltagent.ingest.SpoolImporter;
import io.pdaltagent.observe.AgentListener;
import io.pdaltagent.observe.LoggingListener;
import io.pdaltagent.observe.Metrics;
import io.pdaltagent.queue.EventQueue;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: the only class that knows every stage. It wires
 * ingest → queue → delivery, plus the admin listener (its own port) and the listeners that turn what happens
 * into metrics and log lines, and it stops them in the reverse order.
 *
 * <pre>{@code
 * Agent agent = Agent.start(EnvConfig.load(ConfigSources.load(System.getenv(), file)), Clock.systemUTC());
 * ...
 * agent.close();   // stop ingest, finish deliveries under way, close the store
 * }</pre>
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    /** How often delivered records past their retention are pruned. */
    private static final long HOUSEKEEPING_MINUTES = 10;

    private final EventQueue queue;
    private final IngestServer server;
    private final AdminListener admin;
    /** Every started stage, closed in reverse order by {@link #close}. */
    private final Stages stages;
    private final CountDownLatch closed = new CountDownLatch(1);

    private Agent(EventQueue queue, IngestServer server, AdminListener admin, Stages stages) {
        this.queue = queue;
        this.server = server;
        this.admin = admin;
        this.stages = stages;
    }

    public static String version() {
        String v = Agent.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /**
     * Starts every stage; on failure, whatever had started is stopped again before the exception.
     * {@code env} is no longer read: proxies come from {@code config.outbound()} (environment or file).
     */
    public static Agent start(AgentConfig config, Clock clock, Map<String, String> env) {
        return start(config, clock, ConfigRows.of(env));
    }

    /**
     * What a start would refuse in the settings the stages check themselves (a proxy that does not
     * parse, an unusable CA bundle, TLS files that are no matching PEM pair), without starting
     * anything or writing a file: {@code pdagentd check-config}.
     *
     * @throws ConfigException naming the variable
     */
    public static void validate(AgentConfig config) {
        proxySelector(config.outbound());
        if (config.outbound().caFile() != null) {
            TrustBundle.context(config.outbound().caFile());
        }
        AgentConfig.IngestConfig ingest = config.ingest();
        if (ingest.httpsPort() != 0 && ingest.tlsCertFile() != null) {
            // reads the two files only; the generated pair is not made here
            io.pdaltagent.ingest.TlsMaterial.fromPemFiles(ingest.tlsCertFile(), ingest.tlsKeyFile());
        }
    }

    private static EnvProxySelector proxySelector(AgentConfig.OutboundConfig outbound) {
        try {
            return EnvProxySelector.fromEnv(outbound.proxyVariables());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** Starts every stage; on failure, whatever had started is stopped again before the exception. */
    public static Agent start(AgentConfig config, Clock clock) {
        return start(config, clock, (List<Map<String, Object>>) null);
    }

    /** @param configRows the dashboard's configuration page ({@link ConfigRows}), or null when not known */
    private static Agent start(AgentConfig config, Clock clock, List<Map<String, Object>> configRows) {
        LOG.info("pdaltagent {} starting: {}", version(), EnvConfig.describe(config));
        EnvProxySelector proxies = proxySelector(config.outbound());
        javax.net.ssl.SSLContext tls = config.outbound().caFile() == null ? null : TrustBundle.context(config.outbound().caFile());
        if (proxies.needsBasicAuthOnTunnels()) {
            // the JDK refuses Basic proxy authentication through CONNECT tunnels unless told otherwise
            EnvProxySelector.allowBasicAuthOnTunnels();
        }
        // each stage is recorded as it starts; a failure closes those started, the last first
        Stages stages = new Stages();
        EventQueue queue = stages.add("queue", openQueue(config.queue(), clock), EventQueue::close);
        try {
            Metrics metrics = new Metrics(version());
            MinuteHistory history = new MinuteHistory(clock);
            AgentListener listener = AgentListener.of(List.of(metrics, new LoggingListener(), history));
            AgentConfig.DeliveryConfig dc = config.delivery();
            HttpSender sender = new HttpSender(dc.eventsBaseUrl(), dc.timeout(), proxies,
                    proxies.authenticator(), version(), tls, config.outbound().sourceAddress(),
                    WebhookRelay.headers(config.webhook()));
            // each recorded before its start: a start that fails halfway is closed too
            Dispatcher dispatcher = stages.add("delivery", new Dispatcher(queue, sender, new RetryPolicy(),
                    Backoff.exponentialFullJitter(dc.retryBase(), dc.retryMax(), RandomGenerator.getDefault()),
                    listener, clock, dc), Dispatcher::close);
            if (dispatcher.pacer() != null) {
                metrics.pacingStats(dispatcher.pacer()::stats);
            }
            dispatcher.start();

            // before the relay: it runs the plugins' webhook filters; one intake (parse, validate,
            // transform) for both doors: HTTP and the spool
            io.pdaltagent.transform.Transforms transforms = stages.add("transforms",
                    io.pdaltagent.transform.Transforms.start(config.transform(), clock), io.pdaltagent.transform.Transforms::close);
            metrics.addSection(transforms);

            // before the housekeeper: the relay's crash recovery looks for its webhooks in the queue
            stages.add("webhook relay", WebhookRelay.start(config, queue, proxies, tls, metrics, clock, version(),
                    transforms.webhookFilters()), WebhookRelay::close);

            ScheduledExecutorService housekeeper = stages.add("housekeeper", Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("housekeeper").daemon(true).factory()), ScheduledExecutorService::shutdownNow);
            housekeeper.scheduleWithFixedDelay(() -> prune(queue, clock, config.queue()), 1, HOUSEKEEPING_MINUTES * 60,
                    TimeUnit.SECONDS);

            io.pdaltagent.ingest.Intake intake = new io.pdaltagent.ingest.Intake(transforms.chain());

            // events pd-send queued on disk while the agent was down go before anything sent over HTTP
            SpoolImporter spool = stages.add("spool import", new SpoolImporter(config.queue().dataDir(), queue, listener,
                    clock, config.ingest().maxBodyBytes(), intake, config.ingest().allow().spoolUsers()), SpoolImporter::close);
            spool.start();
            transforms.startSources(clock, new io.pdaltagent.ingest.SourceIntake(intake, queue, listener, clock,
                    config.ingest().maxBodyBytes()));

            AdminHandler health = new AdminHandler(queue, metrics, clock, version());
            Handler.Sequence handlers = new Handler.Sequence(
                    new IngestHandler(queue, listener, clock, config.ingest().maxBodyBytes(), intake,
                            config.ingest().allow()),
                    health,
                    new NotFound());
            // the queue admin API only on the admin listener, never on the ingest ports
            String instance = AgentEndpoint.newInstance();
            AdminListener adminListener = stages.add("admin listener", new AdminListener(config.admin(), List.of(
                    new QueueAdminHandler(queue, config.admin().token()),
                    new AgentIdentityHandler(instance, version()),
                    // a Jetty handler belongs to one server: the same answers, a second instance
                    new AdminHandler(queue, metrics, clock, version()),
                    new DashboardHandler(new DashboardData(queue, metrics, history, clock, version(), configRows),
                            new DashboardAuth(config.admin().token(), config.admin().readToken(),
                                    config.admin().passwordHash(), clock), version())),
                    config.delivery().shutdownGrace(),
                    config.admin().tls().enabled() && config.admin().port() != 0
                            ? io.pdaltagent.ingest.ServerTls.forAdmin(config.admin().tls(), config.ingest()) : null),
                    AdminListener::close);
            adminListener.start();
            IngestServer server = stages.add("ingest", new IngestServer(config.ingest(), handlers,
                    config.delivery().shutdownGrace()), IngestServer::close);
            server.start();
            writeEndpoint(config, adminListener, instance);
            java.nio.file.Path dataDir = config.queue().dataDir();
            stages.onClose("admin endpoint file", () -> AgentEndpoint.remove(dataDir, instance));
            LOG.info("pdaltagent ready: http port {}, https port {}, delivering to {}", server.httpPort(),
                    server.httpsPort(), dc.eventsBaseUrl());
            return new Agent(queue, server, adminListener, stages);
        } catch (RuntimeException e) {
            stages.close();
            throw e;
        }
    }

    /** Where pd-queue finds the admin listener: {@code <data dir>/admin-endpoint.json} (none when the listener is off). */
    private static void writeEndpoint(AgentConfig config, AdminListener admin, String instance) {
        java.nio.file.Path dir = config.queue().dataDir();
        if (admin.url() == null) {
            AgentEndpoint.remove(dir, readInstance(dir));
            return;
        }
        try {
            java.nio.file.Files.createDirectories(dir);
            AgentEndpoint.write(dir, new AgentEndpoint.Endpoint(admin.url(), instance, config.admin().token()));
        } catch (java.io.IOException e) {
            // pd-queue still finds the agent through PDQUEUE_AGENT_URL or PDAGENTD_ADMIN_PORT
            LOG.warn("cannot write {} in {} ({}); pd-queue needs PDAGENTD_ADMIN_PORT to find the agent",
                    AgentEndpoint.FILE_NAME, dir, e.getMessage());
        }
    }

    /** The instance of a stale endpoint file (a killed agent's), so that a start with the listener off removes it. */
    private static String readInstance(java.nio.file.Path dir) {
        try {
            AgentEndpoint.Endpoint e = AgentEndpoint.read(dir);
            return e == null ? "" : e.instance();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /** The embedded SQLite queue, or with a broker URL the RabbitMQ queue from pdaltagent-rabbitmq. */
    private static EventQueue openQueue(AgentConfig.QueueConfig qc, Clock clock) {
        if (qc.brokerUrl() == null) {
            // a damaged file is moved aside (kept) and the agent starts on an empty queue
            return io.pdaltagent.queue.StoreQuarantine.open(qc.dataDir(), clock, qc.maxEvents());
        }
        try {
            return io.pdaltagent.queue.EventQueueProvider.forUrl(qc.brokerUrl())
                    .open(qc.brokerUrl(), qc.brokerPartitions(), qc.maxEvents(), clock);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ConfigException("PDAGENTD_BROKER_URL / CELERY_BROKER_URL: " + e.getMessage());
        }
    }

    private static void prune(EventQueue queue, Clock clock, AgentConfig.QueueConfig config) {
        try {
            int n = queue.pruneDelivered(clock.instant().minus(config.deliveredRetention()));
            if (n > 0) {
                LOG.info("pruned {} delivered record(s) older than {}", n, config.deliveredRetention());
            }
        } catch (RuntimeException e) {
            LOG.warn("pruning delivered records failed: {}", e.getMessage());
        }
    }

    public int httpPort() {
        return server.httpPort();
    }

    public int httpsPort() {
        return server.httpsPort();
    }

    /** The admin listener's port, or -1 when it is off. */
    public int adminPort() {
        return admin.port();
    }

    public EventQueue queue() {
        return queue;
    }

    /** Blocks until {@link #close} has finished. */
    public void awaitClose() {
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops every stage, the last started first: the endpoint file goes, ingest stops (requests
     * under way are answered), then the admin listener, the spool import, the housekeeper, the
     * webhook relay, the transforms, delivery (within its grace), and the store last.
     */
    @Override
    public synchronized void close() {
        if (closed.getCount() == 0) {
            return;
        }
        LOG.info("pdaltagent stopping");
        try {
            stages.close();
            LOG.info("pdaltagent stopped");
        } finally {
            closed.countDown();
        }
    }

    /** The last handler: a JSON 404 for any path nobody else answered. */
    private static final class NotFound extends Handler.Abstract.NonBlocking {
        private static final byte[] BODY = "{\"status\":\"not found\",\"message\":\"Not found\",\"errors\":[\"no such path\"]}"
                .getBytes(StandardCharsets.UTF_8);

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(404);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, java.nio.ByteBuffer.wrap(BODY), callback);
            return true;
        }
    }
}
