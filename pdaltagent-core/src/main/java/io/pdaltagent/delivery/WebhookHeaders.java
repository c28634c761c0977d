package io.pdaltagent.delivery;

import io.pdaltagent.queue.QueuedItem;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The headers of a webhook delivery, as PagerDuty sends them: {@code User-Agent:
 * PagerDuty-Webhook/V3.0} (V2.0 for the legacy format), {@code X-Webhook-Id} (the item's dedup key,
 * the same on every retry) and, when a secret is set, {@code X-PagerDuty-Signature:
 * v1=<HMAC-SHA256 hex of the raw body>}. The signature is computed per attempt from the secret held
 * in memory: the secret never reaches the queue's store.
 *
 * <p>Immutable and thread-safe: each signature uses its own {@link Mac} (one per thread, reused).
 */
public final class WebhookHeaders {
    public static final String USER_AGENT_V3 = "PagerDuty-Webhook/V3.0";
    public static final String USER_AGENT_V2 = "PagerDuty-Webhook/V2.0";
    public static final String SIGNATURE_HEADER = "X-PagerDuty-Signature";
    public static final String ID_HEADER = "X-Webhook-Id";
    private static final String HMAC = "HmacSHA256";

    private final String userAgent;
    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;

    private WebhookHeaders(String userAgent, String secretOrNull) {
        this.userAgent = userAgent;
        this.key = secretOrNull == null ? null : new SecretKeySpec(secretOrNull.getBytes(StandardCharsets.UTF_8), HMAC);
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    public static WebhookHeaders unsigned(String userAgent) {
        return new WebhookHeaders(userAgent, null);
    }

    /** @param secretOrNull the shared secret, or null to send webhooks unsigned */
    public static WebhookHeaders of(String userAgent, String secretOrNull) {
        return new WebhookHeaders(userAgent, secretOrNull);
    }

    void apply(HttpRequest.Builder b, QueuedItem item) {
        b.header("User-Agent", userAgent);
        if (item.dedupKey() != null) {
            b.header(ID_HEADER, item.dedupKey());
        }
        if (key != null) {
            b.header(SIGNATURE_HEADER, signature(item.body()));
        }
    }

    /** {@code v1=} and the lower-case hex HMAC-SHA256 of {@code body}; only with a secret. */
    public String signature(byte[] body) {
        if (key == null) {
            throw new IllegalStateException("no secret: webhooks are unsigned");
        }
        Mac mac = macs.get();
        return "v1=" + HexFormat.of().formatHex(mac.doFinal(body));
    }

    private Mac newMac() {
        if (key == null) {
            return null;
        }
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(key);
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("every JDK has HmacSHA256", e);
        }
    }
}
