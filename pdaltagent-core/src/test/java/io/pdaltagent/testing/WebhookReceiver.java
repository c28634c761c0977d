package io.pdaltagent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A webhook receiver written the way one is written for PagerDuty's real webhooks, over a real
 * HTTP server: with a secret it knows only the secret, and checks {@code X-PagerDuty-Signature}
 * as go-pagerduty's {@code VerifySignature} does (comma-separated values, only {@code v1=} ones
 * counted, HMAC-SHA256 of the raw body, constant-time compare), answering 403 to a bad signature.
 * Everything it accepts is recorded in arrival order; {@link #stop}/{@link #start} take it down
 * and up on the same port (an outage); {@link #script} queues other answers (e.g. 500).
 *
 * <p>Thread-safe. The body is read up to 2 MB, as go-pagerduty reads it.
 */
public final class WebhookReceiver implements AutoCloseable {
    private static final int MAX_BODY = 2 * 1024 * 1024;

    static {
        // the JDK server closes idle connections over 200; the agent keeps up to 512 alive
        if (System.getProperty("sun.net.httpserver.maxIdleConnections") == null) {
            System.setProperty("sun.net.httpserver.maxIdleConnections", "2048");
        }
    }

    /** One webhook as received (accepted or not). */
    public record Received(int status, Map<String, String> headers, byte[] body) {
        public JsonNode json() {
            return FakePagerDutyApi.json(body);
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
    }

    private final String secret;
    private final int port;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Deque<Integer> script = new ArrayDeque<>();
    private HttpServer server;
    private ExecutorService executor;

    private WebhookReceiver(String secret, int port) {
        this.secret = secret;
        this.port = port;
    }

    /** @param secretOrNull with a secret, unsigned or wrongly signed webhooks are refused with 403 */
    public static WebhookReceiver start(String secretOrNull) {
        WebhookReceiver r = new WebhookReceiver(secretOrNull, AgentProcess.freePort());
        r.start();
        return r;
    }

    public synchronized WebhookReceiver start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        return this;
    }

    public synchronized void stop() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
            server = null;
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port + "/hooks/pagerduty";
    }

    public synchronized WebhookReceiver script(int... statuses) {
        for (int s : statuses) {
            script.add(s);
        }
        return this;
    }

    /** Webhooks answered 2xx, in arrival order. */
    public List<Received> accepted() {
        return received.stream().filter(r -> r.status() / 100 == 2).toList();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            byte[] body;
            try (InputStream in = x.getRequestBody()) {
                body = in.readNBytes(MAX_BODY);
            }
            Map<String, String> headers = new LinkedHashMap<>();
            x.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
            int status;
            Integer scripted;
            synchronized (this) {
                scripted = script.poll();
            }
            if (scripted != null) {
                status = scripted;
            } else if (secret != null && !verify(body, headers.get("x-pagerduty-signature"))) {
                status = 403;
            } else {
                status = 204;
            }
            received.add(new Received(status, headers, body));
            x.sendResponseHeaders(status, -1);
            try (OutputStream o = x.getResponseBody()) {
                o.flush();
            }
        }
    }

    /** go-pagerduty's rule: authentic when any {@code v1=} value is the HMAC-SHA256 hex of the body. */
    private boolean verify(byte[] body, String header) {
        if (header == null) {
            return false;
        }
        byte[] expected;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            expected = HexFormat.of().formatHex(mac.doFinal(body)).getBytes(StandardCharsets.US_ASCII);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        List<String> values = new ArrayList<>(List.of(header.split(",")));
        for (String v : values) {
            String t = v.trim();
            if (t.startsWith("v1=") && MessageDigest.isEqual(expected, t.substring(3).getBytes(StandardCharsets.US_ASCII))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        stop();
    }
}
