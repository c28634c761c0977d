package io.pdaltagent.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.config.ConfigException;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.TestCertificate;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PDAGENTD_CA_FILE: a PEM bundle trusted on top of the JDK's CAs; PDAGENTD_SOURCE_ADDRESS. */
class TrustBundleTest {
    @TempDir
    Path dir;

    private static final String BODY = "{\"routing_key\":\"" + "k".repeat(32) + "\",\"event_action\":\"trigger\","
            + "\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\"}}";

    private static QueuedItem item() {
        return new QueuedItem(1, "k".repeat(32), Destination.events("/v2/enqueue"), "application/json",
                BODY.getBytes(StandardCharsets.UTF_8), "d", Instant.now(), DeliveryState.IN_FLIGHT, 1, Instant.now(), 0, null);
    }

    private Path pem(TestCertificate cert) throws Exception {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.certificate().getEncoded());
        Path f = dir.resolve("bundle.pem");
        Files.writeString(f, "# a comment line before the block\n-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n");
        return f;
    }

    @Test
    void aServerSignedByTheBundleIsTrustedAndOnlyWithIt() throws Exception {
        TestCertificate cert = TestCertificate.shared();
        try (FakePagerDuty pd = FakePagerDuty.builder().tls(cert).start()) {
            HttpSender plain = new HttpSender(URI.create(pd.baseUrl()), Duration.ofSeconds(10), ProxySelector.of(null), null, "test");
            assertThatThrownBy(() -> plain.send(item())).isInstanceOf(IOException.class);
            HttpSender trusting = new HttpSender(URI.create(pd.baseUrl()), Duration.ofSeconds(10), ProxySelector.of(null), null, "test",
                    TrustBundle.context(pem(cert)), InetAddress.getLoopbackAddress(),
                    WebhookHeaders.unsigned(WebhookHeaders.USER_AGENT_V3));
            assertThat(trusting.send(item()).status()).isEqualTo(202);
            assertThat(pd.acceptedCount()).isEqualTo(1);
        }
    }

    @Test
    void aFileWithoutCertificatesIsASettingError() throws Exception {
        Path f = dir.resolve("empty.pem");
        Files.writeString(f, "nothing here\n");
        assertThatThrownBy(() -> TrustBundle.context(f)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("PDAGENTD_CA_FILE: " + f);
        assertThatThrownBy(() -> TrustBundle.context(dir.resolve("missing.pem"))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("PDAGENTD_CA_FILE: cannot read");
    }
}
