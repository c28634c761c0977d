package io.pdaltagent.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.QueuedItem;
import io.pdaltagent.testing.WebhookReceiver;
import java.net.ProxySelector;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Webhook deliveries over HTTP to a receiver that knows only the secret. */
class WebhookHeadersTest {
    static QueuedItem item(String url, String body, String id) {
        return new QueuedItem(1, "PINC1", new Destination(Destination.WEBHOOK, url), "application/json",
                body.getBytes(StandardCharsets.UTF_8), id, Instant.now(), DeliveryState.IN_FLIGHT, 1, Instant.now(), 0, null);
    }

    @Test
    void aSignedWebhookIsAcceptedByAReceiverThatHasOnlyTheSecret() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start("s3cret")) {
            HttpSender signed = new HttpSender(URI.create("http://127.0.0.1:9"), Duration.ofSeconds(10), ProxySelector.of(null),
                    null, "test", WebhookHeaders.of(WebhookHeaders.USER_AGENT_V3, "s3cret"));
            assertThat(signed.send(item(receiver.url(), "{\"event\":{\"id\":\"w1\"}}", "w1")).status()).isEqualTo(204);
            HttpSender wrong = new HttpSender(URI.create("http://127.0.0.1:9"), Duration.ofSeconds(10), ProxySelector.of(null),
                    null, "test", WebhookHeaders.of(WebhookHeaders.USER_AGENT_V3, "not-the-secret"));
            assertThat(wrong.send(item(receiver.url(), "{\"event\":{\"id\":\"w2\"}}", "w2")).status()).isEqualTo(403);
            await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() == 2);
            WebhookReceiver.Received r = receiver.received().get(0);
            assertThat(r.header("User-Agent")).isEqualTo("PagerDuty-Webhook/V3.0");
            assertThat(r.header("X-Webhook-Id")).isEqualTo("w1");
            assertThat(r.header("X-PagerDuty-Signature")).startsWith("v1=").hasSize(3 + 64);
        }
    }

    @Test
    void theSignatureIsTheHmacSha256HexOfTheRawBody() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assertThat(WebhookHeaders.of(WebhookHeaders.USER_AGENT_V3, "Jefe")
                .signature("what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("v1=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
