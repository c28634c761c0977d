import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.delivery.KeyPacer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * bench/pacing.sh's companion at PagerDuty's own scale, on a virtual clock: one key's burst of
 * EVENTS events against PagerDuty's limit (LIMIT accepted per trailing 60 s, 429 above it, with or
 * without Retry-After rounded up to whole seconds), each answer taking LATENCY_MS. The agent's
 * delivery loop is modelled, not run: one event of the key at a time, the next after the previous
 * outcome; "paced" asks the real {@link KeyPacer} (the agent's class, on the virtual ticker) before
 * each send and after each outcome exactly as the dispatcher does; "react" is the base build's rule
 * (send at once; after a 429 wait Retry-After, else full-jitter backoff 1 s doubling to 300 s per
 * attempt of the event). Prints virtual seconds to deliver all and the 429s met.
 *
 * <pre>java -cp JAR:LIB/* bench/PacingSim.java [EVENTS [LIMIT [RATE [BURST [LATENCY_MS]]]]]</pre>
 */
public final class PacingSim {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long WINDOW = TimeUnit.SECONDS.toNanos(60);

    private static long now;

    public static void main(String[] args) {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int limit = args.length > 1 ? Integer.parseInt(args[1]) : 120;
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 120;
        int burst = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        long latency = TimeUnit.MILLISECONDS.toNanos(args.length > 4 ? Long.parseLong(args[4]) : 50);
        System.out.println("# events=" + events + " limit=" + limit + "/60s rate=" + rate + "/min burst=" + burst
                + " latency_ms=" + latency / 1_000_000);
        System.out.println("# policy retry_after virtual_seconds throttled_429s");
        for (boolean retryAfter : new boolean[] {true, false}) {
            for (String policy : new String[] {"paced", "react"}) {
                long[] r = run(policy, retryAfter, events, limit, rate, burst, latency);
                System.out.printf("%s %s %.1f %d%n", policy, retryAfter, r[0] / (double) SECOND, r[1]);
            }
        }
    }

    private static long[] run(String policy, boolean retryAfter, int events, int limit, int rate, int burst,
                              long latency) {
        now = 0;
        ArrayDeque<Long> window = new ArrayDeque<>();
        KeyPacer pacer = new KeyPacer(new AgentConfig.PacingConfig(rate, burst), () -> now);
        SplittableRandom random = new SplittableRandom(42);
        long throttled = 0;
        boolean paced = policy.equals("paced");
        for (int sent = 0; sent < events; ) {
            if (paced && pacer.acquire("k") instanceof KeyPacer.Decision.Wait w) {
                now += w.delay().toNanos(); // the key waits in the schedule (no held-back claim in practice)
                continue;
            }
            int attempts = 1;
            while (true) {
                long ra = admit(window, limit);
                now += latency;
                if (ra < 0) {
                    sent++;
                    if (paced) {
                        now += pacer.untilNext("k").toNanos();
                    }
                    break;
                }
                throttled++;
                Duration after = retryAfter ? Duration.ofSeconds(ra) : null;
                long delay;
                if (paced) {
                    pacer.throttled("k", after);
                    delay = pacer.untilNext("k").toNanos();
                    if (after != null && after.toNanos() > delay) {
                        delay = after.toNanos();
                    }
                } else if (after != null) {
                    delay = after.toNanos();
                } else {
                    long ceiling = Math.min(300_000L, 1000L << Math.min(attempts - 1, 20));
                    delay = TimeUnit.MILLISECONDS.toNanos(random.nextLong(ceiling + 1));
                }
                now += delay;
                attempts++;
                if (paced) {
                    // the retry is claimed when the key may send: the pacer grants the token then
                    while (pacer.acquire("k") instanceof KeyPacer.Decision.Wait w) {
                        now += w.delay().toNanos();
                    }
                }
            }
        }
        return new long[] {now, throttled};
    }

    /** PagerDuty's trailing-window limit; -1 when admitted, else Retry-After in whole seconds. */
    private static long admit(ArrayDeque<Long> window, int limit) {
        while (!window.isEmpty() && now - window.peekFirst() >= WINDOW) {
            window.pollFirst();
        }
        if (window.size() < limit) {
            window.addLast(now);
            return -1;
        }
        long left = window.peekFirst() + WINDOW - now;
        return Math.max(1, (left + SECOND - 1) / SECOND);
    }
}
