package io.pdaltagent.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;

/**
 * A stand-in for the agent's ingest in unit tests: records each request and answers with the next
 * scripted answer, else as the agent does (202 with the event's dedup key, or "assigned-key").
 */
final class TinyAgent implements AutoCloseable {
    record Request(String method, String path, Map<String, List<String>> headers, String body) {
        String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }

        Map<String, Object> json() {
            return Json.parseObject(body);
        }
    }

    record Reply(int status, String body) {
    }

    private final HttpServer server;
    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedDeque<Reply> script = new ConcurrentLinkedDeque<>();

    private TinyAgent(HttpServer server) {
        this.server = server;
        server.createContext("/", this::handle);
        server.start();
    }

    static TinyAgent start() throws IOException {
        return new TinyAgent(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
    }

    static TinyAgent startTls(SSLContext tls) throws IOException {
        // all of 127/8, so that a test can reach it by an address its certificate does not name
        HttpsServer s = HttpsServer.create(new InetSocketAddress(0), 0);
        s.setHttpsConfigurator(new HttpsConfigurator(tls));
        return new TinyAgent(s);
    }

    String baseUrl() {
        String scheme = server instanceof HttpsServer ? "https" : "http";
        return scheme + "://127.0.0.1:" + server.getAddress().getPort();
    }

    TinyAgent reply(int status, String body) {
        script.add(new Reply(status, body));
        return this;
    }

    Request last() {
        return requests.get(requests.size() - 1);
    }

    private void handle(HttpExchange x) throws IOException {
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        requests.add(new Request(x.getRequestMethod(), x.getRequestURI().getRawPath(), Map.copyOf(x.getRequestHeaders()), body));
        Reply r = script.poll();
        if (r == null) {
            String key = "assigned-key";
            try {
                Map<String, Object> o = Json.parseObject(body);
                if (o.get("dedup_key") instanceof String k) {
                    key = k;
                } else if (o.get("incident_key") instanceof String k) {
                    key = k;
                }
            } catch (IllegalArgumentException e) {
                // not JSON: keep the assigned key
            }
            r = x.getRequestURI().getPath().startsWith("/generic")
                    ? new Reply(200, "{\"status\":\"success\",\"message\":\"Event processed\",\"incident_key\":\"" + key + "\"}")
                    : x.getRequestURI().getPath().equals("/v2/change/enqueue")
                    ? new Reply(202, "{\"status\":\"success\",\"message\":\"Change event processed\"}")
                    : new Reply(202, "{\"status\":\"success\",\"message\":\"Event processed\",\"dedup_key\":\"" + key + "\"}");
        }
        byte[] b = r.body().getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(r.status(), b.length == 0 ? -1 : b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
