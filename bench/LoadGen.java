import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Load generator for bench/delivery.sh, run as a single-file program:
 *
 * <pre>
 * java bench/LoadGen.java --url http://127.0.0.1:8080/v2/enqueue --keys 1000 --events 150000 \
 *     --threads 64 --seq-start 1 --run-id r1 [--max-seconds 120] [--rate 200] [--result FILE]
 * </pre>
 *
 * Posts valid Events API v2 triggers over {@code --keys} routing keys (32 characters each,
 * {@code bench} + 27 digits), {@code --events / --keys} events per key. Key {@code k} belongs to
 * client thread {@code k % threads}; each thread posts its keys round-robin and sequentially (one
 * request at a time, the next only after the answer), with {@code payload.custom_details.seq}
 * rising from {@code --seq-start} per key. So within a key the agent accepts events in seq order,
 * which is what the fake PagerDuty checks on delivery.
 *
 * <p>A 429 or 503 (queue full, store busy) is retried for the same event after its Retry-After (at
 * most 1 s) so that the order holds; any other non-2xx is counted and skipped; a network error is
 * counted as "unknown" (the agent may or may not have stored it) and skipped. Stops early after
 * {@code --max-seconds}. With {@code --rate R} (events a second in all, bench/soak.sh) each thread
 * keeps a fixed schedule of R / threads events a second (a late event is sent at once, the schedule
 * is not reset) instead of posting as fast as the agent answers.
 *
 * <p>Prints one line, also written to {@code --result} when given:
 * {@code LOADGEN sent=N acked=N rejected=N unknown=N retried=N elapsed_ms=N rate=N p50_us=N p99_us=N p999_us=N max_us=N}
 */
public final class LoadGen {
    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        URI url = URI.create(req(o, "--url"));
        int keys = Integer.parseInt(o.getOrDefault("--keys", "1000"));
        long events = Long.parseLong(o.getOrDefault("--events", "150000"));
        int threads = Integer.parseInt(o.getOrDefault("--threads", "64"));
        long seqStart = Long.parseLong(o.getOrDefault("--seq-start", "1"));
        String runId = o.getOrDefault("--run-id", "run");
        long maxMillis = Long.parseLong(o.getOrDefault("--max-seconds", "120")) * 1000;
        String result = o.get("--result");
        double rate = Double.parseDouble(o.getOrDefault("--rate", "0"));
        if (rate < 0 || Double.isNaN(rate)) {
            throw new IllegalArgumentException("--rate must be 0 (as fast as answered) or more");
        }
        if (keys < 1 || threads < 1 || events < keys) {
            throw new IllegalArgumentException("need keys >= 1, threads >= 1, events >= keys");
        }
        threads = Math.min(threads, keys);
        // nanoseconds between two events of one thread at --rate (0: no pause)
        final long intervalNs = rate == 0 ? 0 : (long) (threads * 1e9 / rate);
        long perKey = events / keys;

        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        LongAdder sent = new LongAdder();
        LongAdder acked = new LongAdder();
        LongAdder rejected = new LongAdder();
        LongAdder unknown = new LongAdder();
        LongAdder retried = new LongAdder();
        Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        long[][] latencies = new long[threads][];
        int[] latencyCount = new int[threads];
        long start = System.nanoTime();
        long deadline = start + maxMillis * 1_000_000L;
        CountDownLatch done = new CountDownLatch(threads);
        AtomicLong firstError = new AtomicLong();
        String[] errorText = new String[1];

