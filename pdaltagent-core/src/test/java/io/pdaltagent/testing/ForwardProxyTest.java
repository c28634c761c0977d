package io.pdaltagent.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.PasswordAuthentication;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ForwardProxyTest {
    private static final String KEY = "0123456789abcdef0123456789abcdef";
    private static final String EVENT = "{\"routing_key\":\"" + KEY + "\",\"event_action\":\"trigger\",\"dedup_key\":\"d1\","
            + "\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\"}}";

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
    }

    private <T extends AutoCloseable> T use(T resource) {
        resources.add(resource);
        return resource;
    }

    private HttpClient clientThrough(ForwardProxy proxy, Authenticator authenticator) {
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).proxy(proxy.selector())
                .connectTimeout(Duration.ofSeconds(5));
        if (authenticator != null) {
            b.authenticator(authenticator);
        }
        return use(b.build());
    }

    private static HttpRequest enqueue(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(EVENT)).build();
    }

    private static Authenticator proxyCredentials(String user, String password) {
        return new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                return getRequestorType() == RequestorType.PROXY ? new PasswordAuthentication(user, password.toCharArray()) : null;
            }
        };
    }

    @Test
    void relaysAnAbsoluteFormRequestToAnHttpTarget() throws Exception {
        FakePagerDuty fake = use(FakePagerDuty.builder().start());
        ForwardProxy proxy = use(ForwardProxy.start());

        HttpResponse<String> r = clientThrough(proxy, null).send(enqueue(fake.url("/v2/enqueue")), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(r.body()).contains("\"dedup_key\":\"d1\"");
        assertThat(proxy.relayed()).isEqualTo(1);
        assertThat(proxy.tunnels()).isZero();
        assertThat(proxy.requests()).containsExactly("POST " + fake.url("/v2/enqueue"));
        assertThat(fake.received()).singleElement().satisfies(e -> {
            assertThat(e.path()).isEqualTo("/v2/enqueue");
            assertThat(e.bodyAsString()).isEqualTo(EVENT);
        });
    }

    @Test
    void relaysManyConcurrentRequests() {
        FakePagerDuty fake = use(FakePagerDuty.builder().latency(Duration.ofMillis(50)).start());
        ForwardProxy proxy = use(ForwardProxy.start());
        HttpClient client = clientThrough(proxy, null);

        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            answers.add(client.sendAsync(enqueue(fake.url("/v2/enqueue")), HttpResponse.BodyHandlers.ofString()));
        }

        assertThat(answers).allSatisfy(a -> assertThat(a.join().statusCode()).isEqualTo(202));
        assertThat(proxy.relayed()).isEqualTo(50);
        assertThat(fake.acceptedCount()).isEqualTo(50);
    }

    @Test
    void tunnelsAnHttpsTargetThroughConnect() throws Exception {
        TestCertificate cert = TestCertificate.shared();
        FakePagerDuty fake = use(FakePagerDuty.builder().tls(cert).start());
        ForwardProxy proxy = use(ForwardProxy.start());
        HttpClient client = use(HttpClient.newBuilder().proxy(proxy.selector()).sslContext(cert.clientContext()).build());

        HttpResponse<String> r = client.send(enqueue(fake.url("/v2/enqueue")), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(proxy.tunnels()).isEqualTo(1);
        assertThat(proxy.relayed()).isEqualTo(1);
        assertThat(proxy.requests()).containsExactly("CONNECT 127.0.0.1:" + fake.port());
        assertThat(fake.count()).isEqualTo(1);
    }

    @Test
    void answers407WhenCredentialsAreRequiredAndMissing() throws Exception {
        FakePagerDuty fake = use(FakePagerDuty.builder().start());
        ForwardProxy proxy = use(ForwardProxy.builder().basicAuth("relay", "s3cret").start());

        HttpResponse<String> r = clientThrough(proxy, null).send(enqueue(fake.url("/v2/enqueue")), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(407);
        assertThat(r.headers().firstValue("Proxy-Authenticate")).hasValue("Basic realm=\"test-proxy\"");
        assertThat(proxy.rejected()).isEqualTo(1);
        assertThat(proxy.relayed()).isZero();
        assertThat(fake.count()).isZero();
    }

    @Test
    void relaysOnceTheClientAnswersTheChallengeWithBasicCredentials() throws Exception {
        FakePagerDuty fake = use(FakePagerDuty.builder().start());
        ForwardProxy proxy = use(ForwardProxy.builder().basicAuth("relay", "s3cret").start());
        HttpClient client = clientThrough(proxy, proxyCredentials("relay", "s3cret"));

        HttpResponse<String> r = client.send(enqueue(fake.url("/v2/enqueue")), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(proxy.relayed()).isEqualTo(1);
        assertThat(fake.received()).singleElement()
                .satisfies(e -> assertThat(e.header("Proxy-Authorization")).as("stripped by the proxy").isNull());
    }

    @Test
    void refusesWrongCredentialsUntilTheClientGivesUp() {
        FakePagerDuty fake = use(FakePagerDuty.builder().start());
        ForwardProxy proxy = use(ForwardProxy.builder().basicAuth("relay", "s3cret").start());
        HttpClient client = clientThrough(proxy, proxyCredentials("relay", "wrong"));

        // Java's client retries the challenge a few times, then fails with an IOException, not a 407
        assertThatThrownBy(() -> client.send(enqueue(fake.url("/v2/enqueue")), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(IOException.class).hasMessageContaining("authentication");

        assertThat(proxy.rejected()).isGreaterThan(1);
        assertThat(proxy.relayed()).isZero();
        assertThat(fake.count()).isZero();
    }

    @Test
    void opensATunnelOnlyWithTheRequiredCredentials() throws Exception {
        FakePagerDuty fake = use(FakePagerDuty.builder().start());
        ForwardProxy proxy = use(ForwardProxy.builder().basicAuth("relay", "s3cret").start());
        String target = "127.0.0.1:" + fake.port();
        String credentials = Base64.getEncoder().encodeToString("relay:s3cret".getBytes(StandardCharsets.UTF_8));

        try (Socket refused = new Socket("127.0.0.1", proxy.port())) {
            refused.setSoTimeout(10_000);
            refused.getOutputStream().write(("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            assertThat(readAll(refused.getInputStream())).startsWith("HTTP/1.1 407 ");
        }
        try (Socket tunnel = new Socket("127.0.0.1", proxy.port())) {
            tunnel.setSoTimeout(10_000);
            OutputStream out = tunnel.getOutputStream();
            out.write(("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\nProxy-Authorization: Basic " + credentials
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            assertThat(readHead(tunnel.getInputStream())).startsWith("HTTP/1.1 200 ");
            out.write(("POST /v2/enqueue HTTP/1.1\r\nHost: " + target + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + EVENT.length() + "\r\nConnection: close\r\n\r\n" + EVENT).getBytes(StandardCharsets.ISO_8859_1));
            String answer = readAll(tunnel.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 202 ").contains("\"dedup_key\":\"d1\"");
        }
        assertThat(proxy.tunnels()).isEqualTo(1);
        assertThat(proxy.rejected()).isEqualTo(1);
        assertThat(fake.count()).isEqualTo(1);
    }

    @Test
    void answers502WhenTheTargetIsDown() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        ForwardProxy proxy = use(ForwardProxy.start());

        HttpResponse<String> r = clientThrough(proxy, null).send(enqueue("http://127.0.0.1:" + closedPort + "/v2/enqueue"),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(proxy.relayed()).isZero();
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder s = new StringBuilder();
        int b;
        while ((b = in.read()) != -1) {
            s.append((char) b);
            if (s.length() >= 4 && s.substring(s.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        return s.toString();
    }

    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
}
