package io.pdaltagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.admin.AgentEndpoint;
import io.pdaltagent.config.EnvConfig;
import io.pdaltagent.testing.AgentProcess;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code PDAGENTD_ADMIN_TLS}: the admin listener and dashboard over HTTPS, with a Secure session cookie. */
class AdminHttpsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private Agent agent;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
    }

    @Test
    void servesTheAdminApiAndDashboardOverHttpsWithTheIngestCertificate() throws Exception {
        int adminPort = AgentProcess.freePort();
        Map<String, String> env = new HashMap<>();
        env.put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        env.put("PDAGENTD_HTTP_PORT", String.valueOf(AgentProcess.freePort()));
        env.put("PDAGENTD_HTTPS_PORT", "0");
        env.put("PDAGENTD_ADMIN_PORT", String.valueOf(adminPort));
        env.put("PDAGENTD_ADMIN_TLS", "true");
        env.put("PDAGENTD_EVENTS_BASE_URL", "http://127.0.0.1:9");
        agent = Agent.start(EnvConfig.load(env), Clock.systemUTC());

        // the generated self-signed pair of the data dir, as HTTPS ingest would use
        Path cert = dir.resolve("data/tls/agent-cert.pem");
        try (HttpClient https = HttpClient.newBuilder().sslContext(trusting(cert)).connectTimeout(TIMEOUT).build()) {
            String base = "https://127.0.0.1:" + adminPort;
            assertThat(https.send(get(base + "/admin/v1/queue/status"), HttpResponse.BodyHandlers.discarding())
                    .statusCode()).isEqualTo(200);
            HttpResponse<String> page = https.send(get(base + "/dashboard"), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().allValues("Set-Cookie")).singleElement().asString()
                    .contains("HttpOnly").contains("Secure");
        }
        // plain HTTP is not served on that port
        try (HttpClient plain = HttpClient.newBuilder().connectTimeout(TIMEOUT).build()) {
            assertThatThrownBy(() -> plain.send(get("http://127.0.0.1:" + adminPort + "/healthz"),
                    HttpResponse.BodyHandlers.discarding())).isInstanceOf(java.io.IOException.class);
        }
        // pd-queue finds it under its https:// URL
        assertThat(AgentEndpoint.read(dir.resolve("data")).url().toString()).isEqualTo("https://127.0.0.1:" + adminPort);
    }

    private static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).build();
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            trust.setCertificateEntry("agent", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