        for (int t = 0; t < threads; t++) {
            final int tid = t;
            final int nThreads = threads;
            Thread.ofPlatform().name("loadgen-" + t).daemon(true).start(() -> {
                int owned = 0;
                for (int k = tid; k < keys; k += nThreads) {
                    owned++;
                }
                int[] mine = new int[owned];
                for (int k = tid, i = 0; k < keys; k += nThreads) {
                    mine[i++] = k;
                }
                long[] lat = new long[(int) Math.min(Integer.MAX_VALUE - 8, perKey * owned)];
                int n = 0;
                long due = start;
                try {
                    outer:
                    for (long round = 0; round < perKey; round++) {
                        for (int k : mine) {
                            if (System.nanoTime() > deadline) {
                                break outer;
                            }
                            if (intervalNs > 0) {
                                due += intervalNs;
                                long wait = due - System.nanoTime();
                                if (wait > 0) {
                                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                                }
                            }
                            long seq = seqStart + round;
                            String key = String.format(Locale.ROOT, "bench%027d", k + 1);
                            String body = "{\"routing_key\":\"" + key + "\",\"event_action\":\"trigger\","
                                    + "\"dedup_key\":\"" + runId + "-" + key + "-" + seq + "\","
                                    + "\"payload\":{\"summary\":\"bench: disk usage above 90% on host-" + (k % 997)
                                    + "\",\"source\":\"host-" + (k % 997) + ".bench.example\",\"severity\":\"warning\","
                                    + "\"component\":\"disk\",\"group\":\"bench\",\"class\":\"disk\","
                                    + "\"custom_details\":{\"seq\":" + seq + ",\"thread\":" + tid + "}}}";
                            HttpRequest request = HttpRequest.newBuilder(url)
                                    .timeout(Duration.ofSeconds(30))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                    .build();
                            for (int attempt = 0; ; attempt++) {
                                long t0 = System.nanoTime();
                                sent.increment();
                                HttpResponse<String> response;
                                try {
                                    response = client.send(request, HttpResponse.BodyHandlers.ofString());
                                } catch (IOException e) {
                                    unknown.increment();
                                    if (firstError.compareAndSet(0, 1)) {
                                        errorText[0] = e.toString();
                                    }
                                    break;
                                }
                                int status = response.statusCode();
                                statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
                                if (status >= 200 && status < 300) {
                                    if (n < lat.length) {
                                        lat[n++] = (System.nanoTime() - t0) / 1000;
                                    }
                                    acked.increment();
                                    break;
                                }
                                if ((status == 429 || status == 503) && attempt < 600 && System.nanoTime() < deadline) {
                                    retried.increment();
                                    long wait = response.headers().firstValue("Retry-After")
                                            .map(v -> { try { return Long.parseLong(v.trim()) * 1000; } catch (NumberFormatException e) { return 100L; } })
                                            .orElse(100L);
                                    Thread.sleep(Math.max(10, Math.min(1000, wait)));
                                    continue;
                                }
                                rejected.increment();
                                break;
                            }
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    latencies[tid] = lat;
                    latencyCount[tid] = n;
                    done.countDown();
                }
            });
        }
        done.await();
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        int total = 0;
        for (int t = 0; t < threads; t++) {
            total += latencyCount[t];
        }
        long[] all = new long[total];
        for (int t = 0, at = 0; t < threads; t++) {
            System.arraycopy(latencies[t], 0, all, at, latencyCount[t]);
            at += latencyCount[t];
        }
        Arrays.sort(all);
        StringBuilder byStatus = new StringBuilder();
        new java.util.TreeMap<>(statuses).forEach((s, c) -> byStatus.append(byStatus.isEmpty() ? "" : ",").append(s).append(':').append(c.sum()));
        String line = String.format(Locale.ROOT,
                "LOADGEN sent=%d acked=%d rejected=%d unknown=%d retried=%d elapsed_ms=%d rate=%.0f"
                        + " p50_us=%d p99_us=%d p999_us=%d max_us=%d statuses=%s",
                sent.sum(), acked.sum(), rejected.sum(), unknown.sum(), retried.sum(), elapsedMs,
                acked.sum() * 1000.0 / Math.max(1, elapsedMs),
                pct(all, 50), pct(all, 99), pct(all, 99.9), all.length == 0 ? 0 : all[all.length - 1],
                byStatus.isEmpty() ? "-" : byStatus);
        System.out.println(line);
        if (errorText[0] != null) {
            System.out.println("first network error: " + errorText[0]);
        }
        if (result != null) {
            Files.writeString(Path.of(result), line + System.lineSeparator());
        }
    }

    private static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: --name value ...; bad argument " + args[i]);
            }
            o.put(args[i], args[++i]);
        }
        return o;
    }

    private static String req(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        return v;
    }
}
