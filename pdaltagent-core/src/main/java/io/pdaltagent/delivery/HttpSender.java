package io.pdaltagent.delivery;

import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.QueuedItem;
import java.io.IOException;
import java.net.Authenticator;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;

/**
 * Delivers over HTTP(S) with the JDK's client: pooled keep-alive connections, HTTP/1.1 (what the
 * events host and every proxy speak), proxies from the environment. Events go to
 * {@code eventsBaseUrl + target}; webhooks to their own URL.
 *
 * <p>Memory: this runs for every event at thousands of events a second, up to the delivery
 * concurrency at once, so it allocates little per attempt: an answer's body is copied straight
 * from the client's buffers into one array of its size (at most {@link #MAX_ANSWER_BYTES}), the
 * rest of a longer answer is skipped without copying, and destination URIs are parsed once.
 * (Reading the answer through {@code InputStream.readNBytes} allocated 20 KB per attempt, half of
 * what the whole delivery path allocated; see BENCHMARKS.md.)
 */
public final class HttpSender implements Sender {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** An answer longer than this (never from PagerDuty) costs its connection instead of a read. */
    private static final int DRAIN_BYTES = 64 * 1024;
    /** Destinations whose URI is kept parsed; others (e.g. many integration-key paths) are parsed per attempt. */
    private static final int MAX_CACHED_URIS = 256;
    private static final HttpResponse.BodyHandler<String> BOUNDED_BODY = BoundedBody::new;
    /** See {@link #useSmallReadBuffers}. */
    static final int READ_BUFFER_BYTES = 4096;

    private final Map<Destination, URI> uris = new ConcurrentHashMap<>();

    private final HttpClient client;
    private final String eventsBaseUrl;
    private final Duration timeout;
    private final String userAgent;
    private final WebhookHeaders webhookHeaders;

    /**
     * @param proxies where to send requests through; {@code ProxySelector.of(null)}-like selectors
     *     returning NO_PROXY for direct connections
     * @param proxyAuth credentials for the proxy, or null
     */
    public HttpSender(URI eventsBaseUrl, Duration timeout, ProxySelector proxies, Authenticator proxyAuth, String version) {
        this(eventsBaseUrl, timeout, proxies, proxyAuth, version, WebhookHeaders.unsigned(WebhookHeaders.USER_AGENT_V3));
    }

    /** @param webhookHeaders the headers of {@link Destination#WEBHOOK} items: user agent, id, signature */
    public HttpSender(URI eventsBaseUrl, Duration timeout, ProxySelector proxies, Authenticator proxyAuth, String version,
                      WebhookHeaders webhookHeaders) {
        this(eventsBaseUrl, timeout, proxies, proxyAuth, version, null, null, webhookHeaders);
    }

    /**
     * @param tls the TLS context for https:// (extra trusted CAs, {@code PDAGENTD_CA_FILE}), or null for the JDK's
     * @param localAddress the address connections leave from ({@code PDAGENTD_SOURCE_ADDRESS}), or null
     * @param webhookHeaders the headers of {@link Destination#WEBHOOK} items: user agent, id, signature
     */
    public HttpSender(URI eventsBaseUrl, Duration timeout, ProxySelector proxies, Authenticator proxyAuth, String version,
                      javax.net.ssl.SSLContext tls, java.net.InetAddress localAddress, WebhookHeaders webhookHeaders) {
        this.webhookHeaders = java.util.Objects.requireNonNull(webhookHeaders, "webhookHeaders");
        useSmallReadBuffers();
        this.client = outboundClient(proxies, proxyAuth, tls, localAddress)
                .version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
        String base = eventsBaseUrl.toString();
        this.eventsBaseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.timeout = timeout;
        this.userAgent = "pdaltagent/" + version;
    }

    /**
     * A client builder with the outbound settings every call of the agent shares (deliveries and the
     * webhook poller's REST calls): proxies and their credentials, extra trusted CAs, the source
     * address, a 10 s connect timeout, no redirects followed.
     *
     * <p>{@code proxyAuth}, {@code tls} and {@code localAddress} may each be null.
     */
    public static HttpClient.Builder outboundClient(ProxySelector proxies, Authenticator proxyAuth,
                                                    javax.net.ssl.SSLContext tls, java.net.InetAddress localAddress) {
        HttpClient.Builder b = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(proxies);
        if (proxyAuth != null) {
            b.authenticator(proxyAuth);
        }
        if (tls != null) {
            b.sslContext(tls);
        }
        if (localAddress != null) {
            b.localAddress(localAddress);
        }
        return b;
    }

