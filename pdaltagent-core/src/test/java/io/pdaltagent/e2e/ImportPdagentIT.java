package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ReceivedEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/pdagentd import-pdagent} on a queue directory laid out exactly as PagerDuty Agent
 * writes it, then the agent delivering every pending event once, in order, to a fake PagerDuty.
 *
 * <p>The layout is PagerDuty Agent's own (github.com/PagerDuty/pdagent):
 * <ul>
 *   <li>{@code pdagent/confdirs.py}: the production data dir {@code /var/lib/pdagent}, the queue in
 *       its {@code outqueue} (the queue itself in {@code outqueue/pdq});</li>
 *   <li>{@code pdagent/pdqueue.py}, {@code PDQEnqueuer.enqueue}: each event written to
 *       {@code tmp_<ms>_<service key>.txt}, then renamed to {@code pdq_<ms>_<service key>.txt} (the
 *       enqueue time in milliseconds, {@code int(time.time() * 1000)} plus a retry counter);
 *       {@code _unsafe_change_event_type} renames {@code pdq_} to {@code err_} (dead) or {@code suc_}
 *       (delivered); {@code dequeue.lock} is the dequeue lock file;</li>
 *   <li>{@code pdagent/pdagentutil.py}, {@code _build_event_json_str}: the content, compact JSON with
 *       sorted keys, {@code service_key}, {@code event_type}, {@code details}, optional
 *       {@code incident_key}/{@code description}/{@code client}/{@code client_url}, and the
 *       {@code agent} context ({@code agent_id}, {@code queued_by}, {@code queued_at});</li>
 *   <li>{@code conf/pdagent.conf}: an INI file with a {@code [Main]} section, e.g.
 *       {@code send_interval_secs = 10}, {@code log_level = info}, {@code source_address = 0.0.0.0}.</li>
 * </ul>
 */
@Timeout(300)
class ImportPdagentIT {
    static final String KEY1 = "key1" + "b".repeat(28);
    static final String KEY2 = "key2" + "b".repeat(28);
    static final long T0 = 1_700_000_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private FakePagerDuty pd;
    private AgentProcess agent;

    record Run(int code, String out, String err) {
    }

