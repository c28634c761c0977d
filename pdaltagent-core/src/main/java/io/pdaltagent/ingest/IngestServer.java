package io.pdaltagent.ingest;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.BindException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * The ingest HTTP(S) server: Jetty with a plain HTTP connector on {@code PDAGENTD_HTTP_PORT} and a TLS
 * connector on {@code PDAGENTD_HTTPS_PORT} (each only when its port is not 0), both on
 * {@code PDAGENTD_BIND_ADDRESS}, in front of the one {@link Handler} that answers ingest requests.
 *
 * <p>Tuned for many small requests on a small machine: a bounded thread pool, HTTP/1.1 keep-alive, a
 * 30 s idle timeout, 8 KB of request headers, no {@code Server} version header, the connection limits
 * of {@link ConnectionLimits} (a cap derived from the process's file-descriptor limit, so that a
 * connection flood cannot starve the queue's own files; idle connections shed near the cap; deadlines
 * for slow headers and bodies), and JSON bodies on every error Jetty itself produces (bad request
 * lines, oversized headers, 404, 503 during shutdown). HTTPS is set up by {@link ServerTls}: TLS 1.2/1.3
 * with ECDHE+AEAD suites only, optional client certificates, and the certificate files reloaded when
 * they change.
 *
 * <p>{@link #close()} is graceful: the ports stop accepting at once, requests already being handled get
 * up to the stop timeout to finish (a new request on a kept-alive connection is answered 503, and idle
 * connections are closed a second into the stop), then every connection is closed. No JVM shutdown
 * hook is registered; the caller decides the shutdown order.
 *
 * <pre>{@code
 * try (IngestServer server = new IngestServer(config.ingest(), ingestHandler)) {
 *     server.start();                 // ConfigException on a port in use or a bad TLS file
 *     ...
 * }                                   // graceful stop
 * }</pre>
 *
 * <p>{@link #start()} and {@link #close()} may be called from any thread. A start that failed may be
 * retried; once started or closed, the server does not start again.
 */
public final class IngestServer implements AutoCloseable {
    /** Accepted events are stored in milliseconds; five seconds lets every in-flight store finish. */
    public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(5);
    /**
     * The ingest handler never blocks: bodies are read on demand ({@code BodyReader}) and the answer is
     * written when the store's future completes, so a thread is busy only while it parses and validates,
     * which is CPU work on a host of a few cores. Jetty's default ceiling (200) let the pool grow to ~70
     * threads under 64 busy connections, ~6 MB of stacks and malloc arenas for no throughput
     * (BENCHMARKS.md, "Footprint"). The ceiling also covers the selector and acceptor threads Jetty leases
     * for each connector. Threads above the minimum exit after a minute idle.
     */
    static final int MAX_THREADS = 32;
    static final int MIN_THREADS = 4;
    /** Closes idle keep-alive connections, and connections of clients that stall mid-request. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    static final int REQUEST_HEADER_BYTES = 8 * 1024;
    /** The JDK's default listen backlog (50) drops connection bursts; the kernel caps this at somaxconn. */
    static final int ACCEPT_QUEUE = 1024;
    static final int MAX_CONNECTIONS = 10_000;
    /** Descriptors kept free for the queue's files, the delivery client and the logs. */
    static final int RESERVED_DESCRIPTORS = 256;

    private static final Logger LOG = LoggerFactory.getLogger(IngestServer.class);

    private final AgentConfig.IngestConfig config;
    private final Handler handler;
    private final Duration stopTimeout;
    private Server server;
    private volatile ServerTls tls;
    private volatile int httpPort = -1;
    private volatile int httpsPort = -1;
    private boolean closed;

    public IngestServer(AgentConfig.IngestConfig config, Handler handler) {
        this(config, handler, DEFAULT_STOP_TIMEOUT);
    }

    /** @param stopTimeout how long {@link #close()} waits for requests under way */
    public IngestServer(AgentConfig.IngestConfig config, Handler handler, Duration stopTimeout) {
        this.config = Objects.requireNonNull(config, "config");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.stopTimeout = Objects.requireNonNull(stopTimeout, "stopTimeout");
    }

    /**
     * Loads or generates the TLS pair (when HTTPS is on), binds the ports and starts serving.
     *
     * @throws ConfigException both ports 0, a port that cannot be bound (the message names the port and
     *     its variable), or an unusable TLS file (the message names the file and its variable)
     */
    public synchronized void start() {
        if (server != null || closed) {
            throw new IllegalStateException("an IngestServer starts only once");
        }
        if (config.httpPort() == 0 && config.httpsPort() == 0) {
            throw new ConfigException("PDAGENTD_HTTP_PORT and PDAGENTD_HTTPS_PORT are both 0: "
                    + "at least one ingest port must be on");
        }
        ServerTls material = config.httpsPort() != 0 ? ServerTls.forIngest(config) : null;

        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, MIN_THREADS);
        threads.setName("pdagentd-ingest");
        Server s = new Server(threads);
        s.setStopTimeout(stopTimeout.toMillis());
        s.setStopAtShutdown(false);
        s.setErrorHandler(new JsonErrorHandler());

        HttpConfiguration plainConfig = httpConfiguration();
        List<ServerConnector> connectors = new ArrayList<>();
        ServerConnector plain = null;
        ServerConnector secure = null;
        if (config.httpPort() != 0) {
            plain = connector(s, "http", config.httpPort(), new HttpConnectionFactory(plainConfig));
            connectors.add(plain);
        }
        if (material != null) {
            HttpConfiguration secureConfig = new HttpConfiguration(plainConfig);
            SecureRequestCustomizer secureCustomizer = new SecureRequestCustomizer();
            secureCustomizer.setSniHostCheck(false); // self-signed certificates are reached by IP address
            secureConfig.addCustomizer(secureCustomizer);
            secure = connector(s, "https", config.httpsPort(),
                    new SslConnectionFactory(material.sslContextFactory(), HttpVersion.HTTP_1_1.asString()),
                    new HttpConnectionFactory(secureConfig));
            connectors.add(secure);
        }
        ConnectionLimits.install(s, connectors, maxConnections());
        s.setHandler(new GracefulHandler(handler));

        try {
            if (plain != null) {
                bind(plain, "PDAGENTD_HTTP_PORT");
            }
            if (secure != null) {
                bind(secure, "PDAGENTD_HTTPS_PORT");
            }
            s.start();
        } catch (ConfigException e) {
            abandon(s, connectors);
            throw e;
        } catch (Exception e) {
            abandon(s, connectors);
            throw new IllegalStateException("cannot start the ingest server: " + e.getMessage(), e);
        }
        server = s;
        tls = material;
        if (material != null) {
            material.startWatching();
        }
        httpPort = plain == null ? -1 : plain.getLocalPort();
        httpsPort = secure == null ? -1 : secure.getLocalPort();
        String authority = host().contains(":") ? "[" + host() + "]" : host();
        LOG.info("Ingest listening on {}{}{}", plain == null ? "" : "http://" + authority + ":" + httpPort,
                plain != null && secure != null ? " and " : "",
                secure == null ? "" : "https://" + authority + ":" + httpsPort);
    }

    /** The bound HTTP port, or -1 when plain HTTP is off or the server is not started. */
    public int httpPort() {
        return httpPort;
    }

    /** The bound HTTPS port, or -1 when HTTPS is off or the server is not started. */
    public int httpsPort() {
        return httpsPort;
    }

    /** The HTTPS identity in use; empty when HTTPS is off or the server is not started. */
    public Optional<TlsMaterial> tlsMaterial() {
        return Optional.ofNullable(tls).map(ServerTls::material);
    }

    /** The HTTPS side (certificate reload, client certificates); empty when HTTPS is off or not started. */
    public Optional<ServerTls> tls() {
        return Optional.ofNullable(tls);
    }

    /**
     * Stops accepting, lets requests under way finish for up to the stop timeout, then closes every
     * connection and stops the threads. Idempotent; a no-op before {@link #start()}.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (server == null) {
            return;
        }
        if (tls != null) {
            tls.close();
        }
        try {
            server.stop();
            LOG.info("Ingest stopped");
        } catch (TimeoutException e) {
            LOG.warn("Ingest stopped; requests still under way after {} ms were cut off", stopTimeout.toMillis());
        } catch (Exception e) {
            LOG.warn("The ingest server did not stop cleanly ({})", e.toString());
        }
    }

    /**
     * A TCP port that was free a moment ago, for tests (configuration port 0 means "off", not
     * "any free port"). Another process may take it before it is used; tests accept that small race.
     */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free TCP port", e);
        }
    }

    private static HttpConfiguration httpConfiguration() {
        HttpConfiguration c = new HttpConfiguration();
        c.setSendServerVersion(false);
        c.setSendXPoweredBy(false);
        c.setSendDateHeader(true);
        c.setRequestHeaderSize(REQUEST_HEADER_BYTES);
        c.setPersistentConnectionsEnabled(true);
        c.setIdleTimeout(IDLE_TIMEOUT.toMillis());
        return c;
    }

    private ServerConnector connector(Server s, String name, int port, ConnectionFactory... factories) {
        ServerConnector c = new ServerConnector(s, factories);
        c.setName(name);
        c.setHost(host());
        c.setPort(port);
        c.setIdleTimeout(IDLE_TIMEOUT.toMillis());
        c.setAcceptQueueSize(ACCEPT_QUEUE);
        s.addConnector(c);
        return c;
    }

    private String host() {
        String bind = config.bindAddress();
        return bind == null || bind.isBlank() ? "0.0.0.0" : bind;
    }

    /** Binds now, so that a failure names the port and the variable that chose it. */
    private void bind(ServerConnector connector, String variable) {
        try {
            connector.open();
        } catch (IOException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String reason = Objects.requireNonNullElse(root.getMessage(), root.toString());
            String where = "port " + connector.getPort() + " on " + host();
            if (root instanceof BindException && reason.toLowerCase(Locale.ROOT).contains("in use")) {
                throw new ConfigException(variable + ": " + where + " is already in use (" + reason
                        + "); stop the other program, or choose another port with " + variable);
            }
            if (root instanceof BindException && reason.toLowerCase(Locale.ROOT).contains("assign")) {
                throw new ConfigException(variable + ": cannot listen on " + where + " (" + reason
                        + "); is PDAGENTD_BIND_ADDRESS=" + host() + " an address of this host?");
            }
            throw new ConfigException(variable + ": cannot listen on " + where + " (" + reason + ")");
        }
    }

    private static void abandon(Server s, List<ServerConnector> connectors) {
        try {
            s.stop();
        } catch (Exception e) {
            LOG.debug("Stopping a server that failed to start", e);
        }
        for (ServerConnector c : connectors) {
            c.close(); // releases a port bound before a later step failed
        }
    }

    /** Half the process's descriptor limit, so that a connection flood leaves room for everything else. */
    static int maxConnections() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            long limit = unix.getMaxFileDescriptorCount();
            if (limit > 0) {
                return (int) Math.max(64, Math.min(MAX_CONNECTIONS, Math.min(limit / 2, limit - RESERVED_DESCRIPTORS)));
            }
        }
        return MAX_CONNECTIONS;
    }

    /**
     * Gives the errors Jetty answers by itself the same JSON shape as PagerDuty's error answers
     * ({@code status}, {@code message}, {@code errors}), so that clients which always parse the body
     * (pdjs, Zabbix) see a readable reason. Exception texts never reach the client.
     */
    static final class JsonErrorHandler extends ErrorHandler {
        private static final ObjectMapper JSON = new ObjectMapper();

        @Override
        public boolean errorPageForMethod(String method) {
            return true;
        }

        @Override
        protected void generateResponse(Request request, Response response, int code, String message,
                                        Throwable cause, Callback callback) {
            boolean internal = cause != null && !(cause instanceof HttpException);
            String text = internal || message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            if (cause instanceof HttpException) {
                // a request Jetty could not parse (too long, bad framing): the connection ends here, say so
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
            response.write(true, ByteBuffer.wrap(body(code, text)), callback);
        }

        static byte[] body(int code, String message) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", HttpStatus.getMessage(code));
            body.put("message", message);
            body.put("errors", List.of(message));
            try {
                return JSON.writeValueAsBytes(body);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
