package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.Answer;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows of RELIABILITY.md on the embedded queue: {@code bin/pdagentd} as its own process, an
 * {@link EventLoad} posting while PagerDuty (the fake) misbehaves, then the fake's record checked:
 * every acknowledged event delivered, in order per key, and the redeliveries counted. Each test
 * writes its row ({@link FaultReport#write}). The short form runs in CI; {@code bench/reliability.sh}
 * runs the long one ({@code PDALTAGENT_FAULTS_SCALE}).
 */
@Timeout(300)
class FaultsIT {
    static final String BACKEND = "embedded";
    static final int KEYS = 8;

    @TempDir
    Path dir;

    static int perKey() {
        return FaultScale.events(40);
    }

    /** The agent's settings of every row: retries quick enough for a test, no pacing (a load test). */
    Map<String, String> env(String eventsUrl) {
        Map<String, String> env = new HashMap<>();
        env.put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        env.put("PDAGENTD_EVENTS_BASE_URL", eventsUrl);
        env.put("PDAGENTD_KEY_RATE_PER_MINUTE", "0");
        env.put("PDAGENTD_RETRY_BASE_MILLIS", "100");
        env.put("PDAGENTD_RETRY_MAX_MILLIS", "1000");
        return env;
    }

    /** {@code pdaltagent_delivery_retries_total{status="network"}}: attempts that got no HTTP answer. */
    static long networkRetries(AgentProcess agent) throws Exception {
        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(agent.adminUrl() + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith("pdaltagent_delivery_retries_total{status=\"network\"}"))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static FaultReport awaitRecovery(String fault, EventLoad load, FakePagerDuty pd, Instant faultEnded,
                                             String note) throws Exception {
        return FaultReport.awaitRecovery(fault, BACKEND, load, pd, faultEnded, note);
    }

    @Test
    void a429StormWithRetryAfterCostsNothingAcknowledged() throws Exception {
        storm429(true);
    }

    @Test
    void a429StormWithoutRetryAfterCostsNothingAcknowledged() throws Exception {
        storm429(false);
    }

    private void storm429(boolean retryAfter) throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(5)).start();
             AgentProcess agent = new AgentProcess(env(pd.baseUrl()), dir.resolve("agent.log")).startAndAwaitHealthy()) {
            Answer throttle = retryAfter ? Answer.status(429).header("Retry-After", "1") : Answer.status(429);
            try (EventLoad load = EventLoad.start(agent::baseUrl, retryAfter ? "storm" : "stormnra", KEYS, perKey(),
                    Duration.ofMillis(10))) {
                load.awaitAcknowledged(KEYS * 5L, Duration.ofSeconds(30));
                pd.defaultAnswer(throttle);
                // the storm lasts while a good part of the load arrives
                await().atMost(Duration.ofSeconds(60)).until(() -> pd.count() - pd.acceptedCount() >= 4L * KEYS);
                load.awaitAcknowledged(load.perKey() * KEYS / 2L, Duration.ofSeconds(60));
                pd.defaultAnswer(null);
                Instant over = Instant.now();
                long throttled = pd.count() - pd.acceptedCount();
                FaultReport row = awaitRecovery(retryAfter ? "429-storm-retry-after" : "429-storm", load, pd, over,
                        throttled + " requests answered 429" + (retryAfter ? " with Retry-After: 1" : ", no Retry-After"));
                row.assertPromiseKept(0);
                assertThat(row.duplicated()).as("a 429 is not an ingest: nothing twice").isZero();
            }
        }
    }

    @Test
    void aSlowPagerDutyTimesOutAndIsRetriedWithoutADuplicateIncident() throws Exception {
        Map<String, String> settings;
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(5)).start()) {
            settings = env(pd.baseUrl());
            settings.put("PDAGENTD_DELIVERY_TIMEOUT_SECONDS", "2");
            try (AgentProcess agent = new AgentProcess(settings, dir.resolve("agent.log")).startAndAwaitHealthy();
                 EventLoad load = EventLoad.start(agent::baseUrl, "slow", KEYS, perKey(), Duration.ofMillis(10))) {
                load.awaitAcknowledged(KEYS * 5L, Duration.ofSeconds(30));
                // PagerDuty takes each event, but answers only after 20 s: the agent gives up after 2 s
                pd.defaultAnswer(Answer.delay(Duration.ofSeconds(20)));
                long before = pd.count();
                await().atMost(Duration.ofSeconds(60)).until(() -> pd.count() >= before + 3L * KEYS);
                await().atMost(FaultScale.time(Duration.ofSeconds(60)))
                        .until(() -> load.acknowledgedCount() >= load.perKey() * KEYS / 2L);
                pd.defaultAnswer(null);
                Instant over = Instant.now();
                FaultReport row = awaitRecovery("pagerduty-slow-20s", load, pd, over,
                        "answers after 20 s, agent timeout 2 s; a retried event carries its dedup key");
                row.assertPromiseKept(Long.MAX_VALUE);
                assertThat(row.duplicated()).as("timed-out attempts PagerDuty had taken").isPositive();
                assertThat(row.incidentsOver()).as("incidents PagerDuty would have opened twice").isZero();
            }
        }
    }

    @Test
    void anUnresolvablePagerDutyHostHoldsEventsUntilTheNameResolvesAgain() throws Exception {
        // the agent's own hosts file (jdk.net.hosts.file), read at each lookup: the name does not
        // resolve, then it does, without a restart (the JVM remembers a failed lookup for 10 s)
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, "127.0.0.1 localhost\n");
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(5)).start()) {
            Map<String, String> settings = env("http://events.pagerduty.test:" + pd.port());
            settings.put("PDAGENTD_JAVA_OPTS", "-XX:+UseSerialGC -Xmx88m -Djdk.net.hosts.file=" + hosts
                    + " --enable-native-access=ALL-UNNAMED");
            try (AgentProcess agent = new AgentProcess(settings, dir.resolve("agent.log")).startAndAwaitHealthy();
                 EventLoad load = EventLoad.start(agent::baseUrl, "dns", KEYS, perKey(), Duration.ZERO)) {
                load.awaitFinished(Duration.ofSeconds(60));
                await().atMost(Duration.ofSeconds(60)).until(() -> networkRetries(agent) >= 3L * KEYS * FaultScale.factor());
                assertThat(pd.count()).as("nothing reaches PagerDuty while its name does not resolve").isZero();
                Files.writeString(hosts, "127.0.0.1 localhost\n127.0.0.1 events.pagerduty.test\n");
                Instant over = Instant.now();
                FaultReport row = awaitRecovery("dns-failure", load, pd, over,
                        "events URL's host unresolvable, then resolvable, no restart; recovery includes the JVM's "
                                + "10 s cache of failed lookups");
                row.assertPromiseKept(0);
            }
        }
    }

    @Test
    void pagerDutyDownForAWhileThenBackLosesNothing() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().latency(Duration.ofMillis(5)).start();
             AgentProcess agent = new AgentProcess(env(pd.baseUrl()), dir.resolve("agent.log")).startAndAwaitHealthy();
             EventLoad load = EventLoad.start(agent::baseUrl, "down", KEYS, perKey(), Duration.ofMillis(10))) {
            load.awaitAcknowledged(KEYS * 5L, Duration.ofSeconds(30));
            pd.stop();
            Instant down = Instant.now();
            // down while most of the load arrives and the agent keeps retrying
            load.awaitAcknowledged(load.perKey() * KEYS * 3L / 4, Duration.ofSeconds(120));
            await().atMost(Duration.ofSeconds(60)).until(() -> networkRetries(agent) >= 5L * KEYS * FaultScale.factor());
            pd.start();
            Instant over = Instant.now();
            FaultReport row = awaitRecovery("pagerduty-down", load, pd, over, "connections refused for "
                    + Duration.between(down, over).toSeconds() + " s (real time); for hours: the clock row");
            row.assertPromiseKept(KEYS);
        }
    }
}
