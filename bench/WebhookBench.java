import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * bench/webhook.sh's fake PagerDuty REST API and webhook receiver, in one process (JDK only, no
 * build needed). Phase 1: the API holds ENTRIES log entries across INCIDENTS incidents, created
 * over the last 50 minutes; the receiver counts arrivals, duplicates (by X-Webhook-Id) and order
 * violations per incident (occurred_at going backwards). Phase 2 (after every phase-1 entry
 * arrived): LIVE entries are added one every LIVE_GAP_MS with created_at = now; for each, the time
 * from being added to the API to its arrival at the receiver is the poll-to-receiver latency.
 *
 *   java bench/WebhookBench.java <ports-file> <entries> <incidents> <live> <live-gap-ms>
 *
 * Writes "api=<port> receiver=<port>" to ports-file, then result lines on stdout.
 */
public class WebhookBench {
    static final String TOKEN = "bench-token";
    static final Pattern ID = Pattern.compile("\"id\":\"(PI[0-9]+)\"");
    static final Pattern OCCURRED = Pattern.compile("\"occurred_at\":\"([^\"]+)\"");

    record Entry(String id, String type, int incident, long createdMs, String json) {
    }

    static final List<Entry> entries = new ArrayList<>();   // ascending created time
    static volatile long[] createdIndex = new long[0];
    static final Map<String, Long> addedAt = new ConcurrentHashMap<>();
    static final Map<String, Boolean> seen = new ConcurrentHashMap<>();
    static final Map<String, String> lastOccurred = new ConcurrentHashMap<>();
    static final AtomicLong received = new AtomicLong();
    static final AtomicLong duplicates = new AtomicLong();
    static final AtomicLong orderViolations = new AtomicLong();
    static final AtomicLong apiRequests = new AtomicLong();
    static volatile long firstRequestNs;
    static volatile long lastReceiveNs;
    static final List<Long> latenciesMs = java.util.Collections.synchronizedList(new ArrayList<>());

