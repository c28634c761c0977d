import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.delivery.KeyPacer;

/**
 * What per-key pacing adds to one delivery: the dispatcher's two pacer calls per attempt
 * ({@code acquire} before the send, {@code untilNext} after the outcome) over KEYS keys round-robin
 * at a rate that never holds a key (as bench/delivery.sh runs), on the system ticker. Prints
 * nanoseconds per delivery, best of ROUNDS rounds of CALLS deliveries each, one thread.
 *
 * <pre>java -cp JAR:LIB/* bench/PacerCost.java [KEYS [CALLS [ROUNDS]]]</pre>
 */
public final class PacerCost {
    public static void main(String[] args) {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 5_000_000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        KeyPacer pacer = new KeyPacer(new AgentConfig.PacingConfig(1_000_000, 10), System::nanoTime);
        String[] names = new String[keys];
        for (int i = 0; i < keys; i++) {
            names[i] = String.format("%032d", i);
        }
        long best = Long.MAX_VALUE;
        long sink = 0;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                String k = names[i % keys];
                if (pacer.acquire(k) instanceof KeyPacer.Decision.Go) {
                    sink++;
                }
                sink += pacer.untilNext(k).getNano();
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        System.out.printf("keys=%d deliveries=%d best_ns_per_delivery=%.1f (held=%d)%n", keys, calls,
                best / (double) calls, (long) rounds * calls - sink);
    }
}
