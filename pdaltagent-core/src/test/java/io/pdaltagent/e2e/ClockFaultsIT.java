package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.Agent;
import io.pdaltagent.config.EnvConfig;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.EventLoad;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.FaultReport;
import io.pdaltagent.testing.FaultScale;
import io.pdaltagent.testing.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows of RELIABILITY.md that need the agent's clock: the whole agent in this JVM ({@link Agent#start}
 * with a {@link ManualClock}, its real HTTP ingest and delivery), so that hours of a PagerDuty
 * outage pass in seconds and the wall clock can be stepped (an NTP step) without moving monotonic
 * time. Events wait for their retries while PagerDuty refuses connections; then it comes back.
 * Retries use the default backoff (1 s doubling up to 5 minutes, full jitter).
 *
 * <p>Time to recover is the agent's time from PagerDuty being back to the last event delivered.
 */
@Timeout(300)
class ClockFaultsIT {
    static final String BACKEND = "embedded";
    static final int KEYS = 8;
    /** Real time per step of the agent's clock: the dispatcher's claim loop looks again within 200 ms. */
    static final long REAL_NANOS_PER_STEP = TimeUnit.MILLISECONDS.toNanos(250);

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock(Instant.now());
    private Agent agent;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
    }

    private Agent start(FakePagerDuty pd) {
        Map<String, String> env = new HashMap<>();
        env.put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        env.put("PDAGENTD_HTTP_PORT", String.valueOf(AgentProcess.freePort()));
        env.put("PDAGENTD_HTTPS_PORT", "0");
        env.put("PDAGENTD_ADMIN_PORT", "0");
        env.put("PDAGENTD_EVENTS_BASE_URL", pd.baseUrl());
        env.put("PDAGENTD_KEY_RATE_PER_MINUTE", "0");
        agent = Agent.start(EnvConfig.load(env), clock);
        return agent;
    }

    /** Lets {@code total} of the agent's time pass in steps of {@code step}, or until {@code done}. */
    private void pass(Duration total, Duration step, BooleanSupplier done) {
        long end = clock.nanoTime() + total.toNanos();
        while (clock.nanoTime() < end && !done.getAsBoolean()) {
            clock.advance(step);
            LockSupport.parkNanos(REAL_NANOS_PER_STEP);
        }
    }

    /** PagerDuty stopped, the load queued (every event acknowledged), retries under way. */
    private EventLoad queueDuringOutage(FakePagerDuty pd, String name) throws Exception {
        pd.stop();
        EventLoad load = EventLoad.start(() -> "http://127.0.0.1:" + agent.httpPort(), name, KEYS,
                FaultScale.events(20), Duration.ZERO);
        load.awaitFinished(Duration.ofSeconds(60));
        // the first attempts fail and back off
        pass(Duration.ofSeconds(10), Duration.ofSeconds(1), () -> false);
        return load;
    }

    /** PagerDuty back; the agent's time until every acknowledged event is delivered. */
    private Duration recover(FakePagerDuty pd, EventLoad load) {
        pd.start();
        long back = clock.nanoTime();
        pass(Duration.ofHours(2), Duration.ofSeconds(10), () -> FaultReport.allDelivered(load, pd));
        assertThat(FaultReport.allDelivered(load, pd)).as("delivered within 2 h of the agent's time").isTrue();
        return Duration.ofNanos(clock.nanoTime() - back);
    }

    @Test
    void pagerDutyDownForHoursThenBackDeliversEverythingWithinTheBackoffCeiling() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().start()) {
            start(pd);
            try (EventLoad load = queueDuringOutage(pd, "hours")) {
                Duration outage = FaultScale.time(Duration.ofHours(3));
                pass(outage, Duration.ofMinutes(5), () -> false);
                Duration recovered = recover(pd, load);
                FaultReport row = FaultReport.measure("pagerduty-down-3h", BACKEND, load, pd, Instant.now(),
                        "connections refused for " + outage.toHours() + " h of the agent's (injected) clock; "
                                + "recovery in the agent's time, bounded by the 5 min backoff ceiling")
                        .withRecover(recovered).write();
                row.assertPromiseKept(0);
                assertThat(recovered).isLessThanOrEqualTo(Duration.ofMinutes(5).plusSeconds(20));
            }
        }
    }

    @Test
    void theWallClockSteppedBackAnHourDoesNotDelayRetries() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().start()) {
            start(pd);
            try (EventLoad load = queueDuringOutage(pd, "stepback")) {
                clock.step(Duration.ofHours(-1));
                pass(Duration.ofMinutes(10), Duration.ofMinutes(1), () -> false);
                Duration recovered = recover(pd, load);
                FaultReport row = FaultReport.measure("clock-step-back-1h", BACKEND, load, pd, Instant.now(),
                        "wall clock stepped back 1 h while events waited for retries (PagerDuty down)")
                        .withRecover(recovered).write();
                row.assertPromiseKept(0);
                assertThat(recovered).as("waits are on monotonic time: not an hour longer")
                        .isLessThanOrEqualTo(Duration.ofMinutes(5).plusSeconds(20));
            }
        }
    }

    @Test
    void theWallClockSteppedForwardPastTheMaximumAgeExpiresNothing() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().start()) {
            start(pd);
            try (EventLoad load = queueDuringOutage(pd, "stepfwd")) {
                // past PDAGENTD_MAX_EVENT_AGE_SECONDS (7 days): without the correction every event would expire
                clock.step(Duration.ofDays(8));
                pass(Duration.ofMinutes(10), Duration.ofMinutes(1), () -> false);
                Duration recovered = recover(pd, load);
                FaultReport row = FaultReport.measure("clock-step-forward-8d", BACKEND, load, pd, Instant.now(),
                        "wall clock stepped 8 days ahead (past the 7-day maximum age) while events waited for retries")
                        .withRecover(recovered).write();
                row.assertPromiseKept(0);
                assertThat(agent.queue().stats().dead()).as("expired by the step").isZero();
            }
        }
    }
}
