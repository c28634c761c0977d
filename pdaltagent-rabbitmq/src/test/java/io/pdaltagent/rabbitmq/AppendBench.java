package io.pdaltagent.rabbitmq;

import io.pdaltagent.queue.Completion;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.QueuedItem;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: the queue alone on the local broker, no HTTP. For each confirm window, C appenders
 * (each waits for its append's confirm before the next, as an HTTP client waits for its 202) for
 * S seconds while a consumer claims and completes as Delivered; prints appends/s, confirm latency
 * p50/p99 and claims/s. Run by bench/rabbitmq.sh (APPEND_BENCH=1) or by hand:
 * {@code java -cp ... io.pdaltagent.rabbitmq.AppendBench [seconds] [appenders] [windows...]}.
 */
public final class AppendBench {
    public static void main(String[] args) throws Exception {
        int secs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int appenders = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int[] windows = args.length > 2 ? Arrays.stream(args, 2, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 64, 256};
        String url = System.getProperty("pdaltagent.test.broker", "amqp://guest:guest@127.0.0.1:5672/");
        System.out.println("| confirm window | appenders | appends/s | confirm p50 | confirm p99 | claimed+completed/s |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        for (int w : windows) {
            run(url, w, appenders, secs);
        }
    }

    static void run(String url, int window, int appenders, int secs) throws Exception {
        String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        try (RabbitMqEventQueue q = RabbitMqEventQueue.open(new RabbitMqEventQueue.Settings(BrokerUrl.parse(url), prefix,
                16, 10_000_000, RabbitMqEventQueue.DEFAULT_PREFETCH, window, true), Clock.systemUTC())) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong appended = new AtomicLong();
            AtomicLong completed = new AtomicLong();
            long[][] lat = new long[appenders][];
            int[] nlat = new int[appenders];
            byte[] body = ("{\"routing_key\":\"x\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\""
                    + "a".repeat(200) + "\"}}").getBytes(StandardCharsets.UTF_8);
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                // warm-up 2 s, then measure
                long start = System.nanoTime();
                long measureFrom = start + TimeUnit.SECONDS.toNanos(2);
                long end = measureFrom + TimeUnit.SECONDS.toNanos(secs);
                for (int a = 0; a < appenders; a++) {
                    int id = a;
                    lat[a] = new long[200_000];
                    pool.submit(() -> {
                        int i = 0;
                        while (System.nanoTime() < end) {
                            long t0 = System.nanoTime();
                            q.append(new NewItem("key-" + (id * 31 + i++) % 1000, Destination.events("/v2/enqueue"),
                                    "application/json", body, null, Instant.now())).join();
                            long t1 = System.nanoTime();
                            if (t0 >= measureFrom && nlat[id] < lat[id].length) {
                                lat[id][nlat[id]++] = t1 - t0;
                                appended.incrementAndGet();
                            }
                        }
                        return null;
                    });
                }
                pool.submit(() -> {
                    while (!stop.get()) {
                        List<QueuedItem> batch = q.claim(512, Duration.ofMillis(100));
                        for (QueuedItem i : batch) {
                            CompletableFuture<Void> f = q.complete(i, new Completion.Delivered(202));
                            if (System.nanoTime() >= measureFrom && System.nanoTime() < end) {
                                f.thenRun(completed::incrementAndGet);
                            }
                        }
                    }
                    return null;
                });
                Thread.sleep(TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()) + 200);
                stop.set(true);
            }
            long total = 0;
            for (int n : nlat) {
                total += n;
            }
            long[] all = new long[(int) total];
            int k = 0;
            for (int a = 0; a < appenders; a++) {
                System.arraycopy(lat[a], 0, all, k, nlat[a]);
                k += nlat[a];
            }
            Arrays.sort(all);
            double p50 = all.length == 0 ? 0 : all[all.length / 2] / 1e6;
            double p99 = all.length == 0 ? 0 : all[(int) (all.length * 0.99)] / 1e6;
            System.out.printf("| %d | %d | %.0f | %.1f ms | %.1f ms | %.0f |%n", window, appenders,
                    appended.get() / (double) secs, p50, p99, completed.get() / (double) secs);
        }
    }
}
