package io.pdaltagent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A fake of PagerDuty's REST API over a real HTTP server: {@code GET /log_entries} with PagerDuty's
 * query parameters ({@code since}, {@code until}, {@code offset}, {@code limit} ≤ 100,
 * {@code total}, {@code is_overview}, {@code include[]=incidents|services}), newest first, classic
 * pagination with {@code more}, 400 when offset + limit passes 10,000, 401 for a wrong token, and
 * scripted answers (429 with {@code ratelimit-reset}, 500, delays).
 *
 * <pre>{@code
 * try (FakePagerDutyApi api = FakePagerDutyApi.start("tok")) {
 *     api.service("PSVC1", "DB");
 *     api.incident("PINC1", "PSVC1", "[#1] Disk full");
 *     api.entry("R1", "trigger_log_entry", "PINC1", Instant.now());
 *     api.script(FakePagerDutyApi.Scripted.rateLimited(1));
 *     ... point the agent at api.baseUrl() with PDAGENTD_API_TOKEN=tok ...
 *     api.requests();   // every query received, in order
 * }
 * }</pre>
 *
 * <p><b>Overview.</b> With {@code is_overview=true} it leaves out {@code notify_log_entry},
 * {@code priority_change_log_entry} and {@code responder_request_log_entry}: PagerDuty's exact
 * set is not documented; this is what a test of the all-entries switch needs.
 *
 * <p><b>Threads.</b> Thread-safe; requests are served one at a time (a single-thread executor),
 * as PagerDuty asks clients to send them.
 */
public final class FakePagerDutyApi implements AutoCloseable {
    public static final int OFFSET_CAP = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> NOT_IN_OVERVIEW = Set.of("notify_log_entry", "priority_change_log_entry",
            "responder_request_log_entry");

    /** A scripted answer, used once, before the normal behaviour. */
    public record Scripted(int status, Map<String, String> headers, String body, Duration delay) {
        public static Scripted rateLimited(int resetSeconds) {
            return new Scripted(429, Map.of("ratelimit-reset", Integer.toString(resetSeconds)),
                    "{\"error\":{\"message\":\"Rate Limit Exceeded\",\"code\":2020}}", Duration.ZERO);
        }

        public static Scripted status(int status) {
            return new Scripted(status, Map.of(), "{\"error\":{\"message\":\"Internal Server Error\",\"code\":2001}}",
                    Duration.ZERO);
        }

        /** The normal answer, after a delay (to catch an agent in the middle of a poll). */
        public static Scripted delayed(Duration d) {
            return new Scripted(0, Map.of(), null, d);
        }
    }

    /** One request as received. */
    public record Request(String authorization, Map<String, List<String>> query, int status) {
        public String param(String name) {
            List<String> v = query.get(name);
            return v == null || v.isEmpty() ? null : v.get(0);
        }
    }

    private final HttpServer server;
    private final String token;
    private final List<ObjectNode> entries = new ArrayList<>();
    private final Map<String, ObjectNode> incidents = new LinkedHashMap<>();
    private final Map<String, ObjectNode> services = new LinkedHashMap<>();
    private final Deque<Scripted> script = new ArrayDeque<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile Duration latency = Duration.ZERO;
    private volatile boolean withholdTotal;

    private FakePagerDutyApi(HttpServer server, String token) {
        this.server = server;
        this.token = token;
    }

    /** Starts on a free port of 127.0.0.1; requests must carry {@code Token token=<token>} or {@code Bearer <token>}. */
    public static FakePagerDutyApi start(String token) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            FakePagerDutyApi api = new FakePagerDutyApi(s, token);
            s.createContext("/", api::handle);
            s.setExecutor(Executors.newSingleThreadExecutor());
            s.start();
            return api;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public synchronized FakePagerDutyApi service(String id, String name) {
        ObjectNode s = JSON.createObjectNode();
        s.put("id", id).put("type", "service").put("summary", name).put("name", name)
                .put("self", "https://api.pagerduty.com/services/" + id)
                .put("html_url", "https://acme.pagerduty.com/service-directory/" + id).put("status", "active");
        services.put(id, s);
        return this;
    }

    public synchronized FakePagerDutyApi incident(String id, String serviceId, String title) {
        ObjectNode i = JSON.createObjectNode();
        i.put("id", id).put("type", "incident").put("summary", title).put("title", title)
                .put("incident_number", incidents.size() + 1).put("status", "triggered").put("urgency", "high")
                .put("incident_key", "key-" + id).put("created_at", "2026-01-01T00:00:00Z")
                .put("self", "https://api.pagerduty.com/incidents/" + id)
                .put("html_url", "https://acme.pagerduty.com/incidents/" + id);
        i.putObject("service").put("id", serviceId).put("type", "service_reference").put("summary", serviceId)
                .put("self", "https://api.pagerduty.com/services/" + serviceId);
        ArrayNode assignments = i.putArray("assignments");
        assignments.addObject().put("at", "2026-01-01T00:00:00Z").putObject("assignee").put("id", "PUSR1")
                .put("type", "user_reference").put("summary", "Alice");
        i.putObject("escalation_policy").put("id", "PEP1").put("type", "escalation_policy_reference");
        i.putArray("teams");
        i.putNull("priority");
        incidents.put(id, i);
        return this;
    }

