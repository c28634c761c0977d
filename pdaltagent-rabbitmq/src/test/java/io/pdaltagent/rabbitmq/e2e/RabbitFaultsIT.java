package io.pdaltagent.rabbitmq.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.rabbitmq.Broker;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.Answer;
import io.pdaltagent.testing.EventLoad;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.FaultReport;
import io.pdaltagent.testing.FaultScale;
import io.pdaltagent.testing.TcpProxy;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows of RELIABILITY.md on RabbitMQ: one {@code bin/pdagentd} on its own virtual host, reaching
 * the machine's broker through a {@link TcpProxy} this test controls, so that the broker can be
 * "restarted" (every connection closed, the port refusing) and cut off (every byte dropped, nothing
 * closed) without touching the broker other tests share. An {@link EventLoad} posts throughout; the
 * fake PagerDuty's record is checked as on the embedded queue.
 */
@Timeout(300)
class RabbitFaultsIT {
    static final String BACKEND = "rabbitmq";
    static final int KEYS = 8;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;
    String vhost;
    TcpProxy proxy;

    @BeforeEach
    void setUp() throws Exception {
        vhost = Broker.newVhost();
        proxy = new TcpProxy("127.0.0.1", 5672);
    }

    @AfterEach
    void tearDown() throws Exception {
        proxy.close();
        Broker.deleteVhost(vhost);
    }

    Map<String, String> env(FakePagerDuty pd) {
        Map<String, String> env = new HashMap<>();
        env.put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        env.put("PDAGENTD_BROKER_URL", "amqp://guest:guest@127.0.0.1:" + proxy.port() + "/"
                + URLEncoder.encode(vhost, StandardCharsets.UTF_8));
        env.put("PDAGENTD_BROKER_PARTITIONS", "4");
        env.put("PDAGENTD_EVENTS_BASE_URL", pd.baseUrl());
        env.put("PDAGENTD_KEY_RATE_PER_MINUTE", "0");
        env.put("PDAGENTD_RETRY_BASE_MILLIS", "100");
        env.put("PDAGENTD_RETRY_MAX_MILLIS", "1000");
        return env;
    }

    static int perKey() {
        return FaultScale.events(40);
    }

    private static FaultReport awaitRecovery(String fault, EventLoad load, FakePagerDuty pd, Instant faultEnded,
                                             String note) throws Exception {
        return FaultReport.awaitRecovery(fault, BACKEND, load, pd, faultEnded, note);
    }

