package io.pdaltagent.delivery;

import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.QueuedItem;
import java.io.IOException;
import java.io.InputStream;
import java.net.Authenticator;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * Delivers over HTTP(S) with the JDK's client: pooled keep-alive connections, HTTP/1.1 (what the
 * events host and every proxy speak), proxies from the environment. Events go to
 * {@code eventsBaseUrl + target}; webhooks to their own URL.
 */
public final class HttpSender implements Sender {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** An answer longer than this (never from PagerDuty) costs its connection instead of a read. */
    private static final int DRAIN_BYTES = 64 * 1024;

    private final HttpClient client;
    private final String eventsBaseUrl;
    private final Duration timeout;
    private final String userAgent;

    /**
     * @param proxies where to send requests through; {@code ProxySelector.of(null)}-like selectors
     *     returning NO_PROXY for direct connections
     * @param proxyAuth credentials for the proxy, or null
     */
    public HttpSender(URI eventsBaseUrl, Duration timeout, ProxySelector proxies, Authenticator proxyAuth, String version) {
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(proxies)
                .executor(Executors.newVirtualThreadPerTaskExecutor());
        if (proxyAuth != null) {
            b.authenticator(proxyAuth);
        }
        this.client = b.build();
        String base = eventsBaseUrl.toString();
        this.eventsBaseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.timeout = timeout;
        this.userAgent = "pdaltagent/" + version;
    }

    URI uriOf(Destination d) {
        return switch (d.kind()) {
            case Destination.EVENTS -> URI.create(eventsBaseUrl + d.target());
            case Destination.WEBHOOK -> URI.create(d.target());
            default -> throw new IllegalArgumentException("unknown destination kind '" + d.kind() + "'");
        };
    }

    @Override
    public HttpResult send(QueuedItem item) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uriOf(item.destination()))
                .timeout(timeout)
                .header("Content-Type", item.contentType())
                .header("User-Agent", userAgent)
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(item.body()))
                .build();
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        String body;
        try (InputStream in = response.body()) {
            byte[] head = in.readNBytes(MAX_ANSWER_BYTES);
            // drain a short remainder so the connection can be reused; a long one is cut off
            in.readNBytes(DRAIN_BYTES);
            body = new String(head, StandardCharsets.UTF_8);
        }
        return new HttpResult(response.statusCode(), response.headers().firstValue("Retry-After").orElse(null), body);
    }
}
