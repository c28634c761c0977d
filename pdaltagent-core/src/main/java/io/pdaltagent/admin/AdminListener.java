package io.pdaltagent.admin;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;
import io.pdaltagent.ingest.ServerTls;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener: one HTTP (or, with {@code PDAGENTD_ADMIN_TLS}, HTTPS) port ({@code PDAGENTD_ADMIN_PORT}, default 8081, on
 * {@code PDAGENTD_ADMIN_BIND_ADDRESS}, default 127.0.0.1), apart from the ingest ports, serving the
 * handlers it is given in order (today the queue admin API, {@code /healthz}, {@code /metrics} and
 * the agent's identity; a dashboard later), then a JSON 404. Port 0 turns it off: {@link #start}
 * does nothing and {@link #url} is null.
 *
 * <pre>{@code
 * AdminListener admin = new AdminListener(config.admin(), List.of(queueAdmin, health), grace);
 * admin.start();        // ConfigException naming PDAGENTD_ADMIN_PORT when the port is taken
 * admin.url();          // http://127.0.0.1:8081
 * admin.close();
 * }</pre>
 *
 * <p>Threads: a small pool of its own (admin traffic is a few requests a minute), so a flood on the
 * ingest ports never delays {@code pd-queue}, and the other way round. {@link #start} and
 * {@link #close} are synchronized.
 */
public final class AdminListener implements AutoCloseable {
    /** pd-queue, a dashboard and a Prometheus scrape at once; more would be a misuse of this port. */
    static final int MAX_THREADS = 16;
    static final int MIN_THREADS = 2;
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(AdminListener.class);

    private final AgentConfig.AdminConfig config;
    private final List<Handler> handlers;
    private final Duration stopTimeout;
    private final ServerTls tls;
    private Server server;
    private volatile int port = -1;
    private boolean closed;

    public AdminListener(AgentConfig.AdminConfig config, List<Handler> handlers, Duration stopTimeout) {
        this(config, handlers, stopTimeout, null);
    }

    /** @param tls serves HTTPS with it ({@code PDAGENTD_ADMIN_TLS}); null: plain HTTP */
    public AdminListener(AgentConfig.AdminConfig config, List<Handler> handlers, Duration stopTimeout, ServerTls tls) {
        this.config = Objects.requireNonNull(config, "config");
        this.handlers = List.copyOf(handlers);
        this.stopTimeout = Objects.requireNonNull(stopTimeout, "stopTimeout");
        this.tls = tls;
    }

    /** Binds and serves; a no-op when the admin port is 0. */
    public synchronized void start() {
        if (server != null || closed) {
            throw new IllegalStateException("an AdminListener starts only once");
        }
        if (config.port() == 0) {
            LOG.info("Admin listener off (PDAGENTD_ADMIN_PORT=0)");
            return;
        }
        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, MIN_THREADS);
        threads.setName("pdagentd-admin");
        Server s = new Server(threads);
        s.setStopTimeout(stopTimeout.toMillis());
        s.setStopAtShutdown(false);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        ServerConnector c;
        if (tls == null) {
            c = new ServerConnector(s, new HttpConnectionFactory(http));
        } else {
            HttpConfiguration secure = new HttpConfiguration(http);
            SecureRequestCustomizer customizer = new SecureRequestCustomizer();
            customizer.setSniHostCheck(false); // reached as 127.0.0.1 as often as by name
            secure.addCustomizer(customizer);
            c = new ServerConnector(s, new SslConnectionFactory(tls.sslContextFactory(), HttpVersion.HTTP_1_1.asString()),
                    new HttpConnectionFactory(secure));
        }
        c.setName("admin");
        c.setHost(config.bindAddress());
        c.setPort(config.port());
        c.setIdleTimeout(IDLE_TIMEOUT.toMillis());
        s.addConnector(c);
        List<Handler> all = new ArrayList<>(handlers);
        all.add(new NotFound());
        s.setHandler(new Handler.Sequence(all));
        try {
            c.open();
        } catch (IOException e) {
            c.close();
            throw bindFailure(e);
        }
        try {
            s.start();
        } catch (Exception e) {
            c.close();
            throw new IllegalStateException("cannot start the admin listener: " + e.getMessage(), e);
        }
        server = s;
        port = c.getLocalPort();
        if (tls != null) {
            tls.startWatching();
        }
        LOG.info("Admin listener on {}{}", url(), config.token() == null ? "" : " (token required for changes)");
    }

    /** The bound port, or -1 when off or not started. */
    public int port() {
        return port;
    }

    /**
     * The URL pd-queue reaches the listener at: its bind address, or 127.0.0.1 for a wildcard
     * address; null when off or not started.
     */
    public URI url() {
        if (port < 0) {
            return null;
        }
        String host = config.bindAddress();
        try {
            InetAddress a = InetAddress.getByName(host);
            if (a.isAnyLocalAddress()) {
                host = "127.0.0.1";
            } else {
                host = a.getHostAddress();
            }
        } catch (UnknownHostException e) {
            host = "127.0.0.1";
        }
        String authority = host.contains(":") ? "[" + host + "]" : host;
        return URI.create((tls == null ? "http://" : "https://") + authority + ":" + port);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (tls != null) {
            tls.close();
        }
        if (server == null) {
            return;
        }
        try {
            server.stop();
        } catch (TimeoutException e) {
            LOG.warn("Admin listener stopped; requests still under way were cut off");
        } catch (Exception e) {
            LOG.warn("The admin listener did not stop cleanly ({})", e.toString());
        }
        port = -1;
    }

    private ConfigException bindFailure(IOException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String reason = Objects.requireNonNullElse(root.getMessage(), root.toString());
        String where = "port " + config.port() + " on " + config.bindAddress();
        if (root instanceof BindException && reason.toLowerCase(Locale.ROOT).contains("in use")) {
            return new ConfigException("PDAGENTD_ADMIN_PORT: " + where + " is already in use (" + reason
                    + "); choose another port with PDAGENTD_ADMIN_PORT, or 0 to turn the admin listener off");
        }
        return new ConfigException("PDAGENTD_ADMIN_PORT: cannot listen on " + where + " (" + reason
                + "); is PDAGENTD_ADMIN_BIND_ADDRESS=" + config.bindAddress() + " an address of this host?");
    }

    /** The last handler: a JSON 404 for any path nobody else answered. */
    private static final class NotFound extends Handler.Abstract.NonBlocking {
        private static final byte[] BODY = "{\"status\":\"error\",\"error\":\"no such path on the admin listener\"}"
                .getBytes(StandardCharsets.UTF_8);

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(404);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(BODY), callback);
            return true;
        }
    }
}
