import io.pdaltagent.testing.FakePagerDuty;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The test tree's {@link FakePagerDuty} for bench/delivery.sh, with a settable idle timeout, run as
 * a single-file program on the test class path:
 *
 * <pre>
 * java -cp TEST_CLASSES:JAR:LIB/* bench/FakeServer.java PORT LATENCY_MS IDLE_TIMEOUT_S
 * </pre>
 *
 * Why: delivery.sh stops the fake with SIGSTOP while it loads the backlog (30 s or so). With the
 * fake's default 30 s idle timeout, Jetty would close, on SIGCONT, the connections whose requests it
 * had not read yet; the agent would then retry those deliveries, which only blurs the drain
 * measurement. Serves until killed; no per-request records, counters only ({@code GET /__stats}).
 */
public final class FakeServer {
    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            System.err.println("usage: FakeServer PORT LATENCY_MS IDLE_TIMEOUT_S");
            System.exit(2);
        }
        FakePagerDuty fake = FakePagerDuty.builder()
                .port(Integer.parseInt(args[0]))
                .latency(Duration.ofMillis(Long.parseLong(args[1])))
                .idleTimeout(Duration.ofSeconds(Long.parseLong(args[2])))
                .keepBodies(false)
                .recordEvents(false)
                .maxThreads(200)
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(fake::close, "fake-shutdown"));
        System.out.println("FakeServer listening on " + fake.baseUrl() + " latency_ms=" + args[1] + " idle_timeout_s=" + args[2]);
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
