package io.pdaltagent.testing;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/** {@link FakePagerDuty#main}: command line, startup line and the once-a-second summary. */
final class FakePagerDutyMain {
    private FakePagerDutyMain() {
    }

    static void run(String[] args) throws InterruptedException {
        FakePagerDuty.Builder b;
        try {
            b = builderFromArgs(args);
        } catch (IllegalArgumentException e) {
            System.err.println("FakePagerDuty: " + e.getMessage());
            usage(System.err);
            System.exit(2);
            return;
        }
        if (b == null) {
            usage(System.out);
            return;
        }
        if (LoggerFactory.getLogger("org.eclipse.jetty") instanceof ch.qos.logback.classic.Logger jetty) {
            jetty.setLevel(ch.qos.logback.classic.Level.WARN); // stdout carries the summary lines
        }
        FakePagerDuty fake = b.start();
        Runtime.getRuntime().addShutdownHook(new Thread(fake::close, "fake-pagerduty-shutdown"));
        System.out.println("FakePagerDuty listening on " + fake.baseUrl() + " latency_ms=" + fake.latency().toMillis()
                + " keep_bodies=" + fake.keepsBodies() + " record=" + fake.recordsEvents());
        System.out.flush();
        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("fake-pagerduty-report").factory());
        reporter.scheduleAtFixedRate(new SummaryPrinter(fake), 1, 1, TimeUnit.SECONDS);
        new CountDownLatch(1).await();
    }

    /** The builder {@link FakePagerDuty#main} uses; null when only help was asked for. */
    static FakePagerDuty.Builder builderFromArgs(String... args) {
        FakePagerDuty.Builder b = FakePagerDuty.builder().port(9000).keepBodies(false).recordEvents(false).maxThreads(200);
        int rateLimit = 0;
        long rateWindowMs = 60_000;
        boolean retryAfter = true;
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (name.equals("-h") || name.equals("--help")) {
                return null;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            String value = args[++i];
            try {
                switch (name) {
                    case "--port" -> b.port(Integer.parseInt(value));
                    case "--host" -> b.host(value);
                    case "--latency-ms" -> b.latency(Duration.ofMillis(Long.parseLong(value)));
                    case "--keep-bodies" -> b.keepBodies(bool(name, value));
                    case "--record" -> b.recordEvents(bool(name, value));
                    case "--rate-limit" -> rateLimit = Integer.parseInt(value);
                    case "--rate-window-ms" -> rateWindowMs = Long.parseLong(value);
                    case "--retry-after" -> retryAfter = bool(name, value);
                    default -> throw new IllegalArgumentException("unknown option " + name);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " takes a number, not " + value);
            }
        }
        if (rateLimit > 0) {
            b.rateLimit(rateLimit, Duration.ofMillis(rateWindowMs), retryAfter);
        }
        return b;
    }

    private static boolean bool(String name, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException(name + " takes true or false, not " + value);
        };
    }

    private static void usage(PrintStream out) {
        out.println("usage: FakePagerDuty [--port 9000] [--host 127.0.0.1] [--latency-ms 0] [--keep-bodies false] [--record false]"
                + " [--rate-limit N [--rate-window-ms 60000] [--retry-after true]]");
    }

    /** Prints a summary line when the count changed since the last run; scheduled once a second. */
    private static final class SummaryPrinter implements Runnable {
        private final FakePagerDuty fake;
        private long last;

        SummaryPrinter(FakePagerDuty fake) {
            this.fake = fake;
        }

        @Override
        public void run() {
            FakePagerDuty.Stats s = fake.stats();
            if (s.count() != last) {
                long rate = s.count() >= last ? s.count() - last : s.count();
                System.out.printf(Locale.ROOT, "%s count=%d accepted=%d keys=%d order_violations=%d duplicates=%d rate=%d/s"
                        + " throttled=%d%n", Instant.now(), s.count(), s.accepted(), s.keys(), s.orderViolations(),
                        s.duplicates(), rate, fake.throttledCount());
                System.out.flush();
                last = s.count();
            }
        }
    }
}