    @Test
    void theAgentKilledUnderLoadAndRestartedLosesNothing() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(15)).start()) {
            Map<String, String> env = env(pd);
            try (AgentProcess agent = new AgentProcess(env, dir.resolve("agent.log")).startAndAwaitHealthy();
                 EventLoad load = EventLoad.start(agent::baseUrl, "rsigkill", KEYS, perKey(), Duration.ofMillis(5))) {
                load.awaitAcknowledged(KEYS * load.perKey() / 3L, Duration.ofSeconds(60));
                agent.kill();
                env.put("PDAGENTD_HTTP_PORT", String.valueOf(agent.httpPort()));
                env.put("PDAGENTD_ADMIN_PORT", String.valueOf(agent.adminPort()));
                Instant restart = Instant.now();
                try (AgentProcess again = new AgentProcess(env, dir.resolve("agent2.log")).startAndAwaitHealthy()) {
                    awaitRecovery("sigkill", load, pd, restart,
                            "SIGKILL of the agent after a third of the load, restart at once")
                            .assertPromiseKept(2L * KEYS);
                    again.stop();
                }
            }
        }
    }

    @Test
    void theBrokerRestartedUnderLoadLosesNothing() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(5)).start();
             AgentProcess agent = new AgentProcess(env(pd), dir.resolve("agent.log")).startAndAwaitHealthy();
             EventLoad load = EventLoad.start(agent::baseUrl, "rrestart", KEYS, perKey(), Duration.ofMillis(10))) {
            load.awaitAcknowledged(KEYS * load.perKey() / 4L, Duration.ofSeconds(60));
            proxy.down();
            long refusedBefore = load.refusedCount();
            // while the broker is away ingest answers 503 and the clients try again
            await().atMost(Duration.ofSeconds(60)).until(() -> load.refusedCount() >= refusedBefore + 10L * KEYS);
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.healthStatus() == 503);
            proxy.up();
            Instant over = Instant.now();
            awaitRecovery("broker-restart", load, pd, over,
                    "every broker connection closed and refused (a restart, seen from the agent) until "
                            + (load.refusedCount() - refusedBefore) + " posts were answered 503")
                    .assertPromiseKept(2L * KEYS);
        }
    }

    @Test
    void theBrokerCutOffSilentlyIsNoticedAndNothingIsLost() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(5)).start();
             AgentProcess agent = new AgentProcess(env(pd), dir.resolve("agent.log")).startAndAwaitHealthy();
             EventLoad load = EventLoad.start(agent::baseUrl, "rcutoff", KEYS, perKey(), Duration.ofMillis(10))) {
            load.awaitAcknowledged(KEYS * load.perKey() / 4L, Duration.ofSeconds(60));
            proxy.blackhole();
            Instant cut = Instant.now();
            // nothing is closed: only the AMQP heartbeat (10 s) and the confirm timeout tell the agent
            await().atMost(Duration.ofSeconds(90)).until(() -> agent.healthStatus() == 503);
            Duration noticed = Duration.between(cut, Instant.now());
            proxy.up();
            Instant over = Instant.now();
            awaitRecovery("broker-cut-off", load, pd, over, "every byte to and from the broker dropped, nothing "
                    + "closed; health 503 after " + noticed.toSeconds() + " s, then the network back")
                    .assertPromiseKept(2L * KEYS);
        }
    }

    @Test
    void a429StormWithRetryAfterCostsNothingAcknowledged() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(5)).start();
             AgentProcess agent = new AgentProcess(env(pd), dir.resolve("agent.log")).startAndAwaitHealthy();
             EventLoad load = EventLoad.start(agent::baseUrl, "rstorm", KEYS, perKey(), Duration.ofMillis(10))) {
            load.awaitAcknowledged(KEYS * 5L, Duration.ofSeconds(30));
            pd.defaultAnswer(Answer.status(429).header("Retry-After", "1"));
            await().atMost(Duration.ofSeconds(60)).until(() -> pd.count() - pd.acceptedCount() >= 4L * KEYS);
            load.awaitAcknowledged(load.perKey() * KEYS / 2L, Duration.ofSeconds(60));
            pd.defaultAnswer(null);
            Instant over = Instant.now();
            long throttled = pd.count() - pd.acceptedCount();
            FaultReport row = awaitRecovery("429-storm-retry-after", load, pd, over,
                    throttled + " requests answered 429 with Retry-After: 1");
            row.assertPromiseKept(0);
            assertThat(row.duplicated()).isZero();
        }
    }

    /**
     * The RabbitMQ side of a full disk: a resource alarm (the memory watermark set below what the
     * broker uses, as {@code BrokerAlarmTest} does; set back whatever happens). The broker blocks
     * publishing connections: ingest answers 503 at once, health says why; after the alarm,
     * everything acknowledged is delivered without a restart.
     */
    @Test
    void aBrokerResourceAlarmIsAnswered503AndCostsNothingAcknowledged() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(5)).start();
             AgentProcess agent = new AgentProcess(env(pd), dir.resolve("agent.log")).startAndAwaitHealthy();
             EventLoad load = EventLoad.start(agent::baseUrl, "ralarm", KEYS, perKey(), Duration.ofMillis(250))) {
            // slow clients: the broker blocks a connection only when it publishes during the alarm
            load.awaitAcknowledged(KEYS * 3L, Duration.ofSeconds(60));
            long refusedBefore = load.refusedCount();
            Instant over;
            try {
                Broker.ctl("set_vm_memory_high_watermark", "absolute", "10MB");
                // (health is not checked here: see healthAnswers503PromptlyDuringABrokerAlarm)
                await().atMost(Duration.ofSeconds(90)).until(() -> load.refusedCount() >= refusedBefore + 3L * KEYS);
            } finally {
                Broker.ctl("set_vm_memory_high_watermark", "0.4");
                over = Instant.now();
            }
            awaitRecovery("broker-alarm", load, pd, over, "memory alarm (the RabbitMQ side of a full disk): "
                    + (load.refusedCount() - refusedBefore) + " posts answered 503 during it; no restart")
                    .assertPromiseKept(2L * KEYS);
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.healthStatus() == 200);
        }
    }

    /**
     * During a broker alarm {@code /healthz} answers 503 at once (within AgentProcess's 2 s timeout),
     * from the counts last read: the broker reads nothing from the blocked publishing connection, and
     * health once waited on it for the whole alarm.
     */
    @Test
    void healthAnswers503PromptlyDuringABrokerAlarm() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(5)).start();
             AgentProcess agent = new AgentProcess(env(pd), dir.resolve("agent.log")).startAndAwaitHealthy();
             EventLoad load = EventLoad.start(agent::baseUrl, "rhealth", KEYS, perKey(), Duration.ofMillis(250))) {
            load.awaitAcknowledged(KEYS * 3L, Duration.ofSeconds(60));
            try {
                Broker.ctl("set_vm_memory_high_watermark", "absolute", "10MB");
                long refusedBefore = load.refusedCount();
                await().atMost(Duration.ofSeconds(90)).until(() -> load.refusedCount() > refusedBefore);
                assertThat(agent.healthStatus()).isEqualTo(503);
            } finally {
                Broker.ctl("set_vm_memory_high_watermark", "0.4");
            }
        }
    }
}