    /**
     * The JDK client reads each plain-HTTP connection into a heap buffer of
     * {@code jdk.httpclient.bufsize} bytes (16 KiB by default) and keeps it, and often the one before
     * it, for as long as answers fill it: at 512 connections that was 16.8 MB of live heap (heap dump,
     * BENCHMARKS.md) for answers of a few hundred bytes. 4 KiB still holds a whole PagerDuty answer
     * with its headers. Read once, when the client's internals are first loaded: set here, before the
     * first client is built, unless the JVM was started with the property.
     */
    static void useSmallReadBuffers() {
        if (System.getProperty("jdk.httpclient.bufsize") == null) {
            System.setProperty("jdk.httpclient.bufsize", Integer.toString(READ_BUFFER_BYTES));
        }
    }

    URI uriOf(Destination d) {
        URI uri = uris.get(d);
        if (uri == null) {
            uri = parse(d);
            if (uris.size() < MAX_CACHED_URIS) {
                uris.putIfAbsent(d, uri);
            }
        }
        return uri;
    }

    private URI parse(Destination d) {
        return switch (d.kind()) {
            case Destination.EVENTS -> URI.create(eventsBaseUrl + d.target());
            case Destination.WEBHOOK -> URI.create(d.target());
            default -> throw new IllegalArgumentException("unknown destination kind '" + d.kind() + "'");
        };
    }

    @Override
    public HttpResult send(QueuedItem item) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uriOf(item.destination()))
                .timeout(timeout)
                .header("Content-Type", item.contentType())
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(item.body()));
        if (Destination.WEBHOOK.equals(item.destination().kind())) {
            // as PagerDuty sends its webhooks; the signature is made now, so the secret is never stored
            webhookHeaders.apply(b, item);
        } else {
            b.header("User-Agent", userAgent);
        }
        HttpRequest request = b.build();
        HttpResponse<String> response = client.send(request, BOUNDED_BODY);
        return new HttpResult(response.statusCode(), response.headers().firstValue("Retry-After").orElse(null),
                response.body());
    }

    /**
     * Keeps the first {@link #MAX_ANSWER_BYTES} of an answer's body, as UTF-8 text. A remainder of at
     * most {@link #DRAIN_BYTES} is read and dropped, so that the connection can carry the next
     * request; past that the body is cut off, which costs the connection (the client closes it).
     */
    static final class BoundedBody implements HttpResponse.BodySubscriber<String> {
        /** First array for an answer without Content-Length; PagerDuty's answers are ~100 bytes. */
        private static final int INITIAL = 256;

        private final CompletableFuture<String> result = new CompletableFuture<>();
        private final int expected;
        private Flow.Subscription subscription;
        private byte[] head;
        private int kept;
        private long seen;
        private boolean done;

        BoundedBody(HttpResponse.ResponseInfo info) {
            long length = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            this.expected = length < 0 ? -1 : (int) Math.min(length, MAX_ANSWER_BYTES);
        }

        @Override
        public CompletionStage<String> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (done) {
                return;
            }
            for (ByteBuffer b : buffers) {
                int n = b.remaining();
                seen += n;
                int take = Math.min(n, MAX_ANSWER_BYTES - kept);
                if (take > 0) {
                    if (head == null || head.length - kept < take) {
                        int want = Math.max(kept + take, expected >= 0 ? expected : INITIAL);
                        int size = head == null ? want : Math.max(want, Math.min(2 * head.length, MAX_ANSWER_BYTES));
                        head = head == null ? new byte[size] : Arrays.copyOf(head, size);
                    }
                    b.get(head, kept, take);
                    kept += take;
                }
            }
            if (seen > (long) MAX_ANSWER_BYTES + DRAIN_BYTES) {
                subscription.cancel();
                finish();
            }
        }

        @Override
        public void onError(Throwable t) {
            if (!done) {
                done = true;
                result.completeExceptionally(t);
            }
        }

        @Override
        public void onComplete() {
            finish();
        }

        private void finish() {
            if (!done) {
                done = true;
                result.complete(kept == 0 ? "" : new String(head, 0, kept, StandardCharsets.UTF_8));
            }
        }
    }
}
