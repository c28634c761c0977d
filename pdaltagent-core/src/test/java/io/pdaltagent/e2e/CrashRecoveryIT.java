package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.EventLoad;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.FaultReport;
import io.pdaltagent.testing.FaultScale;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The delivery promise under a crash, a row of RELIABILITY.md: bin/pdagentd as its own process,
 * clients posting concurrently, SIGKILL mid-stream, a restart; every event that got a 202 reaches
 * PagerDuty, in per-key order.
 */
@Timeout(300)
class CrashRecoveryIT {
    static final int KEYS = 24;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedEventIsDeliveredInPerKeyOrderAcrossASigkill() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(15)).start()) {
            Map<String, String> env = new HashMap<>(Map.of(
                    "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                    "PDAGENTD_EVENTS_BASE_URL", pd.baseUrl(),
                    "PDAGENTD_DELIVERY_CONCURRENCY", "8",
                    "PDAGENTD_KEY_RATE_PER_MINUTE", "0", // a load test: PagerDuty's pace would take minutes
                    "PDAGENTD_RETRY_BASE_MILLIS", "50",
                    "PDAGENTD_RETRY_MAX_MILLIS", "500"));
            try (AgentProcess agent = new AgentProcess(env, dir.resolve("agent.log")).startAndAwaitHealthy();
                 EventLoad load = EventLoad.start(agent::baseUrl, "crash", KEYS, FaultScale.events(120), Duration.ZERO)) {
                // kill it while events are still arriving and while a backlog is being delivered
                load.awaitAcknowledged(KEYS * load.perKey() / 3L, Duration.ofSeconds(60));
                long ackedBeforeKill = load.acknowledgedCount();
                agent.kill();
                env.put("PDAGENTD_HTTP_PORT", String.valueOf(agent.httpPort()));
                env.put("PDAGENTD_ADMIN_PORT", String.valueOf(agent.adminPort()));
                assertThat((long) pd.acceptedCount()).as("the kill came while events were still queued")
                        .isLessThan(ackedBeforeKill);

                Instant restart = Instant.now();
                try (AgentProcess again = new AgentProcess(env, dir.resolve("agent2.log")).startAndAwaitHealthy()) {
                    load.awaitFinished(Duration.ofSeconds(120));
                    await().atMost(Duration.ofSeconds(120)).until(() -> FaultReport.allDelivered(load, pd));
                    // duplicates only for events in flight at the kill (at most one per key) or
                    // re-posted by a client whose 202 was lost in the kill (at most one per key)
                    FaultReport.measure("sigkill", "embedded", load, pd, restart,
                            "SIGKILL after a third of the load, restart at once; recovery counted from the restart")
                            .write().assertPromiseKept(2L * KEYS);
                    again.stop();
                }
            }
        }
    }
}
