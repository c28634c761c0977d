package io.pdaltagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pd-send in-process against a stand-in agent: what it sends, prints and exits with. */
class PdSendTest {
    static final String KEY = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path tmp;

    TinyAgent agent;
    final Map<String, String> env = new HashMap<>();
    String out;
    String err;

    @BeforeEach
    void start() throws Exception {
        agent = TinyAgent.start();
        env.put("PDSEND_EVENTS_BASE_URL", agent.baseUrl());
        env.put("PDAGENTD_DATA_DIR", tmp.resolve("data").toString());
    }

    @AfterEach
    void stop() {
        agent.close();
    }

    int run(String... argv) {
        return runWithStdin(InputStream.nullInputStream(), argv);
    }

    int runWithStdin(InputStream stdin, String... argv) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = PdSend.run(argv, env, stdin, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return code;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> obj(Object o) {
        return (Map<String, Object>) o;
    }

    @Test
    void aTriggerWithEveryV2FlagBecomesTheEventPagerDutyDocuments() {
        int code = run("-k", KEY, "-t", "trigger", "-d", "Disk 95% = full on db01", "-i", "db01/disk",
                "-c", "ExampleMon", "-u", "https://mon.example.net", "-f", "used_pct=95", "-f", "query=a=b&c=d",
                "-f", "note=two words", "-s", "error", "-o", "db01.example.net", "-m", "disk", "-g", "db", "-l", "capacity",
                "--link", "https://mon.example.net/db01?a=b", "--link-text", "Dashboard", "--link", "https://x/=",
                "--image", "https://mon.example.net/g.png", "--image-alt", "graph", "--image-href", "https://mon/g",
                "--timestamp", "2024-05-01T10:00:00.000Z");
        assertThat(code).isZero();
        assertThat(out).isEqualTo("Event processed. Incident Key: db01/disk\n");
        assertThat(err).isEmpty();
        TinyAgent.Request r = agent.last();
        assertThat(r.path()).isEqualTo("/v2/enqueue");
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        assertThat(r.header("User-Agent")).startsWith("pd-send/");
        assertThat(r.body()).isEqualTo("{\"routing_key\":\"" + KEY + "\",\"event_action\":\"trigger\",\"dedup_key\":\"db01/disk\","
                + "\"payload\":{\"summary\":\"Disk 95% = full on db01\",\"source\":\"db01.example.net\",\"severity\":\"error\","
                + "\"timestamp\":\"2024-05-01T10:00:00.000Z\",\"component\":\"disk\",\"group\":\"db\",\"class\":\"capacity\","
                + "\"custom_details\":{\"used_pct\":\"95\",\"query\":\"a=b&c=d\",\"note\":\"two words\"}},"
                + "\"links\":[{\"href\":\"https://mon.example.net/db01?a=b\",\"text\":\"Dashboard\"},{\"href\":\"https://x/=\"}],"
                + "\"images\":[{\"src\":\"https://mon.example.net/g.png\",\"alt\":\"graph\",\"href\":\"https://mon/g\"}],"
                + "\"client\":\"ExampleMon\",\"client_url\":\"https://mon.example.net\"}");
    }

    @Test
    void aTriggerWithoutKeyPrintsTheKeyTheAgentAssignedAndDefaultsSeverityAndSource() {
        assertThat(run("--routing-key=" + KEY, "--event-type=trigger", "--description=x")).isZero();
        assertThat(out).isEqualTo("Event processed. Incident Key: assigned-key\n");
        Map<String, Object> payload = obj(agent.last().json().get("payload"));
        assertThat(payload.get("severity")).isEqualTo("critical");
        assertThat((String) payload.get("source")).isNotBlank();
        assertThat(agent.last().json()).doesNotContainKey("dedup_key");
    }

    @Test
    void acknowledgeAndResolveCarryOnlyTheirKeys() {
        assertThat(run("-k", KEY, "-t", "resolve", "-i", "k1", "-d", "ignored for v2", "-f", "a=b")).isZero();
        assertThat(agent.last().body()).isEqualTo("{\"routing_key\":\"" + KEY + "\",\"event_action\":\"resolve\",\"dedup_key\":\"k1\"}");
        assertThat(out).isEqualTo("Event processed. Incident Key: k1\n");
        assertThat(run("-k", KEY, "-t", "acknowledge", "--dedup-key", "k2")).isZero();
        assertThat(agent.last().json()).containsEntry("event_action", "acknowledge").containsEntry("dedup_key", "k2");
    }

    @Test
    void v1SendsPagerDutyAgentsEventWithContexts() {
        assertThat(run("--v1", "-k", KEY, "-t", "trigger", "-d", "d", "-i", "ik", "-c", "c", "-u", "u", "-f", "k=v=w",
                "-x", "link:href=http://a/?x=y,text=t", "-x", "image:src=https://i/p.png,alt=a", "--link", "http://b/")).isZero();
        TinyAgent.Request r = agent.last();
        assertThat(r.path()).isEqualTo("/generic/2010-04-15/create_event.json");
        assertThat(r.body()).isEqualTo("{\"service_key\":\"" + KEY + "\",\"event_type\":\"trigger\",\"incident_key\":\"ik\","
                + "\"description\":\"d\",\"client\":\"c\",\"client_url\":\"u\",\"details\":{\"k\":\"v=w\"},"
                + "\"contexts\":[{\"type\":\"link\",\"href\":\"http://a/?x=y\",\"text\":\"t\"},{\"type\":\"link\",\"href\":\"http://b/\"},"
                + "{\"type\":\"image\",\"src\":\"https://i/p.png\",\"alt\":\"a\"}]}");
        assertThat(out).isEqualTo("Event processed. Incident Key: ik\n");
    }

    @Test
    void changeEventsGoToTheChangePath() {
        assertThat(run("--change", "-k", KEY, "-d", "deployed v2", "-o", "ci", "-f", "build=42",
                "--link", "https://ci/42", "--timestamp", "2024-05-01T10:00:00+02:00")).isZero();
        TinyAgent.Request r = agent.last();
        assertThat(r.path()).isEqualTo("/v2/change/enqueue");
        assertThat(r.body()).isEqualTo("{\"routing_key\":\"" + KEY + "\",\"payload\":{\"summary\":\"deployed v2\",\"source\":\"ci\","
                + "\"timestamp\":\"2024-05-01T10:00:00+02:00\",\"custom_details\":{\"build\":\"42\"}},"
                + "\"links\":[{\"href\":\"https://ci/42\"}]}");
        assertThat(out).isEqualTo("Change event processed.\n");
    }

    @Test
    void jsonFromAFileOrStdinIsSentAsWrittenToThePathItsShapeNames() throws Exception {
        String v2 = "{\"routing_key\":\"" + KEY + "\",\"event_action\":\"trigger\",\"dedup_key\":\"j1\","
                + "\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\",\"custom_details\":{\"n\":1.50}},\"extra\":[1]}";
        Path file = tmp.resolve("e.json");
        Files.writeString(file, v2);
        assertThat(run("--json", file.toString())).isZero();
        assertThat(agent.last().path()).isEqualTo("/v2/enqueue");
        assertThat(agent.last().body()).isEqualTo(v2);
        assertThat(out).isEqualTo("Event processed. Incident Key: j1\n");

        String v1 = "{\"service_key\":\"" + KEY + "\",\"event_type\":\"resolve\",\"incident_key\":\"i1\"}";
        assertThat(runWithStdin(new ByteArrayInputStream(v1.getBytes(StandardCharsets.UTF_8)), "--json", "-")).isZero();
        assertThat(agent.last().path()).isEqualTo("/generic/2010-04-15/create_event.json");
        assertThat(out).isEqualTo("Event processed. Incident Key: i1\n");

        String change = "{\"routing_key\":\"" + KEY + "\",\"payload\":{\"summary\":\"deployed\"}}";
        assertThat(runWithStdin(new ByteArrayInputStream(change.getBytes(StandardCharsets.UTF_8)), "-q", "--json=-")).isZero();
        assertThat(agent.last().path()).isEqualTo("/v2/change/enqueue");
        assertThat(out).isEmpty();
    }

    @Test
    void quietPrintsNothingOnSuccess() {
        assertThat(run("-q", "-k", KEY, "-t", "trigger", "-d", "x")).isZero();
        assertThat(out).isEmpty();
        assertThat(err).isEmpty();
    }

    @Test
    void usageErrorsExit2WithTheReasonAfterTheUsage() {
        assertUsage("the following arguments are required: -k/--service-key, -t/--event-type");
        assertUsage("the following arguments are required: -t/--event-type", "-k", KEY);
        assertUsage("argument -t/--event-type: invalid choice: 'open' (choose from 'trigger', 'acknowledge', 'resolve')",
                "-k", KEY, "-t", "open");
        assertUsage("Event type 'trigger' requires description", "-k", KEY, "-t", "trigger");
        assertUsage("Event type 'trigger' requires description", "-k", KEY, "-t", "trigger", "-d", "  ");
        assertUsage("Event type 'acknowledge' requires incident key", "-k", KEY, "-t", "acknowledge");
        assertUsage("Event type 'resolve' requires incident key", "-k", KEY, "-t", "resolve");
        assertUsage("argument -s/--severity: invalid choice: 'fatal' (choose from 'critical', 'error', 'warning', 'info')",
                "-k", KEY, "-t", "trigger", "-d", "x", "-s", "fatal");
        assertUsage("argument -k/--service-key: Please supply a valid PagerDuty routing key (32 characters; this one has 5)",
                "-k", "short", "-t", "trigger", "-d", "x");
        assertUsage("argument -f/--field: expected KEY=VALUE, got 'novalue'", "-k", KEY, "-t", "trigger", "-d", "x",
                "-f", "novalue");
        assertUsage("argument --timestamp: 'yesterday' is not an ISO 8601", "-k", KEY, "-t", "trigger", "-d", "x",
                "--timestamp", "yesterday");
        assertUsage("argument --link-text: must follow a --link", "-k", KEY, "-t", "trigger", "-d", "x", "--link-text", "t");
        assertUsage("argument -x/--context: unknown context type 'video'", "-k", KEY, "-t", "trigger", "-d", "x",
                "-x", "video:src=x");
        assertUsage("argument -d/--description: too long (1025 characters; the maximum is 1024)",
                "-k", KEY, "-t", "trigger", "-d", "x".repeat(1025));
        assertUsage("argument -i/--incident-key: too long", "-k", KEY, "-t", "resolve", "-i", "k".repeat(256));
        assertUsage("argument -t/--event-type: not allowed with argument --change", "--change", "-k", KEY, "-t", "trigger");
        assertUsage("argument -s/--severity: not allowed with argument --change", "--change", "-k", KEY, "-d", "x", "-s", "info");
        assertUsage("argument -s/--severity: not allowed with argument --v1", "--v1", "-k", KEY, "-t", "trigger", "-d", "x",
                "-s", "info");
        assertUsage("argument -k/--service-key: not allowed with argument --json", "--json", "-", "-k", KEY);
        assertUsage("unrecognized arguments: extra", "-k", KEY, "-t", "trigger", "-d", "x", "extra");
        assertUsage("unrecognized arguments: --bogus", "--bogus");
        assertThat(agent.requests).isEmpty();
    }

    @Test
    void anInvalidJsonEventIsAUsageErrorWithTheAgentsWording() throws Exception {
        Path file = tmp.resolve("bad.json");
        Files.writeString(file, "{\"routing_key\":\"" + KEY + "\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\"s\"}}");
        assertThat(run("--json", file.toString())).isEqualTo(2);
        assertThat(err).endsWith("pd-send: error: the event in " + file + " is invalid: 'payload.source' is missing or blank; "
                + "'payload.severity' is missing or blank\n");
        Files.writeString(file, "{\"summary\":\"s\"}");
        assertThat(run("--json", file.toString())).isEqualTo(2);
        assertThat(err).contains("cannot tell the event's API from its fields");
        Files.writeString(file, "{not json");
        assertThat(run("--json", file.toString())).isEqualTo(2);
        assertThat(err).contains("is not a JSON object: JSON parse error at offset 1");
        assertThat(run("--json", tmp.resolve("missing.json").toString())).isEqualTo(2);
        assertThat(err).contains("argument --json: no such file: ");
        assertThat(agent.requests).isEmpty();
    }

    @Test
    void aRejectedEventExits1WithPagerDutysErrorsOnOneLine() {
        agent.reply(400, "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\",\"errors\":[\"a\",\"b\\nc\"]}");
        assertThat(run("-k", KEY, "-t", "trigger", "-d", "x")).isEqualTo(1);
        assertThat(out).isEmpty();
        assertThat(err).isEqualTo("pd-send: the agent rejected the event (400): a; b c\n");
    }

    @Test
    void aFullQueueIsAFailureNotASpool() {
        agent.reply(429, "{\"status\":\"throttle event\",\"message\":\"Queue full, retry later\",\"errors\":[\"queue full: 10 events waiting (maximum 10)\"]}");
        assertThat(run("-k", KEY, "-t", "trigger", "-d", "x")).isEqualTo(1);
        assertThat(err).isEqualTo("pd-send: the agent's queue is full, try again later (429): queue full: 10 events waiting (maximum 10)\n");
        assertThat(tmp.resolve("data/spool")).doesNotExist();
    }

    @Test
    void whenTheAgentIsDownTheEventIsSpooledWithAKeyAndTheMessageSaysWhere() throws Exception {
        env.put("PDSEND_EVENTS_BASE_URL", "http://127.0.0.1:" + closedPort());
        assertThat(run("-k", KEY, "-t", "trigger", "-d", "x = y", "-f", "a=b")).isZero();
        List<Path> files = spoolFiles();
        assertThat(files).hasSize(1);
        Map<String, Object> record = Json.parseObject(Files.readString(files.get(0)));
        assertThat(record).containsEntry("version", 1L).containsEntry("path", "/v2/enqueue")
                .containsEntry("content_type", "application/json").containsKey("queued_at").containsKey("queued_by");
        Map<String, Object> event = Json.parseObject((String) record.get("body"));
        String key = (String) event.get("dedup_key");
        assertThat(key).matches("[0-9a-f-]{36}");
        assertThat(obj(event.get("payload"))).containsEntry("summary", "x = y");
        assertThat(out).isEqualTo("Event processed. Incident Key: " + key + "\n");
        assertThat(err).startsWith("(the agent at " + env.get("PDSEND_EVENTS_BASE_URL") + " could not be reached: connection refused;"
                + " the event is queued in " + files.get(0) + " and will be sent when the agent runs)");
        assertThat(files.get(0).getFileName().toString()).matches("\\d{13}-\\d{19}-\\d+-[0-9a-f]{16}\\.event");
        assertThat((Integer) Files.getAttribute(files.get(0), "unix:mode") & 0777).isEqualTo(0644);
        assertThat((Integer) Files.getAttribute(tmp.resolve("data/spool"), "unix:mode") & 07777).isEqualTo(01733);
    }

    @Test
    void anAgentThatCannotStoreEventsMeansSpool() throws Exception {
        agent.reply(503, "{\"status\":\"unavailable\",\"message\":\"Event could not be stored, retry later\",\"errors\":[\"disk full\"]}");
        assertThat(run("-k", KEY, "-t", "resolve", "-i", "r1")).isZero();
        assertThat(out).isEqualTo("Event processed. Incident Key: r1\n");
        assertThat(err).contains("could not be reached: it answered 503: disk full;");
        assertThat(spoolFiles()).hasSize(1);
    }

    @Test
    void spoolFilesSortInTheOrderTheyWereWritten() throws Exception {
        env.put("PDSEND_EVENTS_BASE_URL", "http://127.0.0.1:" + closedPort());
        for (int i = 0; i < 20; i++) {
            assertThat(run("-q", "-k", KEY, "-t", "resolve", "-i", "k" + i)).isZero();
        }
        List<Path> files = spoolFiles();
        assertThat(files).hasSize(20);
        for (int i = 0; i < 20; i++) {
            assertThat(Files.readString(files.get(i))).contains("\\\"dedup_key\\\":\\\"k" + i + "\\\"");
        }
    }

    @Test
    void whenNeitherTheAgentNorTheSpoolWorksItExits1SayingWhy() throws Exception {
        Path blocker = tmp.resolve("not-a-dir");
        Files.writeString(blocker, "x");
        env.put("PDAGENTD_DATA_DIR", blocker.toString());
        env.put("PDSEND_EVENTS_BASE_URL", "http://127.0.0.1:" + closedPort());
        assertThat(run("-k", KEY, "-t", "trigger", "-d", "x")).isEqualTo(1);
        assertThat(out).isEmpty();
        assertThat(err).startsWith("pd-send: the agent at http://127.0.0.1:").contains("could not be reached (connection refused), "
                + "and the event could not be queued in " + blocker.resolve("spool") + ": ");
        assertThat(err.strip().lines().count()).isEqualTo(1);
    }

    @Test
    void aBadBaseUrlIsAFailureNamingTheVariable() {
        env.put("PDSEND_EVENTS_BASE_URL", "ftp://x");
        assertThat(run("-k", KEY, "-t", "trigger", "-d", "x")).isEqualTo(1);
        assertThat(err).isEqualTo("pd-send: PDSEND_EVENTS_BASE_URL: 'ftp://x' is not an http:// or https:// URL\n");
    }

    @Test
    void helpAndVersionExit0() {
        assertThat(run("--help")).isZero();
        assertThat(out).startsWith("usage: pd-send").contains("--link URL").contains("--json FILE");
        assertThat(run("--version")).isZero();
        assertThat(out).startsWith("pd-send ");
    }

    private void assertUsage(String reason, String... argv) {
        assertThat(run(argv)).as(String.join(" ", argv)).isEqualTo(2);
        assertThat(out).isEmpty();
        assertThat(err).startsWith("usage: pd-send ").contains("\npd-send: error: " + reason);
    }

    private List<Path> spoolFiles() throws Exception {
        try (Stream<Path> s = Files.list(tmp.resolve("data/spool"))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".event")).sorted().toList();
        }
    }

    static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
