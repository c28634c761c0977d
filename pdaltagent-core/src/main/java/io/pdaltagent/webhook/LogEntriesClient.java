package io.pdaltagent.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.Authenticator;
import java.net.ProxySelector;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One page of {@code GET /log_entries} from PagerDuty's REST API, with the agent's token, the
 * version header, {@code include[]=incidents&include[]=services} and {@code time_zone=UTC}; every
 * answer becomes one of the {@link Answer} cases, never an exception. Thread-safe (one
 * {@link HttpClient}); the poller calls it serially, as PagerDuty asks of a token's requests.
 */
public final class LogEntriesClient {
    /** PagerDuty's largest page. */
    public static final int PAGE_LIMIT = 100;
    /** PagerDuty answers 400 when offset + limit passes this. */
    public static final int OFFSET_CAP = 10_000;
    /** A page of 100 entries with their incidents is a few hundred KB; more than this is not PagerDuty. */
    static final int MAX_PAGE_BYTES = 16 * 1024 * 1024;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** A 429 without {@code ratelimit-reset}: PagerDuty's limits are per minute. */
    static final Duration DEFAULT_RATE_LIMIT_WAIT = Duration.ofSeconds(60);
    /** A reset further away than this is not believed. */
    static final Duration MAX_RATE_LIMIT_WAIT = Duration.ofMinutes(10);
    private static final int MAX_ERROR_CHARS = 300;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one request gave. */
    public sealed interface Answer {
        /** @param total the count PagerDuty gave for the whole window (asked with {@code total=true}), or null */
        record Page(List<JsonNode> entries, boolean more, Integer total) implements Answer {
        }

        /** 429: wait this long before the next request. */
        record RateLimited(Duration retryIn) implements Answer {
        }

        /** 401 or 403: the token is wrong, revoked or lacks {@code incidents.read}. */
        record Refused(int status, String message) implements Answer {
        }

        /** Anything else: 5xx, another 4xx, no answer, or an answer that is not a page. */
        record Failed(int status, String message) implements Answer {
        }
    }

    private final HttpClient http;
    private final String base;
    private final String authorization;
    private final String userAgent;

    public LogEntriesClient(URI apiBaseUrl, String authorization, ProxySelector proxies, Authenticator proxyAuth,
                            String version) {
        this(apiBaseUrl, authorization, proxies, proxyAuth, version, null, null);
    }

    /**
     * @param tls the TLS context with extra trusted CAs ({@code PDAGENTD_CA_FILE}), or null for the JDK's
     * @param localAddress the address connections leave from ({@code PDAGENTD_SOURCE_ADDRESS}), or null
     */
    public LogEntriesClient(URI apiBaseUrl, String authorization, ProxySelector proxies, Authenticator proxyAuth,
                            String version, javax.net.ssl.SSLContext tls, java.net.InetAddress localAddress) {
        this.http = io.pdaltagent.delivery.HttpSender.outboundClient(proxies, proxyAuth, tls, localAddress).build();
        String s = apiBaseUrl.toString();
        this.base = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        this.authorization = authorization;
        this.userAgent = "pdaltagent/" + version;
    }

    /** Entries created in [since, until), from {@code offset}. */
    public Answer fetch(Instant since, Instant until, int offset, int limit, boolean overview, boolean total)
            throws InterruptedException {
        StringBuilder q = new StringBuilder(base).append("/log_entries?since=").append(enc(since.toString()))
                .append("&until=").append(enc(until.toString()))
                .append("&offset=").append(offset).append("&limit=").append(limit)
                .append("&include%5B%5D=incidents&include%5B%5D=services&time_zone=UTC");
        if (overview) {
            q.append("&is_overview=true");
        }
        if (total) {
            q.append("&total=true");
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(q.toString())).timeout(TIMEOUT)
                .header("Authorization", authorization)
                .header("Accept", "application/vnd.pagerduty+json;version=2")
                .header("Content-Type", "application/json")
                .header("User-Agent", userAgent)
                .GET().build();
        HttpResponse<InputStream> r;
        byte[] body;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                body = in.readNBytes(MAX_PAGE_BYTES + 1);
            }
        } catch (HttpTimeoutException e) {
            return new Answer.Failed(0, "timed out after " + TIMEOUT.toSeconds() + " s");
        } catch (IOException e) {
            return new Answer.Failed(0, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
        int s = r.statusCode();
        // 429: REST rate limit; ratelimit-reset says how many seconds until the window resets
        if (s == 429) {
            return new Answer.RateLimited(resetWait(r.headers().firstValue("ratelimit-reset").orElse(null)));
        }
        // 401/403: the token itself; asking again cannot help until someone fixes it
        if (s == 401 || s == 403) {
            return new Answer.Refused(s, message(body));
        }
        if (s != 200) {
            return new Answer.Failed(s, message(body));
        }
        if (body.length > MAX_PAGE_BYTES) {
            return new Answer.Failed(s, "a page larger than " + MAX_PAGE_BYTES + " bytes");
        }
        try {
            JsonNode page = JSON.readTree(body);
            JsonNode entries = page == null ? null : page.get("log_entries");
            if (entries == null || !entries.isArray()) {
                return new Answer.Failed(s, "the answer has no log_entries array");
            }
            List<JsonNode> list = new ArrayList<>(entries.size());
            for (JsonNode e : entries) {
                if (e.isObject() && e.path("id").isTextual()) {
                    list.add(e);
                }
            }
            JsonNode t = page.get("total");
            return new Answer.Page(list, page.path("more").asBoolean(false), t != null && t.canConvertToInt() ? t.asInt() : null);
        } catch (IOException e) {
            return new Answer.Failed(s, "the answer is not JSON");
        }
    }

    static Duration resetWait(String header) {
        if (header == null || header.isBlank()) {
            return DEFAULT_RATE_LIMIT_WAIT;
        }
        try {
            double seconds = Double.parseDouble(header.trim());
            if (!(seconds >= 0)) {
                return DEFAULT_RATE_LIMIT_WAIT;
            }
            Duration d = Duration.ofMillis((long) Math.ceil(seconds * 1000));
            return d.compareTo(MAX_RATE_LIMIT_WAIT) > 0 ? MAX_RATE_LIMIT_WAIT : d;
        } catch (NumberFormatException e) {
            return DEFAULT_RATE_LIMIT_WAIT;
        }
    }

    /** PagerDuty's {@code error.message} (and errors), or the start of the body. */
    private static String message(byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            JsonNode err = n == null ? null : n.get("error");
            if (err != null && err.isObject()) {
                String m = err.path("message").asText("");
                if (err.path("errors").isArray() && !err.get("errors").isEmpty()) {
                    m += " " + err.get("errors");
                }
                return cut(m.strip());
            }
        } catch (IOException notJson) {
            // fall through to the raw text
        }
        return cut(new String(body, 0, Math.min(body.length, MAX_ERROR_CHARS), StandardCharsets.UTF_8).strip());
    }

    private static String cut(String s) {
        return s.length() > MAX_ERROR_CHARS ? s.substring(0, MAX_ERROR_CHARS) + "…" : s;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