    @AfterEach
    void tearDown() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (pd != null) {
            pd.close();
        }
        http.close();
    }

    @Test
    void pendingEventsAreDeliveredOnceInOrderDeadOnesStayDeadUntilRetriedAndARerunImportsNothing() throws Exception {
        pd = FakePagerDuty.builder().start();
        Path pdagent = dir.resolve("var-lib-pdagent");
        Path pdq = Files.createDirectories(pdagent.resolve("outqueue").resolve("pdq"));
        Files.writeString(pdq.resolve("dequeue.lock"), "");
        write(pdq, "pdq", T0, KEY1, event(KEY1, "trigger", "disk-1", "Disk full on web-1"));
        write(pdq, "pdq", T0 + 1, KEY2, event(KEY2, "trigger", null, "Load high on db-2"));
        write(pdq, "pdq", T0 + 2, KEY1, event(KEY1, "acknowledge", "disk-1", null));
        write(pdq, "pdq", T0 + 3, KEY1, event(KEY1, "resolve", "disk-1", null));
        write(pdq, "err", T0 - 60_000, KEY2, event(KEY2, "trigger", "bad-1", "Rejected long ago"));
        write(pdq, "suc", T0 - 120_000, KEY1, event(KEY1, "trigger", "old-1", "Delivered long ago"));
        write(pdq, "tmp", T0 + 4, KEY1, "{\"service_key\":\"" + KEY1);
        Path conf = dir.resolve("pdagent.conf");
        Files.writeString(conf, """
                #
                # PagerDuty Agent Config
                #

                [Main]

                send_interval_secs = 10
                cleanup_interval_secs = 10800
                cleanup_threshold_secs = 604800
                log_level = info
                backoff_interval_secs = 60
                retry_limit_for_possible_errors = 60
                source_address = 127.0.0.1
                """);
        Path yaml = dir.resolve("pdaltagent.yaml");
        Files.writeString(yaml, "PDAGENTD_HTTPS_PORT: 0\n");

        Run first = importPdagent(pdagent.toString(), "--conf", conf.toString());
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).contains("Imported 4 pending event(s) from " + pdq)
                .contains("Kept 1 dead event(s) as dead: the agent queues them as dead events")
                .contains("Left 1 delivered record(s) (suc_) and 1 unfinished enqueue(s) (tmp_)")
                .contains("PDAGENTD_SOURCE_ADDRESS: 127.0.0.1 (added to " + yaml + ")")
                .contains("send_interval_secs = 10: not carried over (this agent delivers each event as soon as it is queued)")
                .contains("log_level = info: not carried over");
        assertThat(names(pdq)).containsExactlyInAnyOrder("dequeue.lock", "suc_" + (T0 - 120_000) + "_" + KEY1 + ".txt",
                "tmp_" + (T0 + 4) + "_" + KEY1 + ".txt");
        assertThat(Files.readString(yaml)).contains("PDAGENTD_SOURCE_ADDRESS: \"127.0.0.1\"");

        Run again = importPdagent(pdagent.toString(), "--conf", conf.toString());
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).contains("Imported 0 pending event(s)").contains("Kept 0 dead event(s)")
                .contains("PDAGENTD_SOURCE_ADDRESS is already set (" + yaml + ":");

        agent = new AgentProcess(agentEnv(yaml), dir.resolve("agent.log")).startAndAwaitHealthy();
        await().atMost(Duration.ofSeconds(60)).until(() -> succeeded() == 4);
        // PagerDuty Agent's dead event is dead here, with where it came from
        await().atMost(Duration.ofSeconds(30)).until(() -> status().path("totals").path("dead").asInt() == 1);
        Run list = pdQueue("list");
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out()).contains(KEY2, "bad-1", "dead in PagerDuty Agent (err_" + (T0 - 60_000) + "_" + KEY2 + ".txt)");
        assertThat(pd.accepted(KEY1)).extracting(ReceivedEvent::eventAction, ReceivedEvent::dedupKey).containsExactly(
                org.assertj.core.groups.Tuple.tuple("trigger", "disk-1"),
                org.assertj.core.groups.Tuple.tuple("acknowledge", "disk-1"),
                org.assertj.core.groups.Tuple.tuple("resolve", "disk-1"));
        List<ReceivedEvent> key2 = pd.accepted(KEY2);
        assertThat(key2).hasSize(1);
        // the trigger without an incident key got one derived from its file, so that a repeat is de-duplicated
        assertThat(key2.get(0).dedupKey()).startsWith("pdagent-");
        JsonNode body = key2.get(0).json();
        assertThat(body.path("description").asText()).isEqualTo("Load high on db-2");
        assertThat(body.path("agent").path("queued_by").asText()).as("PagerDuty Agent's context is kept").isEqualTo("pd-send");

        // a run while the agent runs: nothing new, nothing twice
        Run third = importPdagent(pdagent.toString(), "--conf", conf.toString());
        assertThat(third.out()).contains("Imported 0 pending event(s)");
        assertThat(third.out()).contains("Kept 0 dead event(s)");
        assertThat(status().path("totals").toString()).startsWith("{\"pending\":0,\"succeeded\":4,\"dead\":1");
        assertThat(pd.acceptedCount()).isEqualTo(4);
        assertThat(pd.accepted()).extracting(ReceivedEvent::dedupKey).doesNotContain("bad-1", "old-1");

        // retried like any dead event: delivered once
        Run retry = pdQueue("retry", "-k", KEY2);
        assertThat(retry.out()).isEqualTo("1 event(s) set up for retry.\n");
        await().atMost(Duration.ofSeconds(60)).until(() -> succeeded() == 5);
        assertThat(pd.accepted()).extracting(ReceivedEvent::dedupKey).containsOnlyOnce("bad-1").doesNotContain("old-1");
        assertThat(pd.acceptedCount()).isEqualTo(5);
    }

    @Test
    void noQueueDirectoryIsOneLineAndExit1() throws Exception {
        Run r = importPdagent(dir.resolve("nothing").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("pdagentd import-pdagent: no PagerDuty Agent queue in " + dir.resolve("nothing")
                + " (expected " + dir.resolve("nothing/outqueue/pdq") + ")\n");
    }

    // ---------------------------------------------------------------- helpers

    /** An event as PagerDuty Agent's pd-send queued it (pdagentutil._build_event_json_str). */
    private static String event(String key, String type, String incidentKey, String description) throws Exception {
        Map<String, Object> e = new TreeMap<>();
        e.put("service_key", key);
        e.put("event_type", type);
        e.put("details", Map.of());
        if (incidentKey != null) {
            e.put("incident_key", incidentKey);
        }
        if (description != null) {
            e.put("description", description);
        }
        e.put("client", "Nagios");
        e.put("agent", new TreeMap<>(Map.of("agent_id", "5f0f5b5e-8bd5-4a0a-9b1e-2c1b6a7c8d9e", "queued_by", "pd-send",
                "queued_at", "2023-11-14T22:13:20Z")));
        return JSON.writeValueAsString(e);
    }

    private static void write(Path pdq, String type, long ms, String key, String content) throws Exception {
        Files.writeString(pdq.resolve(type + "_" + ms + "_" + key + ".txt"), content);
    }

    private static List<String> names(Path d) throws Exception {
        List<String> out = new ArrayList<>();
        try (var s = Files.list(d)) {
            s.forEach(p -> out.add(p.getFileName().toString()));
        }
        return out;
    }

    private Path dataDir() {
        return dir.resolve("data");
    }

    private Map<String, String> agentEnv(Path yaml) {
        Map<String, String> env = new HashMap<>();
        env.put("PDAGENTD_DATA_DIR", dataDir().toString());
        env.put("PDAGENTD_EVENTS_BASE_URL", pd.baseUrl());
        env.put("PDAGENTD_CONFIG_FILE", yaml.toString());
        return env;
    }

    private JsonNode status() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(agent.adminUrl() + "/admin/v1/queue/status")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    private int succeeded() throws Exception {
        return status().path("totals").path("succeeded").asInt();
    }

    /** bin/pd-queue with only the data dir known, as a user runs it. */
    private Run pdQueue(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(AgentProcess.projectRoot().resolve("bin/pd-queue").toString());
        cmd.addAll(List.of(args));
        return run(cmd, Map.of());
    }

    private Run importPdagent(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(AgentProcess.projectRoot().resolve("bin/pdagentd").toString());
        cmd.add("import-pdagent");
        cmd.addAll(List.of(args));
        String file = Files.exists(dir.resolve("pdaltagent.yaml")) ? dir.resolve("pdaltagent.yaml").toString() : "/dev/null";
        return run(cmd, Map.of("PDAGENTD_CONFIG_FILE", file));
    }

    private Run run(List<String> cmd, Map<String, String> extraEnv) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("PDAGENTD_") || k.startsWith("PDQUEUE_"));
        pb.environment().put("PDAGENTD_DATA_DIR", dataDir().toString());
        pb.environment().putAll(extraEnv);
        Path out = Files.createTempFile(dir, "imp", ".out");
        Path err = Files.createTempFile(dir, "imp", ".err");
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish within 120 s");
        }
        String errText = Files.readString(err).replace("pdaltagent: building (first use or sources changed)...\n", "");
        return new Run(p.exitValue(), Files.readString(out), errText);
    }
}
