package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.Answer;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ReceivedEvent;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/pd-queue} end to end, through the launchers: PagerDuty Agent's own integration
 * scenarios for {@code pd-queue} (test_85_pdqueue_cmds.sh: status counts per key, {@code retry -k}
 * and {@code retry -a}, the refusal of neither or both flags) against a real {@code bin/pdagentd}
 * delivering to a fake PagerDuty, then what goes beyond them: list and show of dead events with
 * PagerDuty's answer, purge, {@code --json}, and the same commands on the data directory of a
 * stopped agent.
 *
 * <p>PagerDuty Agent's test moved queue files by hand to make events pending, succeeded or in
 * error; here the fake PagerDuty makes them so: success, a 400 (dead), or a 500 with
 * {@code Retry-After: 3600} (pending, its key throttled for an hour).
 */
@Timeout(300)
class PdQueueIT {
    // PagerDuty keys are 32 characters; these read as PagerDuty Agent's key1, key2, key3
    static final String KEY1 = "key1" + "a".repeat(28);
    static final String KEY2 = "key2" + "a".repeat(28);
    static final String KEY3 = "key3" + "a".repeat(28);
    private static final String HEADER = "Service Key                           Pending   Success  In Error\n"
            + "=================================================================\n";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Answer REJECT = Answer.invalidEvent("Service key is the wrong length (should be 32 characters)");
    private static final Answer DOWN_FOR_AN_HOUR = Answer.status(500).header("Retry-After", "3600");

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
    void threeEventsForOneKeyAreDeliveredInOrderAndCounted() throws Exception {
        start();
        send(KEY1, "trigger", "test1", "Test incident 1");
        send(KEY1, "acknowledge", "test1", null);
        send(KEY1, "resolve", "test1", null);
        await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY1) == 3);
        assertThat(pd.accepted(KEY1)).extracting(ReceivedEvent::eventAction).containsExactly("trigger", "acknowledge", "resolve");
        awaitTotals(0, 3, 0);

        Run status = pdQueue("status");
        assertThat(status.code()).isZero();
        assertThat(status.err()).isEmpty();
        assertThat(status.out()).isEqualTo(HEADER + row(KEY1, 0, 3, 0) + "\n");
    }

    /** test_85_pdqueue_cmds.sh, test_status: key1 1 0 0, key2 1 0 1, key3 0 1 0. */
    @Test
    void statusCountsPerKeyAfterEventsAreDeliveredDeadOrPending() throws Exception {
        start();
        pd.enqueueFor(KEY1, DOWN_FOR_AN_HOUR);
        pd.enqueueFor(KEY2, REJECT, DOWN_FOR_AN_HOUR);
        send(KEY1, "trigger", "test11", "Test incident 1.1");
        send(KEY2, "trigger", "test21", "Test incident 2.1");
        send(KEY2, "acknowledge", "test21", null);
        send(KEY3, "trigger", "test31", "Test incident 3.1");
        awaitTotals(2, 1, 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> adminStatus().path("totals").path("throttled_keys").asInt() == 2);

        Run status = pdQueue("status");
        assertThat(status.code()).isZero();
        assertThat(status.err()).isEmpty();
        assertThat(status.out()).isEqualTo(HEADER
                + row(KEY1, 1, 0, 0) + "  throttled\n"
                + row(KEY2, 1, 0, 1) + "  throttled\n"
                + row(KEY3, 0, 1, 0) + "\n");
        // as PagerDuty Agent's test reads it
        assertThat(squeeze(status.out())).isEqualTo(KEY1 + " 1 0 0 throttled\n" + KEY2 + " 1 0 1 throttled\n" + KEY3 + " 0 1 0\n");
        assertThat(squeeze(pdQueue("status", "-k", KEY2).out())).isEqualTo(KEY2 + " 1 0 1 throttled\n");
        assertThat(pdQueue("status", "-k", "key9" + "a".repeat(28)).out()).isEqualTo("Nothing to report.\n");

        JsonNode json = JSON.readTree(pdQueue("status", "--json").out());
        assertThat(json.get("totals").toString()).isEqualTo("{\"pending\":2,\"succeeded\":1,\"dead\":1,\"throttled_keys\":2}");
        assertThat(json.get("keys").get(1).toString()).matches(java.util.regex.Pattern.quote("{\"key\":\"" + KEY2
                + "\",\"pending\":1,\"succeeded\":0,\"dead\":1,\"throttled\":true,\"in_flight\":0,\"oldest_open_accepted_at\":\"")
                + "\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\"}");
        assertThat(json.get("keys").get(2).get("oldest_open_accepted_at").isNull()).as("a key with nothing open").isTrue();

        // the dead event, with the answer PagerDuty gave
        Run list = pdQueue("list");
        assertThat(list.code()).isZero();
        String[] lines = list.out().split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).startsWith("Seq ").contains("Service Key", "Dedup Key", "Attempts", "Accepted At", "Last Error");
        assertThat(lines[2]).contains(KEY2, "test21", "HTTP 400: {\"status\":\"invalid event\",\"message\":\"Event object is invalid\","
                + "\"errors\":[\"Service key is the wrong length (should be 32 characters)\"]}");
        long seq = Long.parseLong(lines[2].split(" +")[0]);
        Run show = pdQueue("show", String.valueOf(seq));
        assertThat(show.code()).isZero();
        assertThat(show.out()).contains("State:        dead\n", "Service Key:  " + KEY2 + "\n", "Dedup Key:    test21\n",
                "Destination:  events /generic/2010-04-15/create_event.json\n", "Attempts:     1\n", "Last Status:  400\n",
                "Last Error:   HTTP 400: {\"status\":\"invalid event\"", "\"event_type\":\"trigger\"", "\"description\":\"Test incident 2.1\"");
        JsonNode shown = JSON.readTree(pdQueue("show", "--json", String.valueOf(seq)).out());
        assertThat(shown.get("last_status").asInt()).isEqualTo(400);
        assertThat(JSON.readTree(shown.get("body").asText()).get("incident_key").asText()).isEqualTo("test21");
        JsonNode listed = JSON.readTree(pdQueue("list", "--json", "-k", KEY2).out());
        assertThat(listed.get("events")).hasSize(1);
        assertThat(listed.get("events").get(0).get("seq").asLong()).isEqualTo(seq);
        assertThat(pdQueue("list", "-k", KEY1).out()).isEqualTo("No dead events for service key " + KEY1 + ".\n");
        Run missing = pdQueue("show", "999999");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).isEqualTo("pd-queue: no event with seq 999999 in the queue\n");
    }

    /**
     * test_85_pdqueue_cmds.sh, test_retry: 2 pending, 3 in error (one of key2, two of other keys),
     * 1 succeeded; {@code retry -k key2} sets up 1, {@code retry -a} the other 2.
     */
    @Test
    void retryOneKeyThenAllKeysAndTheRefusalOfNeitherOrBoth() throws Exception {
        start();
        pd.enqueueFor(KEY1, Answer.success(), REJECT, DOWN_FOR_AN_HOUR);
        pd.enqueueFor(KEY2, REJECT, DOWN_FOR_AN_HOUR);
        pd.enqueueFor(KEY3, REJECT);
        send(KEY1, "trigger", "test12", "Test incident 1.2");
        send(KEY1, "trigger", "test13", "Test incident 1.3");
        send(KEY1, "trigger", "test11", "Test incident 1.1");
        send(KEY2, "acknowledge", "test21", null);
        send(KEY2, "trigger", "test21", "Test incident 2.1");
        send(KEY3, "trigger", "test31", "Test incident 3.1");
        awaitTotals(2, 1, 3);

        // PagerDuty Agent refuses to guess: exactly one of -k and -a
        Run neither = pdQueue("retry");
        assertThat(neither.code()).isEqualTo(2);
        assertThat(neither.out()).isEmpty();
        assertThat(neither.err()).isEqualTo("usage: pd-queue retry [-h] [-k SERVICE_KEY] [-a] [--seq SEQ] [--json]\n"
                + "pd-queue retry: error: A specific service key or a flag for all keys required\n");
        Run both = pdQueue("retry", "-k", KEY2, "-a");
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.out()).isEmpty();
        assertThat(both.err()).isEqualTo("usage: pd-queue retry [-h] [-k SERVICE_KEY] [-a] [--seq SEQ] [--json]\n"
                + "pd-queue retry: error: Only one of specific service key or flag for all keys required\n");
        assertThat(adminStatus().path("totals").path("dead").asInt()).as("nothing retried").isEqualTo(3);

        Run key2 = pdQueue("retry", "-k", KEY2);
        assertThat(key2.code()).isZero();
        assertThat(key2.out()).isEqualTo("1 event(s) set up for retry.\n");
        assertThat(key2.err()).isEmpty();
        JsonNode afterKey2 = adminStatus();
        assertThat(afterKey2.path("totals").path("dead").asInt()).isEqualTo(2);
        assertThat(keyRow(afterKey2, KEY2).path("dead").asInt()).isZero();

        Run all = pdQueue("retry", "-a");
        assertThat(all.code()).isZero();
        assertThat(all.out()).isEqualTo("2 event(s) set up for retry.\n");
        assertThat(adminStatus().path("totals").path("dead").asInt()).isZero();
        assertThat(pdQueue("retry", "-a", "--json").out()).isEqualTo("{\"retried\":0}\n");
        // key3 is not held by anything: its retried event goes out again, and PagerDuty takes it now
        await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY3) == 1);
    }

    @Test
    void purgeWithYesAndNotWithoutATerminal() throws Exception {
        start();
        pd.enqueueFor(KEY1, REJECT, REJECT);
        send(KEY1, "trigger", "p1", "Purge me 1");
        send(KEY1, "trigger", "p2", "Purge me 2");
        send(KEY2, "trigger", "p3", "Keep me");
        awaitTotals(0, 1, 2);

        Run refused = pdQueue("purge");
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).endsWith("pd-queue purge: error: no terminal to ask for confirmation on; pass --yes to purge without asking\n");
        assertThat(adminStatus().path("totals").path("dead").asInt()).isEqualTo(2);

        Run purged = pdQueue("purge", "--yes");
        assertThat(purged.code()).isZero();
        assertThat(purged.out()).isEqualTo("2 dead event(s) purged.\n");
        assertThat(pdQueue("list").out()).isEqualTo("No dead events.\n");
        assertThat(pdQueue("purge", "--delivered", "-k", KEY2, "-y").out()).isEqualTo("1 delivered event(s) purged.\n");
        assertThat(pdQueue("status").out()).isEqualTo("Nothing to report.\n");
    }

    @Test
    void theSameCommandsWorkOnTheDataDirectoryWhenTheAgentIsStopped() throws Exception {
        start();
        pd.enqueueFor(KEY2, REJECT, DOWN_FOR_AN_HOUR);
        send(KEY1, "trigger", "test11", "Test incident 1.1");
        send(KEY2, "trigger", "test21", "Test incident 2.1");
        send(KEY2, "acknowledge", "test21", null);
        send(KEY3, "trigger", "test31", "Test incident 3.1");
        awaitTotals(1, 2, 1);
        String listWhileRunning = pdQueue("list", "--json").out();

        // the agent running, but pd-queue pointed elsewhere: it says so instead of touching the queue
        Map<String, String> elsewhere = Map.of("PDQUEUE_AGENT_URL", "http://127.0.0.1:" + AgentProcess.freePort());
        Run wrongUrl = pdQueue(elsewhere, "status");
        assertThat(wrongUrl.code()).isEqualTo(1);
        assertThat(wrongUrl.out()).isEmpty();
        assertThat(wrongUrl.err()).startsWith("pd-queue: the agent seems to be running (its queue in " + dataDir() + " is in use)")
                .contains("its admin API is not reachable at " + elsewhere.get("PDQUEUE_AGENT_URL") + " (connection refused)");

        assertThat(agent.stop()).isIn(0, 143);
        Run status = pdQueue("status");
        assertThat(status.code()).isZero();
        assertThat(status.err()).as("no log lines from the embedded queue").isEmpty();
        assertThat(status.out()).isEqualTo(HEADER + row(KEY1, 0, 1, 0) + "\n" + row(KEY2, 1, 0, 1) + "\n" + row(KEY3, 0, 1, 0) + "\n");
        assertThat(squeeze(pdQueue("status", "-k", KEY2).out())).isEqualTo(KEY2 + " 1 0 1\n");
        assertThat(pdQueue("list", "--json").out()).as("the same document as the agent's").isEqualTo(listWhileRunning);
        long seq = JSON.readTree(listWhileRunning).get("events").get(0).get("seq").asLong();
        assertThat(pdQueue("show", String.valueOf(seq)).out()).contains("State:        dead\n", "Last Status:  400\n",
                "Event object is invalid");

        Run neither = pdQueue("retry");
        assertThat(neither.code()).isEqualTo(2);
        assertThat(neither.err()).endsWith("pd-queue retry: error: A specific service key or a flag for all keys required\n");
        Run retry = pdQueue("retry", "-k", KEY2);
        assertThat(retry.code()).isZero();
        assertThat(retry.out()).isEqualTo("1 event(s) set up for retry.\n");
        assertThat(retry.err()).isEqualTo("pd-queue: the agent is not running; they are sent when it starts\n");
        assertThat(pdQueue("retry", "-a").out()).isEqualTo("0 event(s) set up for retry.\n");
        assertThat(pdQueue("purge", "--delivered", "--yes").out()).isEqualTo("2 delivered event(s) purged.\n");
        assertThat(squeeze(pdQueue("status").out())).isEqualTo(KEY2 + " 2 0 0\n");

        // started again: the retried trigger goes out (PagerDuty takes it now); the acknowledge behind it
        // still waits out the hour PagerDuty asked for
        agent = new AgentProcess(agentEnv(), dir.resolve("agent2.log")).startAndAwaitHealthy();
        await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY2) == 1);
        assertThat(pd.accepted(KEY2)).extracting(ReceivedEvent::dedupKey, ReceivedEvent::eventAction)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("test21", "trigger"));
        awaitTotals(1, 1, 0);
    }

    @Test
    void noAgentAndNoQueueIsOneLineAndExit1() throws Exception {
        Map<String, String> env = Map.of("PDAGENTD_DATA_DIR", dir.resolve("none").toString(),
                "PDAGENTD_ADMIN_PORT", String.valueOf(AgentProcess.freePort()));
        Run r = pdQueue(env, "status");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("pd-queue: the agent is not reachable at http://127.0.0.1:")
                .contains("and there is no queue in " + dir.resolve("none")).hasLineCount(1);
    }

    // ---------------------------------------------------------------- helpers

    private void start() throws IOException {
        pd = FakePagerDuty.builder().start();
        agent = new AgentProcess(agentEnv(), dir.resolve("agent.log")).startAndAwaitHealthy();
    }

    private Map<String, String> agentEnv() {
        Map<String, String> env = new HashMap<>();
        env.put("PDAGENTD_DATA_DIR", dataDir().toString());
        env.put("PDAGENTD_EVENTS_BASE_URL", pd.baseUrl());
        if (agent != null) {
            env.put("PDAGENTD_HTTP_PORT", String.valueOf(agent.httpPort()));
            env.put("PDAGENTD_ADMIN_PORT", String.valueOf(agent.adminPort()));
        }
        return env;
    }

    private Path dataDir() {
        return dir.resolve("data");
    }

    /** An event as PagerDuty Agent's pd-send queued it: Events API v1. */
    private void send(String key, String type, String incidentKey, String description) throws Exception {
        Map<String, Object> event = new HashMap<>();
        event.put("service_key", key);
        event.put("event_type", type);
        event.put("incident_key", incidentKey);
        if (description != null) {
            event.put("description", description);
        }
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(agent.baseUrl() + "/generic/2010-04-15/create_event.json"))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(event))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private JsonNode adminStatus() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(agent.adminUrl() + "/admin/v1/queue/status")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private void awaitTotals(int pending, int succeeded, int dead) {
        String want = "{\"pending\":" + pending + ",\"succeeded\":" + succeeded + ",\"dead\":" + dead;
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> adminStatus().path("totals").toString().startsWith(want));
    }

    private static JsonNode keyRow(JsonNode status, String key) {
        for (JsonNode k : status.path("keys")) {
            if (k.path("key").asText().equals(key)) {
                return k;
            }
        }
        throw new AssertionError("no row for " + key + " in " + status);
    }

    private Run pdQueue(String... args) throws Exception {
        return pdQueue(Map.of(), args);
    }

    /** bin/pd-queue as a user runs it next to the agent: the agent's PDAGENTD_* settings, stdin not a terminal. */
    private Run pdQueue(Map<String, String> extraEnv, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(AgentProcess.projectRoot().resolve("bin/pd-queue").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("PDAGENTD_") || k.startsWith("PDQUEUE_"));
        // only the data dir: pd-queue finds the agent (on free, non-default ports) through it
        pb.environment().put("PDAGENTD_DATA_DIR", dataDir().toString());
        pb.environment().putAll(extraEnv);
        Path out = Files.createTempFile(dir, "pdq", ".out");
        Path err = Files.createTempFile(dir, "pdq", ".err");
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("pd-queue " + String.join(" ", args) + " did not finish within 120 s");
        }
        // the launcher's own note when it rebuilds first (another engineer's edit, a fresh checkout)
        // is not pd-queue's output
        String errText = Files.readString(err).replace("pdaltagent: building (first use or sources changed)...\n", "");
        return new Run(p.exitValue(), Files.readString(out), errText);
    }

    /** A row of PagerDuty Agent's status table, without the newline. */
    private static String row(String key, int pending, int succeeded, int dead) {
        return String.format("%-35s%10s%10s%10s", key, pending, succeeded, dead);
    }

    /** {@code tail -n+3 | tr -s " "}, as PagerDuty Agent's integration test reads the table. */
    private static String squeeze(String table) {
        String[] lines = table.split("\n");
        StringBuilder s = new StringBuilder();
        for (int i = 2; i < lines.length; i++) {
            s.append(lines[i].replaceAll(" +", " ")).append('\n');
        }
        return s.toString();
    }
}
