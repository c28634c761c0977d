package io.pdaltagent.rabbitmq.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.rabbitmq.Broker;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.TestCertificate;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * amqps:// through bin/pdagentd: the broker's certificate is checked against the JVM's trust store
 * (here one holding the test certificate) and its host name against the URL's; a broker the agent
 * cannot trust stops it at start with the reason.
 */
@Timeout(120)
class BrokerTlsIT {
    @TempDir
    Path dir;
    String vhost;
    TlsRelay relay;
    Path trustStore;

    @BeforeEach
    void setUp() throws Exception {
        vhost = Broker.newVhost();
        TestCertificate cert = TestCertificate.generate(dir);
        relay = new TlsRelay(cert, 5672);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("broker", cert.certificate());
        trustStore = dir.resolve("trust.p12");
        try (OutputStream out = Files.newOutputStream(trustStore)) {
            trust.store(out, "changeit".toCharArray());
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        relay.close();
        Broker.deleteVhost(vhost);
    }

    private AgentProcess agent(String host, boolean trusted, String pdUrl) {
        Map<String, String> env = new HashMap<>(Map.of(
                "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                "PDAGENTD_BROKER_URL", "amqps://guest:guest@" + host + ":" + relay.port() + "/"
                        + URLEncoder.encode(vhost, StandardCharsets.UTF_8),
                "PDAGENTD_BROKER_PARTITIONS", "4",
                "PDAGENTD_EVENTS_BASE_URL", pdUrl));
        if (trusted) {
            env.put("JAVA_TOOL_OPTIONS", "-Djavax.net.ssl.trustStore=" + trustStore
                    + " -Djavax.net.ssl.trustStorePassword=changeit");
        }
        return new AgentProcess(env, dir.resolve("agent-" + host + "-" + trusted + ".log"));
    }

    @Test
    void eventsGoThroughATlsBrokerConnection() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().start();
             AgentProcess a = agent("localhost", true, pd.baseUrl()).startAndAwaitHealthy()) {
            String body = "{\"routing_key\":\"tlsbroker00000000000000000000000\",\"event_action\":\"trigger\","
                    + "\"payload\":{\"summary\":\"over amqps\",\"source\":\"host\",\"severity\":\"info\"}}";
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(a.baseUrl() + "/v2/enqueue")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount() == 1);
            String health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(a.baseUrl() + "/healthz"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(health).contains("\"url\":\"amqps://guest@localhost:" + relay.port());
        }
    }

    @Test
    void aBrokerCertificateTheAgentDoesNotTrustStopsIt() throws Exception {
        try (AgentProcess a = agent("localhost", false, "http://127.0.0.1:9").start()) {
            assertThat(a.process().waitFor(60, TimeUnit.SECONDS)).as("pdagentd exits").isTrue();
            assertThat(a.process().exitValue()).isNotZero();
            assertThat(a.logText()).contains("broker").containsIgnoringCase("certification path")
                    .doesNotContain("guest:guest");
        }
    }

    @Test
    void aBrokerCertificateForAnotherHostStopsIt() throws Exception {
        try (AgentProcess a = agent("127.0.0.2", true, "http://127.0.0.1:9").start()) {
            assertThat(a.process().waitFor(60, TimeUnit.SECONDS)).as("pdagentd exits").isTrue();
            assertThat(a.process().exitValue()).isNotZero();
            assertThat(a.logText()).contains("broker").containsIgnoringCase("127.0.0.2");
        }
    }
}