    public static void main(String[] a) throws Exception {
        Path portsFile = Path.of(a[0]);
        int n = Integer.parseInt(a[1]);
        int incidents = Integer.parseInt(a[2]);
        int live = Integer.parseInt(a[3]);
        long gapMs = Long.parseLong(a[4]);
        String[] types = {"trigger_log_entry", "acknowledge_log_entry", "annotate_log_entry", "resolve_log_entry"};
        long now = System.currentTimeMillis();
        long span = 50 * 60 * 1000L;
        for (int i = 0; i < n; i++) {
            int inc = i % incidents;
            add(new Entry("R" + i, types[Math.min(i / incidents, types.length - 1)], inc, now - span + (span * i) / n, null));
        }
        HttpServer api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        api.createContext("/", WebhookBench::page);
        api.setExecutor(Executors.newSingleThreadExecutor());
        api.start();
        HttpServer rx = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        rx.createContext("/", WebhookBench::receive);
        rx.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        rx.start();
        Files.writeString(portsFile, "api=" + api.getAddress().getPort() + " receiver=" + rx.getAddress().getPort() + "\n");

        long deadline = System.nanoTime() + 1800L * 1_000_000_000L;
        while (received.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        double secs = (lastReceiveNs - firstRequestNs) / 1e9;
        System.out.printf("backlog: %d entries across %d incidents: %d received in %.1f s from the first API request: "
                + "%.0f entries/s; duplicates %d, order violations %d, API requests %d%n", n, incidents, received.get(), secs,
                received.get() / secs, duplicates.get(), orderViolations.get(), apiRequests.get());

        for (int i = 0; i < live; i++) {
            Entry e = new Entry("L" + i, "annotate_log_entry", i % incidents, System.currentTimeMillis(), null);
            addedAt.put(e.id(), System.nanoTime());
            add(e);
            Thread.sleep(gapMs);
        }
        long end = System.nanoTime() + 120L * 1_000_000_000L;
        while (received.get() < n + live && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        long[] l = latenciesMs.stream().mapToLong(Long::longValue).sorted().toArray();
        if (l.length > 0) {
            System.out.printf("live: %d of %d received; poll-to-receiver latency ms: min %d, median %d, p90 %d, max %d, "
                    + "mean %.0f; duplicates %d, order violations %d%n", l.length, live, l[0], l[l.length / 2],
                    l[(int) (l.length * 0.9)], l[l.length - 1], Arrays.stream(l).average().orElse(0), duplicates.get(),
                    orderViolations.get());
        }
        System.exit(0);
    }

    static synchronized void add(Entry e) {
        String inc = "PI" + e.incident();
        String json = "{\"id\":\"" + e.id() + "\",\"type\":\"" + e.type() + "\",\"summary\":\"bench\",\"created_at\":\""
                + Instant.ofEpochMilli(e.createdMs()) + "\",\"agent\":{\"id\":\"PSVC1\",\"type\":\"service_reference\"},"
                + "\"channel\":{\"type\":\"api\"},\"service\":{\"id\":\"PSVC1\",\"type\":\"service\",\"name\":\"Bench\"},"
                + "\"incident\":{\"id\":\"" + inc + "\",\"type\":\"incident\",\"incident_number\":" + e.incident()
                + ",\"title\":\"bench incident " + e.incident() + "\",\"status\":\"triggered\",\"urgency\":\"high\","
                + "\"service\":{\"id\":\"PSVC1\",\"type\":\"service_reference\"},\"assignments\":[],\"teams\":[]}}";
        entries.add(new Entry(e.id(), e.type(), e.incident(), e.createdMs(), json));
    }

    static void page(HttpExchange x) throws IOException {
        try (x) {
            if (firstRequestNs == 0) {
                firstRequestNs = System.nanoTime();
            }
            apiRequests.incrementAndGet();
            Map<String, String> q = new HashMap<>();
            for (String p : x.getRequestURI().getRawQuery().split("&")) {
                int i = p.indexOf('=');
                q.putIfAbsent(URLDecoder.decode(p.substring(0, i), StandardCharsets.UTF_8),
                        URLDecoder.decode(p.substring(i + 1), StandardCharsets.UTF_8));
            }
            if (!("Token token=" + TOKEN).equals(x.getRequestHeaders().getFirst("Authorization"))) {
                send(x, 401, "{\"error\":{\"message\":\"Authentication failed\",\"code\":2006}}");
                return;
            }
            long since = Instant.parse(q.get("since")).toEpochMilli();
            long until = Instant.parse(q.get("until")).toEpochMilli();
            int offset = Integer.parseInt(q.get("offset"));
            int limit = Integer.parseInt(q.get("limit"));
            if (offset + limit > 10_000) {
                send(x, 400, "{\"error\":{\"message\":\"Invalid Input Provided\",\"code\":2001}}");
                return;
            }
            List<Entry> window = new ArrayList<>();
            synchronized (WebhookBench.class) {
                for (int i = entries.size() - 1; i >= 0; i--) { // newest first
                    Entry e = entries.get(i);
                    if (e.createdMs() >= since && e.createdMs() < until) {
                        window.add(e);
                    }
                }
            }
            StringBuilder sb = new StringBuilder("{\"log_entries\":[");
            for (int i = offset; i < Math.min(window.size(), offset + limit); i++) {
                if (i > offset) {
                    sb.append(',');
                }
                sb.append(window.get(i).json());
            }
            sb.append("],\"limit\":").append(limit).append(",\"offset\":").append(offset).append(",\"more\":")
                    .append(offset + limit < window.size()).append(",\"total\":")
                    .append("true".equals(q.get("total")) ? Integer.toString(window.size()) : "null").append('}');
            send(x, 200, sb.toString());
        }
    }

    static void receive(HttpExchange x) throws IOException {
        try (x) {
            byte[] body;
            try (InputStream in = x.getRequestBody()) {
                body = in.readAllBytes();
            }
            String s = new String(body, StandardCharsets.UTF_8);
            String id = x.getRequestHeaders().getFirst("X-Webhook-Id");
            if (seen.putIfAbsent(id, Boolean.TRUE) != null) {
                duplicates.incrementAndGet();
            } else {
                received.incrementAndGet();
            }
            Matcher m = ID.matcher(s);
            Matcher o = OCCURRED.matcher(s);
            if (m.find() && o.find()) {
                String prev = lastOccurred.put(m.group(1), o.group(1));
                if (prev != null && Instant.parse(prev).isAfter(Instant.parse(o.group(1)))) {
                    orderViolations.incrementAndGet();
                }
            }
            lastReceiveNs = System.nanoTime();
            // live entries: latency from being added to the API
            for (Map.Entry<String, Long> e : addedAt.entrySet()) {
                if (id != null && id.equals(uuid(e.getKey()))) {
                    latenciesMs.add((System.nanoTime() - e.getValue()) / 1_000_000);
                    addedAt.remove(e.getKey());
                    break;
                }
            }
            x.sendResponseHeaders(204, -1);
        }
    }

    /** The agent's webhook id of an entry: a name-based UUID of "pdaltagent-log-entry:" + id. */
    static String uuid(String entryId) {
        return java.util.UUID.nameUUIDFromBytes(("pdaltagent-log-entry:" + entryId).getBytes(StandardCharsets.UTF_8)).toString();
    }

    static void send(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(b);
        }
    }
}
