package io.pdaltagent.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

class IngestServerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dataDir;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final CountDownLatch slowEntered = new CountDownLatch(1);
    private final CountDownLatch slowRelease = new CountDownLatch(1);

    @AfterEach
    void closeEverything() throws Exception {
        slowRelease.countDown();
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    @Test
    void servesPlainHttpWithKeepAliveAndNoServerVersion() throws Exception {
        IngestServer server = started(config(IngestServer.freePort(), 0));

        assertThat(server.httpsPort()).isEqualTo(-1);
        assertThat(server.tlsMaterial()).isEmpty();
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.httpPort())) {
            RawResponse first = exchange(socket, post("/v2/enqueue", "{}"));
            RawResponse second = exchange(socket, post("/v2/enqueue", "{}")); // same connection: keep-alive

            assertThat(first.status()).isEqualTo(202);
            assertThat(first.body()).isEqualTo("{\"status\":\"success\"}");
            assertThat(first.header("content-type")).startsWith("application/json");
            assertThat(first.header("date")).isNotNull();
            assertThat(first.header("server")).isNull();
            assertThat(first.header("connection")).isNull();
            assertThat(second.status()).isEqualTo(202);
        }
    }

    @Test
    void servesHttpsWithTheGeneratedCertificateToAClientThatTrustsIt() throws Exception {
        IngestServer server = started(config(0, IngestServer.freePort()));
        Path cert = dataDir.resolve("tls").resolve("agent-cert.pem");

        assertThat(server.httpPort()).isEqualTo(-1);
        assertThat(server.tlsMaterial()).get().extracting(TlsMaterial::certificateFile).isEqualTo(cert);
        try (HttpClient client = httpsClient(cert)) {
            for (String host : List.of("127.0.0.1", "localhost")) { // both are in the certificate's names
                HttpResponse<String> response = client.send(
                        HttpRequest.newBuilder(URI.create("https://" + host + ":" + server.httpsPort() + "/v2/enqueue"))
                                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                        HttpResponse.BodyHandlers.ofString());

                assertThat(response.statusCode()).isEqualTo(202);
                assertThat(response.body()).isEqualTo("{\"status\":\"success\"}");
                assertThat(response.headers().firstValue("server")).isEmpty();
            }
        }
    }

    @Test
    void servesHttpAndHttpsSideBySide() throws Exception {
        IngestServer server = started(config(IngestServer.freePort(), IngestServer.freePort()));

        try (HttpClient https = httpsClient(dataDir.resolve("tls/agent-cert.pem"));
             HttpClient http = HttpClient.newHttpClient()) {
            assertThat(https.send(get("https://127.0.0.1:" + server.httpsPort() + "/v2/enqueue"),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
            assertThat(http.send(get("http://127.0.0.1:" + server.httpPort() + "/v2/enqueue"),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
        }
    }

    @Test
    void reusesTheGeneratedPairOnTheNextStart() throws Exception {
        IngestServer first = started(config(0, IngestServer.freePort()));
        String fingerprint = first.tlsMaterial().orElseThrow().sha256Fingerprint();
        first.close();

        IngestServer second = started(config(0, IngestServer.freePort()));

        assertThat(second.tlsMaterial().orElseThrow().sha256Fingerprint()).isEqualTo(fingerprint);
        try (HttpClient client = httpsClient(dataDir.resolve("tls/agent-cert.pem"))) {
            assertThat(client.send(get("https://127.0.0.1:" + second.httpsPort() + "/v2/enqueue"),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void acceptsAClientLimitedToOneModernProtocol(String protocol) throws Exception {
        IngestServer server = started(config(0, IngestServer.freePort()));
        SSLParameters only = new SSLParameters();
        only.setProtocols(new String[] {protocol});

        try (HttpClient client = HttpClient.newBuilder()
                .sslContext(trusting(dataDir.resolve("tls/agent-cert.pem")))
                .sslParameters(only)
                .build()) {
            HttpResponse<String> response = client.send(get("https://127.0.0.1:" + server.httpsPort() + "/v2/enqueue"),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(202);
            assertThat(response.sslSession()).get().extracting(s -> s.getProtocol()).isEqualTo(protocol);
        }
    }

    /**
     * The JDK client refuses to speak TLS 1.0/1.1 at all, so the hello is written by hand: a server
     * that took it would answer with a handshake record (22), the agent answers with an alert (21) or
     * hangs up. The same hello offering TLS 1.2 gets a ServerHello, which shows the hello is sound.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void refusesTls10AndTls11(int minorVersion) throws Exception {
        IngestServer server = started(config(0, IngestServer.freePort()));

        assertThat(firstRecordType(server.httpsPort(), 3)).as("TLS 1.2 control").isEqualTo(22);
        assertThat(firstRecordType(server.httpsPort(), minorVersion)).isIn(21, -1);
    }

    @Test
    void answersOversizedHeadersWith431AndAJsonBody() throws Exception {
        IngestServer server = started(config(IngestServer.freePort(), 0));
        String big = "x".repeat(IngestServer.REQUEST_HEADER_BYTES + 100);

        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.httpPort())) {
            RawResponse response = exchange(socket, ("GET /v2/enqueue HTTP/1.1\r\nHost: localhost\r\nX-Big: " + big
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));

            assertThat(response.status()).isEqualTo(431);
            assertThat(response.header("content-type")).startsWith("application/json");
            assertThat(response.body()).startsWith("{\"status\":\"Request Header Fields Too Large\"");
        }
    }

    @Test
    void answersUnhandledPathsAndHandlerFailuresWithJsonAndNoExceptionText() throws Exception {
        IngestServer server = started(config(IngestServer.freePort(), 0));

        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> missing = client.send(get("http://127.0.0.1:" + server.httpPort() + "/nothing-here"),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> boom = client.send(get("http://127.0.0.1:" + server.httpPort() + "/boom"),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.headers().firstValue("content-type")).get().asString().startsWith("application/json");
            assertThat(missing.body()).isEqualTo("{\"status\":\"Not Found\",\"message\":\"Not Found\",\"errors\":[\"Not Found\"]}");
            assertThat(boom.statusCode()).isEqualTo(500);
            assertThat(boom.body()).startsWith("{\"status\":\"Server Error\"").doesNotContain("secret detail");
        }
    }

    @Test
    void closeStopsAcceptingAndLetsTheRequestUnderWayFinish() throws Exception {
        IngestServer server = started(config(IngestServer.freePort(), 0));
        int port = server.httpPort();
        try (HttpClient client = HttpClient.newHttpClient()) {
            CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
                    get("http://127.0.0.1:" + port + "/slow"), HttpResponse.BodyHandlers.ofString());
            assertThat(slowEntered.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();

            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            await().atMost(TIMEOUT).until(() -> refusesConnections(port));
            assertThat(closing).isNotDone();
            slowRelease.countDown();

            assertThat(slow.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).statusCode()).isEqualTo(202);
            closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void refusesNewRequestsOnKeptAliveConnectionsWhileStopping() throws Exception {
        IngestServer server = started(config(IngestServer.freePort(), 0));
        int port = server.httpPort();
        try (HttpClient client = HttpClient.newHttpClient();
             Socket keptAlive = new Socket(InetAddress.getLoopbackAddress(), port)) {
            assertThat(exchange(keptAlive, post("/v2/enqueue", "{}")).status()).isEqualTo(202);
            CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
                    get("http://127.0.0.1:" + port + "/slow"), HttpResponse.BodyHandlers.ofString());
            assertThat(slowEntered.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();

            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(10)).until(() -> refusesConnections(port));
            try {
                RawResponse refused = exchange(keptAlive, post("/v2/enqueue", "{}"));

                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.header("content-type")).startsWith("application/json");
            } catch (IOException closedMeanwhile) {
                // Jetty closes idle connections one second into a graceful stop; on a stalled machine
                // that may come first, which refuses the request just as well
            }
            slowRelease.countDown();
            assertThat(slow.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).statusCode()).isEqualTo(202);
            closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void closeGivesUpOnARequestThatOutlastsTheStopTimeout() throws Exception {
        IngestServer server = new IngestServer(config(IngestServer.freePort(), 0), new TestHandler(), Duration.ofMillis(200));
        toClose.add(server);
        server.start();
        try (HttpClient client = HttpClient.newHttpClient()) {
            CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
                    get("http://127.0.0.1:" + server.httpPort() + "/slow"), HttpResponse.BodyHandlers.ofString());
            assertThat(slowEntered.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();

            assertTimeoutPreemptively(Duration.ofSeconds(10), server::close);
            slowRelease.countDown();
            assertThat(slow).failsWithin(TIMEOUT);
        }
    }

    @Test
    void closeIsIdempotentAndHarmlessBeforeStart() {
        IngestServer neverStarted = new IngestServer(config(IngestServer.freePort(), 0), new TestHandler());
        neverStarted.close();
        neverStarted.close();

        IngestServer server = started(config(IngestServer.freePort(), 0));
        server.close();
        server.close();
        assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void refusesToStartWithBothPortsOff() {
        IngestServer server = new IngestServer(config(0, 0), new TestHandler());

        assertThatThrownBy(server::start)
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PDAGENTD_HTTP_PORT")
                .hasMessageContaining("PDAGENTD_HTTPS_PORT")
                .hasMessageContaining("both 0");
    }

    @Test
    void namesTheHttpPortAndItsVariableWhenThePortIsTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            IngestServer server = new IngestServer(config(taken.getLocalPort(), 0), new TestHandler());
            toClose.add(server);

            assertThatThrownBy(server::start)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("PDAGENTD_HTTP_PORT")
                    .hasMessageContaining("port " + taken.getLocalPort())
                    .hasMessageContaining("already in use");
        }
    }

    @Test
    void namesTheHttpsPortAndReleasesTheHttpPortWhenTheHttpsPortIsTaken() throws Exception {
        int httpPort = IngestServer.freePort();
        try (ServerSocket taken = new ServerSocket(0)) {
            IngestServer server = new IngestServer(config(httpPort, taken.getLocalPort()), new TestHandler());
            toClose.add(server);

            assertThatThrownBy(server::start)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("PDAGENTD_HTTPS_PORT")
                    .hasMessageContaining("port " + taken.getLocalPort());
        }
        try (ServerSocket again = new ServerSocket(httpPort)) {
            assertThat(again.getLocalPort()).isEqualTo(httpPort);
        }
    }

    @Test
    void failsOnAMismatchedTlsKeyBeforeBindingAnyPort(@TempDir Path tmp) throws Exception {
        TlsMaterial one = TlsMaterial.selfSigned(tmp.resolve("one"));
        TlsMaterial two = TlsMaterial.selfSigned(tmp.resolve("two"));
        int httpPort = IngestServer.freePort();
        AgentConfig.IngestConfig config = new AgentConfig.IngestConfig("127.0.0.1", httpPort, IngestServer.freePort(),
                one.certificateFile(), two.certificateFile().resolveSibling("agent-key.pem"), 512 * 1024, dataDir);
        IngestServer server = new IngestServer(config, new TestHandler());
        toClose.add(server);

        assertThatThrownBy(server::start)
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("PDAGENTD_TLS_KEY_FILE: ")
                .hasMessageContaining("does not belong to the certificate");
        try (ServerSocket again = new ServerSocket(httpPort)) {
            assertThat(again.getLocalPort()).isEqualTo(httpPort);
        }
    }

    // ---- helpers

    private AgentConfig.IngestConfig config(int httpPort, int httpsPort) {
        return new AgentConfig.IngestConfig("127.0.0.1", httpPort, httpsPort, null, null, 512 * 1024, dataDir);
    }

    private IngestServer started(AgentConfig.IngestConfig config) {
        IngestServer server = new IngestServer(config, new TestHandler());
        toClose.add(server);
        server.start();
        return server;
    }

    /** 202 with a small JSON body on /v2/*; /slow waits for the test; /boom throws; anything else is unhandled. */
    private final class TestHandler extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String path = Request.getPathInContext(request);
            if (path.equals("/boom")) {
                throw new IllegalStateException("secret detail");
            }
            if (path.equals("/slow")) {
                slowEntered.countDown();
                slowRelease.await();
            } else if (!path.startsWith("/v2/")) {
                return false;
            }
            response.setStatus(202);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            Content.Sink.write(response, true, "{\"status\":\"success\"}", callback);
            return true;
        }
    }

    static SSLContext trusting(Path certificatePem) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = java.nio.file.Files.newInputStream(certificatePem)) {
            trust.setCertificateEntry("agent",
                    (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    static HttpClient httpsClient(Path certificatePem) throws Exception {
        return HttpClient.newBuilder().sslContext(trusting(certificatePem)).connectTimeout(TIMEOUT).build();
    }

    static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).build();
    }

    private static boolean refusesConnections(int port) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return !socket.isConnected();
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static byte[] post(String path, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(body);
        return out.toByteArray();
    }

    record RawResponse(int status, java.util.Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Writes one request and reads one Content-Length framed response from the same connection. */
    private static RawResponse exchange(Socket socket, byte[] request) throws IOException {
        socket.setSoTimeout((int) TIMEOUT.toMillis());
        socket.getOutputStream().write(request);
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        String statusLine = readLine(in);
        java.util.Map<String, String> headers = new java.util.HashMap<>();
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        return new RawResponse(Integer.parseInt(statusLine.split(" ")[1]), headers, body);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed mid-response");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    /** Sends a hand-made ClientHello for TLS 1.{minor-1} and returns the content type of the first record back, or -1. */
    private static int firstRecordType(int port, int minor) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(clientHello(minor));
            out.flush();
            try {
                return socket.getInputStream().read();
            } catch (java.net.SocketException e) {
                return -1; // reset by the server
            }
        }
    }

    private static byte[] clientHello(int minor) {
        ByteArrayOutputStream hello = new ByteArrayOutputStream();
        hello.write(3);
        hello.write(minor);
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        hello.writeBytes(random);
        hello.write(0); // no session id
        int[] suites = {0xC02F, 0xC030, 0xC02B, 0xC013, 0xC014, 0x002F, 0x0035};
        writeShort(hello, suites.length * 2);
        for (int s : suites) {
            writeShort(hello, s);
        }
        hello.write(1); // one compression method: null
        hello.write(0);
        byte[] extensions = {
            0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, // supported_groups: secp256r1
            0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, // ec_point_formats: uncompressed
            0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x08, 0x04, 0x04, 0x01, 0x04, 0x03, // signature_algorithms
        };
        writeShort(hello, extensions.length);
        hello.writeBytes(extensions);

        byte[] body = hello.toByteArray();
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.write(22); // handshake
        record.write(3);
        record.write(1); // record layer version TLS 1.0, as real clients send
        writeShort(record, body.length + 4);
        record.write(1); // client_hello
        record.write(0);
        writeShort(record, body.length);
        record.writeBytes(body);
        return record.toByteArray();
    }

    private static void writeShort(ByteArrayOutputStream out, int value) {
        out.write(value >>> 8);
        out.write(value & 0xFF);
    }
}
