package io.pdaltagent.ingest;

import io.pdaltagent.transform.EventStage;
import io.pdaltagent.transform.PiiCategory;
import io.pdaltagent.transform.PiiScrubber;
import io.pdaltagent.transform.RulesStage;
import io.pdaltagent.transform.TransformChain;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;

/**
 * The cost per event of the intake path with and without transforms, on one thread, for
 * bench/transforms.sh (run with the test class path): {@link Intake#take} on a 1 KB alert event
 * (parse, validate, transforms, write the stored bytes), with no transforms, the PII scrubber (every
 * category), a 20-rule file, and both. After a warm-up, ROUNDS rounds of EVENTS events each, the
 * configurations taking turns within a round (so that a busy spell of a shared machine falls on
 * all of them); the median round is reported, in elapsed time and in the thread's CPU time (which
 * leaves out the time other processes held the core). Not a test: timings belong in BENCHMARKS.md.
 *
 * <pre>java -cp ... io.pdaltagent.ingest.TransformBench bench/rules-20.yaml [EVENTS] [ROUNDS]</pre>
 */
public final class TransformBench {
    private TransformBench() {
    }

    static String event(int i) {
        return ("{\"routing_key\":\"bench000000000000000000000000001\",\"event_action\":\"trigger\",\"dedup_key\":\"run-1-" + i
                + "\",\"payload\":{\"summary\":\"bench: disk usage above 90% on host-" + (i % 997)
                + " (volume /data, 455 GB of 500 GB) since 2024-05-01T10:00:00Z\",\"source\":\"host-" + (i % 997)
                + ".bench.example\",\"severity\":\"warning\",\"component\":\"disk\",\"group\":\"bench\",\"class\":\"disk\","
                + "\"custom_details\":{\"thread\":1,\"n\":" + i + ",\"owner\":\"oncall-storage@example.com\",\"client_ip\":\"203.0.113."
                + (i % 250) + "\",\"escalation_phone\":\"+1 415-555-0" + String.format("%03d", i % 1000)
                + "\",\"request_id\":\"123e4567-e89b-12d3-a456-4266141740" + String.format("%02d", i % 100)
                + "\",\"pod\":\"storage-agent-7d9f8c6b5-x2x9k\",\"image\":\"registry.example/storage-agent:1.25.3\","
                + "\"duration\":\"00:05:30\",\"message\":\"Filesystem check reported 3 warnings on /dev/sda1 after 1234 ms; "
                + "last successful backup at 2024-04-30 23:59:59.\",\"runbook\":\"https://wiki.example/runbooks/disk-full#step-3\","
                + "\"labels\":{\"env\":\"bench\",\"region\":\"eu-west-1\",\"tier\":\"storage\",\"team\":\"sre\"},"
                + "\"metrics\":[{\"name\":\"disk.used_pct\",\"value\":91.5},{\"name\":\"disk.inodes_pct\",\"value\":40.2},"
                + "{\"name\":\"io.wait_ms\",\"value\":12}]}}}");
    }

    public static void main(String[] args) throws Exception {
        Path rulesFile = Path.of(args[0]);
        int events = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        byte[][] bodies = new byte[1000][];
        for (int i = 0; i < bodies.length; i++) {
            bodies[i] = event(i).getBytes(StandardCharsets.UTF_8);
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        System.out.println("event size: " + bodies[0].length + " bytes; " + events + " events a round, median of "
                + rounds + " rounds, one thread, the configurations taking turns in each round; "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        PiiScrubber scrubber = new PiiScrubber(EnumSet.allOf(PiiCategory.class));
        try (RulesStage rules = new RulesStage(rulesFile, Clock.systemUTC(), Duration.ofHours(1))) {
            List<String> names = List.of("no transforms", "PII scrubber (all categories)", "20-rule file",
                    "20 rules + scrubber");
            List<Intake> intakes = List.of(
                    new Intake(TransformChain.of(List.<EventStage>of())),
                    new Intake(TransformChain.of(List.<EventStage>of(scrubber))),
                    new Intake(TransformChain.of(List.<EventStage>of(rules))),
                    new Intake(TransformChain.of(List.<EventStage>of(rules, scrubber))));
            Route.Match match = Route.match("/v2/enqueue");
            Instant now = Instant.now();
            for (Intake intake : intakes) { // warm-up
                run(intake, match, bodies, events, now);
            }
            double[][] wall = new double[intakes.size()][rounds];
            double[][] cpu = new double[intakes.size()][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int c = 0; c < intakes.size(); c++) {
                    long c0 = threads.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    run(intakes.get(c), match, bodies, events, now);
                    wall[c][r] = (System.nanoTime() - t0) / 1000.0 / events;
                    cpu[c][r] = (threads.getCurrentThreadCpuTime() - c0) / 1000.0 / events;
                }
            }
            System.out.printf("%-32s %12s %14s %12s %14s%n", "intake configuration", "us/event", "extra us/event",
                    "CPU us/event", "extra CPU us");
            double base = median(wall[0]);
            double baseCpu = median(cpu[0]);
            for (int c = 0; c < intakes.size(); c++) {
                System.out.printf("%-32s %12.2f %14.2f %12.2f %14.2f%n", names.get(c), median(wall[c]),
                        median(wall[c]) - base, median(cpu[c]), median(cpu[c]) - baseCpu);
            }
        }
    }

    private static void run(Intake intake, Route.Match match, byte[][] bodies, int events, Instant now) {
        long sink = 0;
        for (int i = 0; i < events; i++) {
            Intake.Outcome o = intake.take(match, "/v2/enqueue", bodies[i % bodies.length], now);
            sink += ((Intake.Store) o).item().body().length;
        }
        if (sink == 42) {
            System.out.println();
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
