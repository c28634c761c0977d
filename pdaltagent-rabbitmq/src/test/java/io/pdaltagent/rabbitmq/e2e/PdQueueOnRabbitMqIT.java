package io.pdaltagent.rabbitmq.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.rabbitmq.Broker;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.Answer;
import io.pdaltagent.testing.FakePagerDuty;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/pd-queue} against an agent on RabbitMQ: a rejected event is dead with PagerDuty's
 * answer in the dead-letter queue; status, list, show, retry and purge work through the agent.
 */
@Timeout(180)
class PdQueueOnRabbitMqIT {
    static final String KEY1 = "key1" + "a".repeat(28);
    static final String KEY2 = "key2" + "a".repeat(28);

    @TempDir
    Path dir;
    String vhost;
    AgentProcess agent;
    final HttpClient http = HttpClient.newHttpClient();

    record Run(int code, String out, String err) {
    }

    @BeforeEach
    void vhost() throws Exception {
        vhost = Broker.newVhost();
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (agent != null) {
            agent.close();
        }
        Broker.deleteVhost(vhost);
    }

    private void send(String key, String action, String dedup) throws Exception {
        String body = "{\"routing_key\":\"" + key + "\",\"event_action\":\"" + action + "\",\"dedup_key\":\"" + dedup
                + "\",\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"error\"}}";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(agent.baseUrl() + "/v2/enqueue"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }

    private Run pdQueue(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(AgentProcess.projectRoot().resolve("bin/pd-queue").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("PDAGENTD_") || k.startsWith("PDQUEUE_"));
        pb.environment().put("PDQUEUE_AGENT_URL", agent.adminUrl());
        pb.environment().put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void deadEventsAreListedShownRetriedAndPurged() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().start()) {
            agent = new AgentProcess(Map.of("PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                    "PDAGENTD_BROKER_URL", Broker.url(vhost), "PDAGENTD_BROKER_PARTITIONS", "4",
                    "PDAGENTD_EVENTS_BASE_URL", pd.baseUrl()), dir.resolve("agent.log")).startAndAwaitHealthy();
            pd.enqueueFor(KEY2, Answer.invalidEvent("Invalid routing key"), Answer.invalidEvent("Invalid routing key"));
            send(KEY1, "trigger", "a1");
            send(KEY2, "trigger", "b1");
            send(KEY2, "trigger", "b2");
            await().atMost(Duration.ofSeconds(30)).until(() -> pdQueue("list").out().split("\n").length == 4);

            Run status = pdQueue("status");
            assertThat(status.code()).isZero();
            assertThat(status.out()).containsPattern(KEY1 + " +0 +1 +0").containsPattern(KEY2 + " +0 +0 +2");

            Run list = pdQueue("list", "-k", KEY2);
            assertThat(list.code()).isZero();
            String[] lines = list.out().split("\n");
            assertThat(lines[2]).contains(KEY2, "b1", "HTTP 400");
            long seq = Long.parseLong(lines[2].trim().split(" +")[0]);
            Run show = pdQueue("show", String.valueOf(seq));
            assertThat(show.code()).as(show.err()).isZero();
            assertThat(show.out()).contains("State:        dead", "Dedup Key:    b1", "Last Status:  400", "Invalid routing key");

            Run retry = pdQueue("retry", "-k", KEY2);
            assertThat(retry.out()).isEqualTo("2 event(s) set up for retry.\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY2) == 2);
            assertThat(pd.accepted(KEY2).stream().map(e -> e.dedupKey()).toList()).containsExactly("b1", "b2");
            assertThat(pdQueue("list").out()).startsWith("No dead events");

            pd.enqueueFor(KEY1, Answer.invalidEvent("Invalid routing key"));
            send(KEY1, "trigger", "a2");
            await().atMost(Duration.ofSeconds(30)).until(() -> pdQueue("list").out().contains("a2"));
            Run purge = pdQueue("purge", "--dead", "--yes");
            assertThat(purge.code()).as(purge.err() + purge.out()).isZero();
            assertThat(pdQueue("list").out()).startsWith("No dead events");
        }
    }
}
