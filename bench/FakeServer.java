import io.pdaltagent.testing.Answer;
import io.pdaltagent.testing.FakePagerDuty;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The test tree's {@link FakePagerDuty} for bench/delivery.sh, with a settable idle timeout, run as
 * a single-file program on the test class path:
 *
 * <pre>
 * java -cp TEST_CLASSES:JAR:LIB/* bench/FakeServer.java PORT LATENCY_MS IDLE_TIMEOUT_S [EVERY_500 [EVERY_429]]
 * </pre>
 *
 * <p>With EVERY_500 = N &gt; 0 every N-th request is answered 500, with EVERY_429 = M &gt; 0 every M-th
 * (of the others) 429 with {@code Retry-After: 1} (bench/soak.sh: a few retries throughout).
 *
 * Why: delivery.sh stops the fake with SIGSTOP while it loads the backlog (30 s or so). With the
 * fake's default 30 s idle timeout, Jetty would close, on SIGCONT, the connections whose requests it
 * had not read yet; the agent would then retry those deliveries, which only blurs the drain
 * measurement. Serves until killed; no per-request records, counters only ({@code GET /__stats}).
 */
public final class FakeServer {
    public static void main(String[] args) throws InterruptedException {
        if (args.length < 3 || args.length > 5) {
            System.err.println("usage: FakeServer PORT LATENCY_MS IDLE_TIMEOUT_S [EVERY_500 [EVERY_429]]");
            System.exit(2);
        }
        long every500 = args.length > 3 ? Long.parseLong(args[3]) : 0;
        long every429 = args.length > 4 ? Long.parseLong(args[4]) : 0;
        if (every500 < 0 || every429 < 0) {
            System.err.println("EVERY_500 and EVERY_429 must be 0 (never) or more");
            System.exit(2);
        }
        AtomicLong requests = new AtomicLong();
        FakePagerDuty fake = FakePagerDuty.builder()
                .port(Integer.parseInt(args[0]))
                .latency(Duration.ofMillis(Long.parseLong(args[1])))
                .idleTimeout(Duration.ofSeconds(Long.parseLong(args[2])))
                .keepBodies(false)
                .recordEvents(false)
                .maxThreads(200)
                .answerWith(event -> {
                    long n = requests.incrementAndGet();
                    if (every500 > 0 && n % every500 == 0) {
                        return Answer.status(500);
                    }
                    if (every429 > 0 && n % every429 == 0) {
                        return Answer.status(429).header("Retry-After", "1");
                    }
                    return null;
                })
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(fake::close, "fake-shutdown"));
        System.out.println("FakeServer listening on " + fake.baseUrl() + " latency_ms=" + args[1] + " idle_timeout_s=" + args[2]
                + " every_500=" + every500 + " every_429=" + every429);
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
