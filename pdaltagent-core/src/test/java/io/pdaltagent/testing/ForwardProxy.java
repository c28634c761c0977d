package io.pdaltagent.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small real HTTP forward proxy for tests, over plain sockets with a virtual thread per
 * connection. It relays absolute-form requests ({@code POST http://host:port/path HTTP/1.1}) for
 * {@code http://} targets and opens {@code CONNECT} tunnels for {@code https://} targets, and can
 * demand {@code Proxy-Authorization: Basic} credentials (answering 407 otherwise).
 *
 * <pre>{@code
 * try (ForwardProxy proxy = ForwardProxy.builder().basicAuth("u", "p").start()) {
 *     HttpClient client = HttpClient.newBuilder().proxy(proxy.selector()).authenticator(...).build();
 *     ...
 *     assertThat(proxy.relayed()).isEqualTo(1);
 * }
 * }</pre>
 *
 * <p>Each client connection carries one request (the proxy answers {@code Connection: close}), which
 * keeps relaying a matter of copying bytes. The proxy strips {@code Proxy-Authorization} and
 * {@code Proxy-Connection} before forwarding. Thread-safe.
 */
public final class ForwardProxy implements AutoCloseable {
    private static final int MAX_HEAD_LINE = 64 * 1024;
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    /** A client idle for this long is disconnected, so a forgotten connection cannot pin a thread forever. */
    private static final int READ_TIMEOUT_MILLIS = 60_000;

    private final String expectedAuthorization;
    private final ServerSocket server;
    private final ExecutorService connections = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("forward-proxy-", 0).factory());
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger relayed = new AtomicInteger();
    private final AtomicInteger tunnels = new AtomicInteger();
    private final AtomicInteger rejected = new AtomicInteger();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private ForwardProxy(Builder b) throws IOException {
        this.expectedAuthorization = b.user == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((b.user + ":" + b.password).getBytes(StandardCharsets.UTF_8));
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), b.port), 512);
        Thread.ofPlatform().daemon().name("forward-proxy-accept-" + server.getLocalPort()).start(this::acceptLoop);
    }

    /** A started proxy on a free port that asks for no credentials. */
    public static ForwardProxy start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The proxy's address on the loopback interface. */
    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
    }

    /** {@code http://127.0.0.1:PORT}, as one would put in {@code HTTPS_PROXY}. */
    public String url() {
        return "http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + port();
    }

    /** A selector that sends every request through this proxy. */
    public ProxySelector selector() {
        return ProxySelector.of(address());
    }

    /** Requests relayed so far: absolute-form requests forwarded plus tunnels opened. */
    public int relayed() {
        return relayed.get();
    }

    /** {@code CONNECT} tunnels opened so far. */
    public int tunnels() {
        return tunnels.get();
    }

    /** Requests answered 407 for missing or wrong credentials. */
    public int rejected() {
        return rejected.get();
    }

    /** The request lines relayed, e.g. {@code "POST http://127.0.0.1:4711/v2/enqueue"} or {@code "CONNECT 127.0.0.1:4711"}. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    /** Stops accepting and closes every open connection. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : List.copyOf(open)) {
            closeQuietly(s);
        }
        connections.shutdownNow();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            open.add(client);
            try {
                connections.execute(() -> serve(client));
            } catch (RuntimeException rejectedAfterClose) {
                closeQuietly(client);
            }
        }
    }

    private void serve(Socket client) {
        Socket upstream = null;
        try {
            client.setSoTimeout(READ_TIMEOUT_MILLIS);
            client.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(client.getInputStream());
            OutputStream out = client.getOutputStream();
            String requestLine = readLine(in);
            if (requestLine == null || requestLine.isBlank()) {
                return;
            }
            List<String> headers = readHeaders(in);
            String[] parts = requestLine.split(" ");
            if (parts.length != 3) {
                answer(client, out, 400, "Bad Request", List.of());
                return;
            }
            String method = parts[0];
            String target = parts[1];
            if (expectedAuthorization != null && !expectedAuthorization.equals(header(headers, "Proxy-Authorization"))) {
                rejected.incrementAndGet();
                answer(client, out, 407, "Proxy Authentication Required", List.of("Proxy-Authenticate: Basic realm=\"test-proxy\""));
                return;
            }
            if (method.equals("CONNECT")) {
                upstream = tunnel(client, in, out, target);
            } else {
                upstream = forward(client, in, out, method, target, parts[2], headers);
            }
        } catch (IOException e) {
            // the client or the target went away: nothing to report to anyone
        } finally {
            if (upstream != null) {
                closeQuietly(upstream);
            }
            closeQuietly(client);
        }
    }

    private Socket tunnel(Socket client, InputStream in, OutputStream out, String target) throws IOException {
        HostAndPort hp = HostAndPort.parse(target, 443);
        if (hp == null) {
            answer(client, out, 400, "Bad Request", List.of());
            return null;
        }
        Socket upstream = connect(client, out, hp);
        if (upstream == null) {
            return null;
        }
        tunnels.incrementAndGet();
        relayed.incrementAndGet();
        requests.add("CONNECT " + target);
        out.write("HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        pipe(in, upstream, client);
        return upstream;
    }

    private Socket forward(Socket client, InputStream in, OutputStream out, String method, String target, String version,
            List<String> headers) throws IOException {
        URI uri;
        try {
            uri = URI.create(target);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        if (uri == null || !"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            answer(client, out, 400, "Bad Request", List.of());
            return null;
        }
        HostAndPort hp = new HostAndPort(uri.getHost(), uri.getPort() == -1 ? 80 : uri.getPort());
        Socket upstream = connect(client, out, hp);
        if (upstream == null) {
            return null;
        }
        relayed.incrementAndGet();
        requests.add(method + " " + target);
        String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        StringBuilder head = new StringBuilder(method).append(' ').append(path).append(' ').append(version).append("\r\n");
        for (String h : headers) {
            if (!isHopByHop(h)) {
                head.append(h).append("\r\n");
            }
        }
        head.append("Connection: close\r\n\r\n");
        OutputStream up = upstream.getOutputStream();
        up.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        up.flush();
        // the request body, if any, flows while the answer comes back
        connections.execute(() -> copyQuietly(in, up));
        InputStream down = new BufferedInputStream(upstream.getInputStream());
        String statusLine = readLine(down);
        if (statusLine == null) {
            answer(client, out, 502, "Bad Gateway", List.of());
            return upstream;
        }
        StringBuilder answer = new StringBuilder(statusLine).append("\r\n");
        for (String h : readHeaders(down)) {
            if (!isHopByHop(h)) {
                answer.append(h).append("\r\n");
            }
        }
        answer.append("Connection: close\r\n\r\n");
        out.write(answer.toString().getBytes(StandardCharsets.ISO_8859_1));
        down.transferTo(out);
        out.flush();
        return upstream;
    }

    /** Copies both ways until either side closes. */
    private void pipe(InputStream clientIn, Socket upstream, Socket client) throws IOException {
        OutputStream up = upstream.getOutputStream();
        connections.execute(() -> {
            copyQuietly(clientIn, up);
            closeQuietly(upstream);
        });
        try {
            upstream.getInputStream().transferTo(client.getOutputStream());
        } catch (SocketException closedByTheOtherDirection) {
            // normal end of a tunnel
        }
    }

    private Socket connect(Socket client, OutputStream out, HostAndPort hp) throws IOException {
        Socket upstream = new Socket();
        open.add(upstream);
        try {
            upstream.connect(new InetSocketAddress(hp.host(), hp.port()), CONNECT_TIMEOUT_MILLIS);
            upstream.setTcpNoDelay(true);
            return upstream;
        } catch (IOException e) {
            closeQuietly(upstream);
            answer(client, out, 502, "Bad Gateway", List.of());
            return null;
        }
    }

    /**
     * Sends a short answer and closes gracefully: stop writing, then read what the client still
     * sends (its request body), so that it sees the answer rather than a reset.
     */
    private static void answer(Socket client, OutputStream out, int status, String reason, List<String> extraHeaders) throws IOException {
        String body = "{\"status\":" + status + ",\"message\":\"" + reason + "\"}";
        StringBuilder s = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n");
        for (String h : extraHeaders) {
            s.append(h).append("\r\n");
        }
        s.append("Content-Type: application/json\r\nContent-Length: ").append(body.length())
                .append("\r\nConnection: close\r\n\r\n").append(body);
        out.write(s.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        client.shutdownOutput();
        client.setSoTimeout(2_000);
        try {
            client.getInputStream().transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // timed out or reset: either way the answer went out
        }
    }

    private static boolean isHopByHop(String headerLine) {
        String name = headerLine.substring(0, Math.max(0, headerLine.indexOf(':'))).trim().toLowerCase(Locale.ROOT);
        return name.equals("proxy-authorization") || name.equals("proxy-connection") || name.equals("connection")
                || name.equals("keep-alive");
    }

    private static String header(List<String> headers, String name) {
        for (String h : headers) {
            int colon = h.indexOf(':');
            if (colon > 0 && h.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return h.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static List<String> readHeaders(InputStream in) throws IOException {
        List<String> headers = new ArrayList<>();
        String line;
        while ((line = readLine(in)) != null && !line.isEmpty()) {
            headers.add(line);
        }
        return headers;
    }

    /** One CRLF- (or LF-) terminated line in ISO-8859-1, or null at end of stream. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                break;
            }
            if (line.size() >= MAX_HEAD_LINE) {
                throw new IOException("header line too long");
            }
            line.write(b);
        }
        if (b == -1 && line.size() == 0) {
            return null;
        }
        String s = line.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private static void copyQuietly(InputStream in, OutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException ignored) {
            // one side closed
        }
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** A {@code host:port} target. */
    private record HostAndPort(String host, int port) {
        static HostAndPort parse(String target, int defaultPort) {
            String host;
            String port = null;
            if (target.startsWith("[")) {
                int close = target.indexOf(']');
                if (close < 0) {
                    return null;
                }
                host = target.substring(1, close);
                if (target.length() > close + 1 && target.charAt(close + 1) == ':') {
                    port = target.substring(close + 2);
                }
            } else {
                int colon = target.lastIndexOf(':');
                host = colon < 0 ? target : target.substring(0, colon);
                port = colon < 0 ? null : target.substring(colon + 1);
            }
            try {
                return new HostAndPort(host, port == null ? defaultPort : Integer.parseInt(port));
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }

    /** Options for {@link ForwardProxy}. */
    public static final class Builder {
        private int port;
        private String user;
        private String password;

        private Builder() {
        }

        /** The port to listen on; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Demand {@code Proxy-Authorization: Basic} with these credentials; answer 407 otherwise. */
        public Builder basicAuth(String user, String password) {
            this.user = Objects.requireNonNull(user, "user");
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        public ForwardProxy start() {
            try {
                return new ForwardProxy(this);
            } catch (IOException e) {
                throw new UncheckedIOException("ForwardProxy cannot listen on port " + port, e);
            }
        }
    }
}
