package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.EventLoad;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.FaultReport;
import io.pdaltagent.testing.FaultScale;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A row of RELIABILITY.md: the embedded queue's file system full under load. The agent runs in its
 * own mount namespace ({@code unshare --mount}, as root: nothing outside the process sees it) with
 * its data directory on an 8 MB tmpfs, all but {@value #ROOM} bytes of it taken by a ballast file
 * (the store's start takes some 250 KB of that room: its schema, indexes and write-ahead log; what
 * is left fills with events, and the ballast's 7.4 MB, once freed, hold the rest of the load and a
 * full write-ahead log, 4 MB at most). It answers 503 while writes fail, and once the ballast is deleted (through
 * {@code /proc/PID/root}, the process's view of the file system) goes on without a restart. Nothing
 * acknowledged is lost, nothing refused slips in.
 */
@Timeout(300)
class DiskFullIT {
    static final int KEYS = 8;
    static final int TMPFS = 8 << 20;
    static final int ROOM = 600 << 10;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void aFullDiskIsAnswered503AndWritesGoOnOnceThereIsRoomWithoutARestart() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(5)).start()) {
            Map<String, String> env = new HashMap<>();
            env.put("PDAGENTD_DATA_DIR", data.toString());
            env.put("PDAGENTD_EVENTS_BASE_URL", pd.baseUrl());
            env.put("PDAGENTD_KEY_RATE_PER_MINUTE", "0");
            env.put("PDAGENTD_RETRY_BASE_MILLIS", "100");
            env.put("PDAGENTD_RETRY_MAX_MILLIS", "1000");
            // PagerDuty down at first: the events stay, the store fills
            pd.stop();
            try (AgentProcess agent = new AgentProcess(env, dir.resolve("agent.log")).launchedBy("unshare", "--mount",
                    "--propagation", "private", "sh", "-c", "mount -t tmpfs -o size=" + TMPFS + " tmpfs '" + data + "' && "
                            + "head -c " + (TMPFS - ROOM) + " /dev/zero > '" + data + "/ballast' && exec \"$0\"").startAndAwaitHealthy();
                 EventLoad load = EventLoad.start(agent::baseUrl, "diskfull", KEYS, FaultScale.events(150), Duration.ZERO)) {
                Path ballast = Path.of("/proc", Long.toString(agent.process().pid()), "root").resolve(
                        data.toString().substring(1)).resolve("ballast");
                assertThat(ballast).exists();
                await().atMost(Duration.ofSeconds(120)).until(() -> load.refusedCount() >= 20L * KEYS
                        || load.failure() != null);
                assertThat(load.failure()).isNull();
                await().atMost(Duration.ofSeconds(30)).until(() -> agent.healthStatus() == 503);
                long acknowledgedWhileFull = load.acknowledgedCount();

                Files.delete(ballast);
                pd.start();
                Instant over = Instant.now();
                load.awaitFinished(Duration.ofSeconds(120));
                await().atMost(Duration.ofSeconds(120)).until(() -> FaultReport.allDelivered(load, pd));
                FaultReport row = FaultReport.measure("disk-full", "embedded", load, pd, over,
                        "data dir on an 8 MB tmpfs with " + (ROOM >> 10) + " KB free: " + acknowledgedWhileFull
                                + " events acknowledged, then " + load.refusedCount() + " posts answered 503 until "
                                + ((TMPFS - ROOM) >> 10) + " KB were freed; no restart")
                        .write();
                row.assertPromiseKept(0);
                await().atMost(Duration.ofSeconds(30)).until(() -> agent.healthStatus() == 200);
                assertThat(agent.logText()).contains("SQLITE_FULL");
            }
        }
    }
}
