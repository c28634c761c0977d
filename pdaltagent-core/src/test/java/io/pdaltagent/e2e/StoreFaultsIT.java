package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.EventLoad;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.FaultReport;
import io.pdaltagent.testing.FaultScale;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A row of RELIABILITY.md: the embedded queue's file truncated while the agent was stopped.
 * {@code pdagentd verify} finds it offline (exit 1, saying what is wrong); the next start notices
 * it, moves the files aside into {@code quarantine/} (kept, with the events they hold), says so in
 * one ERROR, and takes and delivers new events on an empty queue.
 */
@Timeout(300)
class StoreFaultsIT {
    static final int KEYS = 8;

    @TempDir
    Path dir;

    Map<String, String> env(FakePagerDuty pd) {
        Map<String, String> env = new HashMap<>();
        env.put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        env.put("PDAGENTD_EVENTS_BASE_URL", pd.baseUrl());
        env.put("PDAGENTD_KEY_RATE_PER_MINUTE", "0");
        env.put("PDAGENTD_RETRY_BASE_MILLIS", "100");
        env.put("PDAGENTD_RETRY_MAX_MILLIS", "1000");
        return env;
    }

    record Run(int code, String out) {
    }

    static Run verify(Path target) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(AgentProcess.projectRoot().resolve("bin/pdagentd").toString(), "verify",
                target.toString());
        pb.environment().put("PDAGENTD_CONFIG_FILE", "/dev/null");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void aTruncatedStoreIsFoundByVerifyAndQuarantinedAtStartAndNewEventsFlow() throws Exception {
        Path data = dir.resolve("data");
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(5)).start()) {
            Map<String, String> env = env(pd);
            EventLoad held;
            // PagerDuty down: the events stay in the store
            pd.stop();
            try (AgentProcess agent = new AgentProcess(env, dir.resolve("agent.log")).startAndAwaitHealthy()) {
                held = EventLoad.start(agent::baseUrl, "held", KEYS, FaultScale.events(40), Duration.ZERO);
                held.awaitFinished(Duration.ofSeconds(60));
                agent.stop();
            }
            assertThat(verify(data).code()).as("a sound store").isZero();

            Path db = data.resolve("queue.db");
            long size = Files.size(db);
            try (RandomAccessFile f = new RandomAccessFile(db.toFile(), "rw")) {
                f.setLength(size / 2);
            }
            Run check = verify(data);
            assertThat(check.code()).as(check.out()).isEqualTo(1);
            assertThat(check.out()).contains("problem(s)").contains("truncated");

            pd.start();
            Instant restart = Instant.now();
            try (AgentProcess agent = new AgentProcess(env, dir.resolve("agent2.log")).startAndAwaitHealthy();
                 EventLoad fresh = EventLoad.start(agent::baseUrl, "fresh", KEYS, FaultScale.events(40), Duration.ZERO)) {
                assertThat(agent.logText()).contains("ERROR").contains("is damaged").contains("quarantine");
                List<Path> kept;
                try (Stream<Path> s = Files.walk(data.resolve("quarantine"))) {
                    kept = s.filter(p -> p.getFileName().toString().equals("queue.db")).toList();
                }
                assertThat(kept).hasSize(1);
                assertThat(Files.size(kept.get(0))).isEqualTo(size / 2);

                fresh.awaitFinished(Duration.ofSeconds(60));
                await().atMost(Duration.ofSeconds(60)).until(() -> FaultReport.allDelivered(fresh, pd));
                FaultReport after = FaultReport.measure("store-truncated", "embedded", fresh, pd, restart, "")
                        .assertPromiseKept(0);
                // the row counts both loads: the events in the damaged file are lost to delivery (kept aside)
                long heldAcked = held.acknowledgedCount();
                new FaultReport(after.fault(), after.backend(), after.sent() + held.sentCount(), after.acknowledged() + heldAcked,
                        after.delivered(), after.lost() + heldAcked, after.duplicated(), after.incidentsOver(), after.outOfOrder(),
                        after.recover(), heldAcked + " events acknowledged before the file was cut in half are lost to delivery, "
                                + "kept in quarantine/; every event sent after the restart was delivered").write();
                assertThat(agent.healthStatus()).isEqualTo(200);
            }
        }
    }
}