    /** Adds a log entry of the incident (which must exist) created at {@code at}. */
    public synchronized FakePagerDutyApi entry(String id, String type, String incidentId, Instant at) {
        ObjectNode inc = incidents.get(incidentId);
        if (inc == null) {
            throw new IllegalArgumentException("no incident " + incidentId);
        }
        String service = inc.path("service").path("id").asText();
        ObjectNode e = JSON.createObjectNode();
        e.put("id", id).put("type", type).put("summary", type.replace("_log_entry", "") + " " + id)
                .put("self", "https://api.pagerduty.com/log_entries/" + id + "?incident_id=" + incidentId)
                .put("html_url", "https://acme.pagerduty.com/incidents/" + incidentId + "/log_entries/" + id)
                .put("created_at", at.toString());
        e.putObject("agent").put("id", service).put("type", "service_reference").put("summary", service);
        e.putObject("channel").put("type", "api").put("client", "Monitoring").put("client_url", "https://mon.example/");
        e.putObject("service").put("id", service).put("type", "service_reference").put("summary", service);
        e.putObject("incident").put("id", incidentId).put("type", "incident_reference").put("summary",
                inc.path("summary").asText());
        e.putArray("teams");
        e.putArray("contexts");
        entries.add(e);
        return this;
    }

    /** Answers given once each, in order, before normal answers. */
    public synchronized FakePagerDutyApi script(Scripted... answers) {
        script.addAll(List.of(answers));
        return this;
    }

    /** Answers {@code "total":null} even when asked for it (PagerDuty may); clients must page to find out. */
    public FakePagerDutyApi withholdTotal() {
        this.withholdTotal = true;
        return this;
    }

    public FakePagerDutyApi latency(Duration d) {
        this.latency = d;
        return this;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public synchronized int entryCount() {
        return entries.size();
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            Map<String, List<String>> q = query(x.getRequestURI().getRawQuery());
            String auth = x.getRequestHeaders().getFirst("Authorization");
            Scripted s;
            synchronized (this) {
                s = script.poll();
            }
            Duration delay = s != null ? s.delay() : latency;
            if (!delay.isZero()) {
                Thread.sleep(delay.toMillis()); // a server answering slowly; the client's test awaits, never sleeps
            }
            if (s != null && s.status() != 0) {
                requests.add(new Request(auth, q, s.status()));
                s.headers().forEach((k, v) -> x.getResponseHeaders().add(k, v));
                send(x, s.status(), s.body());
                return;
            }
            int status;
            String body;
            if (!x.getRequestURI().getPath().equals("/log_entries")) {
                status = 404;
                body = "{\"error\":{\"message\":\"Not Found\",\"code\":2100}}";
            } else if (!("Token token=" + token).equals(auth) && !("Bearer " + token).equals(auth)) {
                status = 401;
                body = "{\"error\":{\"message\":\"Authentication failed\",\"code\":2006}}";
            } else {
                int offset = intParam(q, "offset", 0);
                int limit = intParam(q, "limit", 25);
                if (limit > 100 || offset + limit > OFFSET_CAP) {
                    status = 400;
                    body = "{\"error\":{\"message\":\"Invalid Input Provided\",\"code\":2001,\"errors\":"
                            + "[\"Offset must be less than 10000 - limit\"]}}";
                } else {
                    status = 200;
                    body = page(q, offset, limit);
                }
            }
            requests.add(new Request(auth, q, status));
            send(x, status, body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized String page(Map<String, List<String>> q, int offset, int limit) {
        Instant since = time(q, "since", Instant.EPOCH);
        Instant until = time(q, "until", Instant.now());
        boolean overview = "true".equals(first(q, "is_overview"));
        List<String> include = q.getOrDefault("include[]", List.of());
        List<ObjectNode> window = new ArrayList<>();
        for (ObjectNode e : entries) {
            Instant at = Instant.parse(e.get("created_at").asText());
            if (at.isBefore(since) || !at.isBefore(until)) {
                continue;
            }
            if (overview && NOT_IN_OVERVIEW.contains(e.get("type").asText())) {
                continue;
            }
            window.add(e);
        }
        // newest first, as PagerDuty lists them; of one instant, the later-added first
        List<ObjectNode> sorted = new ArrayList<>();
        for (int i = window.size() - 1; i >= 0; i--) {
            sorted.add(window.get(i));
        }
        sorted.sort(Comparator.comparing((ObjectNode e) -> Instant.parse(e.get("created_at").asText())).reversed());
        ObjectNode root = JSON.createObjectNode();
        ArrayNode out = root.putArray("log_entries");
        for (int i = offset; i < Math.min(sorted.size(), offset + limit); i++) {
            ObjectNode e = sorted.get(i).deepCopy();
            if (include.contains("incidents")) {
                e.set("incident", incidents.get(e.path("incident").path("id").asText()).deepCopy());
            }
            if (include.contains("services")) {
                ObjectNode svc = services.get(e.path("service").path("id").asText());
                if (svc != null) {
                    e.set("service", svc.deepCopy());
                }
            }
            out.add(e);
        }
        root.put("limit", limit).put("offset", offset).put("more", offset + limit < sorted.size());
        if ("true".equals(first(q, "total")) && !withholdTotal) {
            root.put("total", sorted.size());
        } else {
            root.putNull("total");
        }
        return root.toString();
    }

    private static Instant time(Map<String, List<String>> q, String name, Instant def) {
        String v = first(q, name);
        return v == null ? def : OffsetDateTime.parse(v).toInstant();
    }

    private static String first(Map<String, List<String>> q, String name) {
        List<String> v = q.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static int intParam(Map<String, List<String>> q, String name, int def) {
        String v = first(q, name);
        return v == null ? def : Integer.parseInt(v);
    }

    private static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        if (raw == null) {
            return m;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            m.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return m;
    }

    private static void send(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(b);
        }
    }

    /** Parses a webhook body, for assertions. */
    public static JsonNode json(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
