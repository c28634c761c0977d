package io.pdaltagent.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A well-behaved client that keeps posting valid events for one routing key, each on a new
 * connection (so that it needs the agent to keep accepting), while a test abuses the agent on other
 * connections. Every answer is recorded; the events carry {@code custom_details.seq} 0, 1, 2… so
 * that their delivery and its order can be checked at PagerDuty's side.
 */
final class GoodTraffic implements AutoCloseable {
    /** One request: its sequence number, the status (-1: no answer) and how long it took. */
    record Sent(long seq, int status, long millis) {
    }

    /** Between two requests, so that the good client is steady rather than a load of its own. */
    private static final long PACE_MILLIS = 25;

    private final int port;
    private final String key;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Sent> sent = new CopyOnWriteArrayList<>();
    private final Thread thread;

    GoodTraffic(int port, String key) {
        this.port = port;
        this.key = key;
        this.thread = Thread.ofVirtual().name("good-client").start(this::run);
    }

    static String event(String key, long seq) {
        return "{\"routing_key\":\"" + key + "\",\"event_action\":\"trigger\",\"dedup_key\":\"good-" + seq + "\","
                + "\"payload\":{\"summary\":\"good\",\"source\":\"h\",\"severity\":\"info\",\"custom_details\":{\"seq\":"
                + seq + "}}}";
    }

    private void run() {
        for (long seq = 0; running.get(); seq++) {
            String body = event(key, seq);
            long t0 = System.nanoTime();
            int status = -1;
            try (RawHttp http = new RawHttp(port)) {
                http.send("POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nConnection: close\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body);
                RawHttp.Answer a = http.read();
                status = a == null ? -1 : a.status();
            } catch (RuntimeException e) {
                status = -1;
            }
            sent.add(new Sent(seq, status, (System.nanoTime() - t0) / 1_000_000));
            if (status != 202) {
                // a refused good event is the failure the test reports; stop, so that the sequence has no gap
                return;
            }
            pace();
        }
    }

    private static void pace() {
        try {
            Thread.sleep(PACE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Everything sent so far. */
    List<Sent> sent() {
        return new ArrayList<>(sent);
    }

    /** Stops after the request under way and returns every request made. */
    List<Sent> stop() throws InterruptedException {
        running.set(false);
        thread.join();
        return sent();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
