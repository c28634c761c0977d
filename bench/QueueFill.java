import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.queue.SqliteEventQueue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Fills an embedded queue for bench/restart-1m.sh through the queue's own API (what the agent's
 * ingest does after validation), as a single-file program on the agent's class path:
 *
 * <pre>
 * java -cp pdaltagent-core.jar:lib/* bench/QueueFill.java DATA_DIR EVENTS KEYS RUN_ID
 * </pre>
 *
 * Appends {@code EVENTS} valid Events API v2 triggers (~330 bytes, the bodies of bench/LoadGen.java)
 * over {@code KEYS} routing keys of 32 characters, round-robin, with {@code payload.custom_details.seq}
 * rising per key from 1, so that the fake PagerDuty can check the order of the drain. Keeps at most
 * 4,096 appends outstanding (the writer group-commits them), then closes the queue as a stopping agent
 * would. Prints {@code QUEUEFILL events=N elapsed_ms=N rate=N}.
 */
public final class QueueFill {
    private static final int OUTSTANDING = 4096;

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: QueueFill DATA_DIR EVENTS KEYS RUN_ID");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        long events = Long.parseLong(args[1]);
        int keys = Integer.parseInt(args[2]);
        String runId = args[3];
        if (events < 1 || keys < 1) {
            throw new IllegalArgumentException("need EVENTS >= 1 and KEYS >= 1");
        }
        long t0 = System.nanoTime();
        try (SqliteEventQueue queue = SqliteEventQueue.open(dir, Clock.systemUTC(), Math.max(events, 1_000_000))) {
            ArrayDeque<CompletableFuture<Long>> pending = new ArrayDeque<>();
            for (long i = 0; i < events; i++) {
                int k = (int) (i % keys);
                long seq = i / keys + 1;
                String key = String.format(Locale.ROOT, "bench%027d", k + 1);
                String body = "{\"routing_key\":\"" + key + "\",\"event_action\":\"trigger\","
                        + "\"dedup_key\":\"" + runId + "-" + key + "-" + seq + "\","
                        + "\"payload\":{\"summary\":\"bench: disk usage above 90% on host-" + (k % 997)
                        + "\",\"source\":\"host-" + (k % 997) + ".bench.example\",\"severity\":\"warning\","
                        + "\"component\":\"disk\",\"group\":\"bench\",\"class\":\"disk\","
                        + "\"custom_details\":{\"seq\":" + seq + ",\"thread\":0}}}";
                pending.add(queue.append(new NewItem(key, Destination.events("/v2/enqueue"), "application/json",
                        body.getBytes(StandardCharsets.UTF_8), runId + "-" + key + "-" + seq, Instant.now())));
                if (pending.size() >= OUTSTANDING) {
                    pending.poll().join();
                }
                if ((i + 1) % 100_000 == 0) {
                    System.err.printf(Locale.ROOT, "QueueFill: %,d appended%n", i + 1);
                }
            }
            while (!pending.isEmpty()) {
                pending.poll().join();
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf(Locale.ROOT, "QUEUEFILL events=%d elapsed_ms=%d rate=%d%n", events, ms,
                ms == 0 ? events : events * 1000 / ms);
    }
}
