package io.pdaltagent.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Certificate reload and client certificates on HTTPS ingest, over real TLS connections. */
class ServerTlsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final List<IngestServer> servers = new ArrayList<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(ServerTls.class);
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void captureLogs() {
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(logs);
        servers.forEach(IngestServer::close);
    }

    @Test
    void aReplacedCertificateIsServedToNewHandshakesWhileOpenConnectionsGoOn() throws Exception {
        OpenSsl.Pair live = OpenSsl.selfSigned(dir, "first", "rsa");
        OpenSsl.Pair second = OpenSsl.selfSigned(dir, "second", "ec");
        IngestServer server = start(config(live, AgentConfig.TlsOptions.DEFAULT.clientCaFile(),
                AgentConfig.TlsOptions.ClientAuth.NONE, Duration.ZERO));
        String first = TlsMaterial.sha256Fingerprint(OpenSsl.peerCertificate(server.httpsPort()));
        assertThat(first).isEqualTo(TlsMaterial.fromPemFiles(live.cert(), live.key()).sha256Fingerprint());

        try (SSLSocket open = trustAllSocket(server.httpsPort())) {
            open.startHandshake();
            OpenSsl.replace(second, live);
            assertThat(server.tls().orElseThrow().checkNow()).isTrue();

            String now = TlsMaterial.sha256Fingerprint(OpenSsl.peerCertificate(server.httpsPort()));
            assertThat(now).isNotEqualTo(first)
                    .isEqualTo(TlsMaterial.fromPemFiles(second.cert(), second.key()).sha256Fingerprint());
            // the connection opened before the reload still serves requests
            assertThat(get(open)).startsWith("HTTP/1.1 202");
        }
        assertThat(server.tls().orElseThrow().checkNow()).as("nothing changed since").isFalse();
    }

    @Test
    void theWatchPicksUpANewCertificateByItself() throws Exception {
        OpenSsl.Pair live = OpenSsl.selfSigned(dir, "first", "rsa");
        OpenSsl.Pair second = OpenSsl.selfSigned(dir, "second", "rsa");
        IngestServer server = start(config(live, null, AgentConfig.TlsOptions.ClientAuth.NONE, Duration.ofSeconds(1)));
        String expected = TlsMaterial.fromPemFiles(second.cert(), second.key()).sha256Fingerprint();
        OpenSsl.replace(second, live);
        await().atMost(TIMEOUT).until(() ->
                TlsMaterial.sha256Fingerprint(OpenSsl.peerCertificate(server.httpsPort())).equals(expected));
    }

    @Test
    void aBadNewCertificateKeepsTheOldOneAndIsReportedOnce() throws Exception {
        OpenSsl.Pair live = OpenSsl.selfSigned(dir, "first", "rsa");
        OpenSsl.Pair other = OpenSsl.selfSigned(dir, "other", "rsa");
        IngestServer server = start(config(live, null, AgentConfig.TlsOptions.ClientAuth.NONE, Duration.ZERO));
        String first = TlsMaterial.sha256Fingerprint(OpenSsl.peerCertificate(server.httpsPort()));

        // a renewal that wrote the certificate but not yet its key: not an error yet
        Files.copy(other.cert(), live.cert(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ServerTls tls = server.tls().orElseThrow();
        assertThat(tls.checkNow()).isFalse();
        assertThat(errors()).isEmpty();
        // still mismatched at the next look: one ERROR, however often it is looked at again
        assertThat(tls.checkNow()).isFalse();
        assertThat(tls.checkNow()).isFalse();
        assertThat(errors()).hasSize(1);
        assertThat(errors().get(0)).contains("ingest").contains("PDAGENTD_TLS_KEY_FILE").contains("previous one");
        assertThat(TlsMaterial.sha256Fingerprint(OpenSsl.peerCertificate(server.httpsPort()))).isEqualTo(first);

        // garbage is a new content: reported once too
        Files.writeString(live.cert(), "not a certificate");
        tls.checkNow();
        tls.checkNow();
        assertThat(errors()).hasSize(2);
        assertThat(TlsMaterial.sha256Fingerprint(OpenSsl.peerCertificate(server.httpsPort()))).isEqualTo(first);

        // fixed: the key arrives
        Files.copy(other.cert(), live.cert(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(other.key(), live.key(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(tls.checkNow()).isTrue();
        assertThat(TlsMaterial.sha256Fingerprint(OpenSsl.peerCertificate(server.httpsPort())))
                .isEqualTo(TlsMaterial.fromPemFiles(other.cert(), other.key()).sha256Fingerprint());
    }

    @Test
    void requiredClientCertificatesRefuseAClientWithoutOneOrWithAnUnknownOne() throws Exception {
        OpenSsl.Pair ca = OpenSsl.selfSigned(dir, "clients-ca", "ec");
        OpenSsl.Pair client = OpenSsl.signedBy(ca, dir, "client");
        OpenSsl.Pair stranger = OpenSsl.signedBy(OpenSsl.selfSigned(dir, "other-ca", "ec"), dir, "stranger");
        IngestServer server = start(config(OpenSsl.selfSigned(dir, "server", "rsa"), ca.cert(),
                AgentConfig.TlsOptions.ClientAuth.REQUIRED, Duration.ZERO));

        assertThat(status(server, client)).isEqualTo(202);
        assertThat(status(server, null)).isEqualTo(-1);
        assertThat(offers(server, stranger).succeeded()).isFalse();
        assertThat(offers(server, client).succeeded()).as("control").isTrue();
    }

    @Test
    void optionalClientCertificatesLetAClientWithoutOneInButNotOneWithABadOne() throws Exception {
        OpenSsl.Pair ca = OpenSsl.selfSigned(dir, "clients-ca", "ec");
        OpenSsl.Pair client = OpenSsl.signedBy(ca, dir, "client");
        OpenSsl.Pair stranger = OpenSsl.signedBy(OpenSsl.selfSigned(dir, "other-ca", "ec"), dir, "stranger");
        IngestServer server = start(config(OpenSsl.selfSigned(dir, "server", "rsa"), ca.cert(),
                AgentConfig.TlsOptions.ClientAuth.OPTIONAL, Duration.ZERO));

        assertThat(status(server, client)).isEqualTo(202);
        assertThat(status(server, null)).isEqualTo(202);
        assertThat(offers(server, stranger).succeeded()).isFalse();
        assertThat(offers(server, client).succeeded()).as("control").isTrue();
    }

    @Test
    void anUnreadableClientCaFileStopsTheStartNamingTheVariable() throws Exception {
        Path ca = dir.resolve("ca.pem");
        Files.writeString(ca, "garbage");
        AgentConfig.IngestConfig config = config(OpenSsl.selfSigned(dir, "server", "rsa"), ca,
                AgentConfig.TlsOptions.ClientAuth.REQUIRED, Duration.ZERO);
        IngestServer server = new IngestServer(config, new Accepting());
        servers.add(server);
        assertThatThrownBy(server::start).isInstanceOf(ConfigException.class)
                .hasMessageContaining("PDAGENTD_TLS_CLIENT_CA_FILE");
    }

    // ---- helpers

    private List<String> errors() {
        return logs.list.stream().filter(e -> e.getLevel() == Level.ERROR).map(ILoggingEvent::getFormattedMessage).toList();
    }

    private AgentConfig.IngestConfig config(OpenSsl.Pair pair, Path clientCa, AgentConfig.TlsOptions.ClientAuth auth,
                                            Duration reload) {
        return new AgentConfig.IngestConfig("127.0.0.1", 0, IngestServer.freePort(), pair.cert(), pair.key(), 512 * 1024,
                dir.resolve("data"), new AgentConfig.TlsOptions(clientCa, auth, reload), AgentConfig.Allowlist.ALL);
    }

    private IngestServer start(AgentConfig.IngestConfig config) {
        IngestServer server = new IngestServer(config, new Accepting());
        servers.add(server);
        server.start();
        return server;
    }

    /** The status of a POST over HTTPS presenting {@code clientPair} (or no certificate); -1 when the handshake fails. */
    private static int status(IngestServer server, OpenSsl.Pair clientPair) throws Exception {
        KeyManagerFactory kmf = null;
        if (clientPair != null) {
            TlsMaterial m = TlsMaterial.fromPemFiles(clientPair.cert(), clientPair.key());
            char[] password = "test".toCharArray();
            KeyStore ks = m.keyStore(password);
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf == null ? null : kmf.getKeyManagers(), new TrustManager[] {OpenSsl.TRUST_ALL}, null);
        try (HttpClient client = HttpClient.newBuilder().sslContext(context).connectTimeout(TIMEOUT).build()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.httpsPort() + "/v2/enqueue"))
                    .timeout(TIMEOUT).POST(HttpRequest.BodyPublishers.ofString("{}")).build();
            return client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    /**
     * A TLS 1.2 handshake by openssl presenting {@code pair} whatever CAs the server names (the JDK's
     * client would not send a certificate of another issuer at all).
     */
    private static OpenSsl.Handshake offers(IngestServer server, OpenSsl.Pair pair) {
        return OpenSsl.connect(server.httpsPort(), "-tls1_2", "-cert", pair.cert().toString(), "-key", pair.key().toString());
    }

    private static SSLSocket trustAllSocket(int port) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {OpenSsl.TRUST_ALL}, null);
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
        s.setSoTimeout((int) TIMEOUT.toMillis());
        return s;
    }

    private static String get(SSLSocket socket) throws Exception {
        OutputStream out = socket.getOutputStream();
        out.write("GET /v2/enqueue HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }

    /** 202 with a small JSON body for anything. */
    private static final class Accepting extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(202);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            Content.Sink.write(response, true, "{\"status\":\"success\"}", callback);
            return true;
        }
    }
}
