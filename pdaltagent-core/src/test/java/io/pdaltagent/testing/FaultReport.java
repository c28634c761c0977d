package io.pdaltagent.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * One row of RELIABILITY.md, measured from the same run: what the {@link EventLoad} sent and had
 * acknowledged, checked against what {@link FakePagerDuty} accepted (2xx, what PagerDuty would
 * have ingested).
 *
 * <ul>
 *   <li><b>delivered</b>: acknowledged events ({@code key/seq}) PagerDuty accepted at least once;
 *   <li><b>lost</b>: acknowledged events it never accepted;
 *   <li><b>duplicated</b>: accepted requests beyond the first of each event (a redelivery);
 *   <li><b>incidents over</b>: distinct dedup keys PagerDuty saw beyond one per event, i.e. the
 *       incidents a redelivery would have opened twice (0: every redelivery carried its dedup key);
 *   <li><b>out of order</b>: accepted events whose seq is below one already accepted for the key;
 *   <li><b>time to recover</b>: from the end of the fault until every event acknowledged before
 *       that moment was accepted (zero when nothing was waiting); events posted later do not count.
 * </ul>
 *
 * <p>{@link #write} puts the row as one JSON line into {@code target/reliability/<backend>-<fault>.json}
 * at the project root (or {@code $PDALTAGENT_RELIABILITY_DIR}); {@code bench/reliability.sh} turns
 * those files into the table.
 */
public record FaultReport(String fault, String backend, long sent, long acknowledged, long delivered, long lost,
                          long duplicated, long incidentsOver, long outOfOrder, Duration recover, String note) {

    /** Measures the row; {@code faultEnded} is when the fault was taken away (the restart, PagerDuty back...). */
    public static FaultReport measure(String fault, String backend, EventLoad load, FakePagerDuty pd,
                                      Instant faultEnded, String note) {
        long delivered = 0;
        long duplicated = 0;
        long outOfOrder = 0;
        Set<String> dedupKeys = new HashSet<>();
        Instant lastFirstAcceptance = faultEnded;
        for (String key : load.keys()) {
            Map<Long, Instant> first = new HashMap<>();
            long highest = Long.MIN_VALUE;
            for (ReceivedEvent e : pd.accepted(key)) {
                long seq = e.seq();
                if (e.dedupKey() != null) {
                    dedupKeys.add(e.dedupKey());
                }
                if (first.putIfAbsent(seq, e.receivedAt()) != null) {
                    duplicated++;
                }
                if (seq < highest) {
                    outOfOrder++;
                }
                highest = Math.max(highest, seq);
            }
            for (Map.Entry<Long, Instant> f : first.entrySet()) {
                Instant ackedAt = load.acknowledgedAt(key, f.getKey());
                if (ackedAt != null) {
                    delivered++;
                    // recovery is about the backlog at the fault's end, not the load still arriving later
                    if (ackedAt.isBefore(faultEnded) && f.getValue().isAfter(lastFirstAcceptance)) {
                        lastFirstAcceptance = f.getValue();
                    }
                }
            }
        }
        long acknowledged = load.acknowledgedCount();
        // an event acknowledged twice (its first 202 lost in a crash) has two dedup keys: only the
        // events PagerDuty saw count, one incident each
        long events = countAccepted(load, pd);
        return new FaultReport(fault, backend, load.sentCount(), acknowledged, delivered, acknowledged - delivered,
                duplicated, Math.max(0, dedupKeys.size() - events), outOfOrder,
                Duration.between(faultEnded, lastFirstAcceptance), note);
    }

    private static long countAccepted(EventLoad load, FakePagerDuty pd) {
        long n = 0;
        for (String key : load.keys()) {
            n += pd.accepted(key).stream().map(ReceivedEvent::seq).distinct().count();
        }
        return n;
    }

    /** This row with the time to recover measured another way (e.g. on the agent's injected clock). */
    public FaultReport withRecover(Duration measured) {
        return new FaultReport(fault, backend, sent, acknowledged, delivered, lost, duplicated, incidentsOver,
                outOfOrder, measured, note);
    }

    /**
     * Waits for the load to finish and PagerDuty to have every acknowledged event, then measures and
     * writes the row.
     */
    public static FaultReport awaitRecovery(String fault, String backend, EventLoad load, FakePagerDuty pd,
                                            Instant faultEnded, String note) throws Exception {
        load.awaitFinished(Duration.ofSeconds(120));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50))
                .until(() -> allDelivered(load, pd));
        return measure(fault, backend, load, pd, faultEnded, note).write();
    }

    /** True once PagerDuty has accepted every acknowledged event: for awaiting the recovery. */
    public static boolean allDelivered(EventLoad load, FakePagerDuty pd) {
        long found = 0;
        for (String key : load.keys()) {
            found += pd.accepted(key).stream().map(ReceivedEvent::seq).filter(s -> load.acknowledged(key, s))
                    .distinct().count();
        }
        return found >= load.acknowledgedCount();
    }

    /** The delivery promise: nothing acknowledged lost, per-key order kept, at most {@code maxDuplicates} redeliveries. */
    public FaultReport assertPromiseKept(long maxDuplicates) {
        assertThat(lost).as("%s/%s: acknowledged events lost", backend, fault).isZero();
        assertThat(outOfOrder).as("%s/%s: events out of order", backend, fault).isZero();
        assertThat(duplicated).as("%s/%s: redeliveries", backend, fault).isLessThanOrEqualTo(maxDuplicates);
        assertThat(acknowledged).as("%s/%s: acknowledged events", backend, fault).isPositive();
        return this;
    }

    public String toJson() {
        return "{\"fault\":\"" + fault + "\",\"backend\":\"" + backend + "\",\"sent\":" + sent + ",\"acknowledged\":"
                + acknowledged + ",\"delivered\":" + delivered + ",\"lost\":" + lost + ",\"duplicated\":" + duplicated
                + ",\"incidents_over\":" + incidentsOver + ",\"out_of_order\":" + outOfOrder + ",\"recover_ms\":"
                + Math.max(0, recover.toMillis()) + ",\"scale\":" + FaultScale.factor() + ",\"note\":\""
                + note.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
    }

    /** Writes the row's JSON line (replacing an earlier run's) and returns this. */
    public FaultReport write() {
        Path dir = outputDir();
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(backend + "-" + fault + ".json"), toJson() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    static Path outputDir() {
        String d = System.getenv("PDALTAGENT_RELIABILITY_DIR");
        return d != null && !d.isBlank() ? Path.of(d) : AgentProcess.projectRoot().resolve("target/reliability");
    }

    @Override
    public String toString() {
        return toJson();
    }
}
