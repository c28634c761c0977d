package io.pdaltagent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ReceivedEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/pd-send} end to end, as a user runs it: against {@code bin/pdagentd} delivering to a
 * fake PagerDuty; with the agent stopped (the event is spooled, then delivered once the agent
 * runs); and as another, unprivileged user.
 */
@Timeout(300)
class PdSendIT {
    static final String KEY = "pdsendit000000000000000000000001";
    static final String KEY2 = "pdsendit000000000000000000000002";
    static final int NOBODY = 65534;

    @TempDir
    Path tmp;

    Path dataDir;
    FakePagerDuty pd;
    final List<AgentProcess> agents = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        // traversable by every user, as /var/lib/pdaltagent is: an unprivileged pd-send must reach spool/
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        dataDir = tmp.resolve("data");
        pd = FakePagerDuty.builder().start();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AgentProcess a : agents) {
            a.close();
        }
        pd.close();
    }

    AgentProcess agent(Map<String, String> extra) throws IOException {
        Map<String, String> env = new HashMap<>(extra);
        env.put("PDAGENTD_DATA_DIR", dataDir.toString());
        env.put("PDAGENTD_EVENTS_BASE_URL", pd.baseUrl());
        env.put("PDAGENTD_RETRY_BASE_MILLIS", "50");
        env.put("PDAGENTD_RETRY_MAX_MILLIS", "200");
        AgentProcess a = new AgentProcess(env, tmp.resolve("agent-" + agents.size() + ".log"));
        agents.add(a);
        return a.startAndAwaitHealthy();
    }

    record Run(int exit, String out, String err) {
    }

    /** Runs bin/pd-send with the agent at {@code baseUrl}; {@code asUser} > 0 runs it as that uid/gid. */
    Run pdSend(String baseUrl, int asUser, String stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        if (asUser > 0) {
            command.addAll(List.of("setpriv", "--reuid=" + asUser, "--regid=" + asUser, "--clear-groups"));
        }
        command.add(AgentProcess.projectRoot().resolve("bin/pd-send").toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("PDSEND_EVENTS_BASE_URL", baseUrl);
        pb.environment().put("PDAGENTD_DATA_DIR", dataDir.toString());
        pb.environment().remove("PDSEND_JAVA_OPTS");
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("pd-send finished").isTrue();
        return new Run(p.exitValue(), out.get(), err.get());
    }

    Run pdSend(String baseUrl, String... args) throws Exception {
        return pdSend(baseUrl, 0, null, args);
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String keyOf(Run r) {
        assertThat(r.out()).startsWith("Event processed. Incident Key: ");
        return r.out().strip().substring("Event processed. Incident Key: ".length());
    }

    @Test
    void everyFlagAndMessageThroughTheAgentToPagerDuty() throws Exception {
        AgentProcess agent = agent(Map.of());
        String url = agent.baseUrl();

        Run trigger = pdSend(url, "-k", KEY, "-t", "trigger", "-d", "Disk 95% = full on db01", "-i", "db01/disk",
                "-c", "ExampleMon", "-u", "https://mon.example.net/?a=b", "-f", "used pct=95 %", "-f", "q=a=b",
                "-s", "warning", "-o", "db01", "-m", "disk", "-g", "db", "-l", "capacity",
                "--link", "https://mon/x?a=b&c=d", "--link-text", "Dash board", "--image", "https://mon/g.png",
                "--image-alt", "graph", "--timestamp", "2024-05-01T10:00:00Z");
        assertThat(trigger).isEqualTo(new Run(0, "Event processed. Incident Key: db01/disk\n", ""));

        Run noKey = pdSend(url, "--service-key=" + KEY, "--event-type=trigger", "--description=no key given");
        assertThat(noKey.exit()).isZero();
        String assigned = keyOf(noKey);
        assertThat(assigned).isNotBlank();

        assertThat(pdSend(url, "-k", KEY, "-t", "acknowledge", "-i", "db01/disk"))
                .isEqualTo(new Run(0, "Event processed. Incident Key: db01/disk\n", ""));
        assertThat(pdSend(url, "-q", "-k", KEY, "-t", "resolve", "--dedup-key", "db01/disk")).isEqualTo(new Run(0, "", ""));
        assertThat(pdSend(url, "--v1", "-k", KEY2, "-t", "trigger", "-d", "v1 event", "-i", "v1key", "-f", "k=v=w",
                "-x", "link:href=http://a/?x=y,text=t")).isEqualTo(new Run(0, "Event processed. Incident Key: v1key\n", ""));
        assertThat(pdSend(url, "--change", "-k", KEY2, "-d", "deployed 1.2", "--link", "https://ci/1"))
                .isEqualTo(new Run(0, "Change event processed.\n", ""));
        Path json = tmp.resolve("event.json");
        Files.writeString(json, "{\"routing_key\":\"" + KEY2 + "\",\"event_action\":\"trigger\",\"dedup_key\":\"from-file\","
                + "\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\",\"custom_details\":{\"n\":1.50}}}");
        assertThat(pdSend(url, "--json", json.toString()).out()).isEqualTo("Event processed. Incident Key: from-file\n");
        assertThat(pdSend(url, 0, "{\"routing_key\":\"" + KEY2 + "\",\"event_action\":\"resolve\",\"dedup_key\":\"from-file\"}",
                "--json", "-").out()).isEqualTo("Event processed. Incident Key: from-file\n");

        await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY) == 4 && pd.acceptedCount(KEY2) == 4);
        List<ReceivedEvent> k1 = pd.accepted(KEY);
        assertThat(k1).extracting(ReceivedEvent::eventAction).containsExactly("trigger", "trigger", "acknowledge", "resolve");
        JsonNode t = k1.get(0).json();
        assertThat(t.at("/payload/summary").asText()).isEqualTo("Disk 95% = full on db01");
        assertThat(t.at("/payload/severity").asText()).isEqualTo("warning");
        assertThat(t.at("/payload/source").asText()).isEqualTo("db01");
        assertThat(t.at("/payload/component").asText()).isEqualTo("disk");
        assertThat(t.at("/payload/group").asText()).isEqualTo("db");
        assertThat(t.at("/payload/class").asText()).isEqualTo("capacity");
        assertThat(t.at("/payload/timestamp").asText()).isEqualTo("2024-05-01T10:00:00Z");
        assertThat(t.at("/payload/custom_details/used pct").asText()).isEqualTo("95 %");
        assertThat(t.at("/payload/custom_details/q").asText()).isEqualTo("a=b");
        assertThat(t.at("/links/0/href").asText()).isEqualTo("https://mon/x?a=b&c=d");
        assertThat(t.at("/links/0/text").asText()).isEqualTo("Dash board");
        assertThat(t.at("/images/0/src").asText()).isEqualTo("https://mon/g.png");
        assertThat(t.at("/client").asText()).isEqualTo("ExampleMon");
        assertThat(t.at("/client_url").asText()).isEqualTo("https://mon.example.net/?a=b");
        assertThat(k1.get(1).dedupKey()).isEqualTo(assigned);
        assertThat(k1.get(0).header("User-Agent")).isNotNull();

        List<ReceivedEvent> k2 = pd.received(KEY2);
        assertThat(k2).extracting(ReceivedEvent::path).containsExactly("/generic/2010-04-15/create_event.json",
                "/v2/change/enqueue", "/v2/enqueue", "/v2/enqueue");
        assertThat(k2.get(0).json().at("/details/k").asText()).isEqualTo("v=w");
        assertThat(k2.get(0).json().at("/contexts/0/href").asText()).isEqualTo("http://a/?x=y");
        assertThat(k2.get(2).bodyAsString()).contains("\"n\":1.50");
    }

    @Test
    void usageErrorsExit2WithTheReasonAndSendNothing() throws Exception {
        AgentProcess agent = agent(Map.of());
        String url = agent.baseUrl();
        Map<String[], String> cases = new java.util.LinkedHashMap<>();
        cases.put(new String[] {"-t", "trigger", "-d", "x"}, "the following arguments are required: -k/--service-key");
        cases.put(new String[] {"-k", KEY, "-t", "fire"}, "argument -t/--event-type: invalid choice: 'fire'");
        cases.put(new String[] {"-k", KEY, "-t", "trigger"}, "Event type 'trigger' requires description");
        cases.put(new String[] {"-k", KEY, "-t", "resolve"}, "Event type 'resolve' requires incident key");
        cases.put(new String[] {"-k", KEY, "-t", "trigger", "-d", "x", "-s", "bad"}, "argument -s/--severity: invalid choice: 'bad'");
        cases.put(new String[] {"-k", "tooshort", "-t", "trigger", "-d", "x"}, "argument -k/--service-key: Please supply a valid PagerDuty routing key (32 characters; this one has 8)");
        cases.put(new String[] {"-k", KEY, "-t", "trigger", "-d", "x", "-f", "nokey"}, "argument -f/--field: expected KEY=VALUE, got 'nokey'");
        cases.put(new String[] {"--nope"}, "unrecognized arguments: --nope");
        for (Map.Entry<String[], String> c : cases.entrySet()) {
            Run r = pdSend(url, c.getKey());
            assertThat(r.exit()).as(String.join(" ", c.getKey())).isEqualTo(2);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).startsWith("usage: pd-send").contains("pd-send: error: " + c.getValue());
        }
        Run help = pdSend(url, "-h");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("--service-key").contains("--json FILE");
        assertThat(pd.count()).isZero();
    }

    @Test
    void aFullAgentQueueIsAFailureWithTheReasonNotASpool() throws Exception {
        pd.stop(); // nothing is delivered, so the queue stays full
        AgentProcess agent = agent(Map.of("PDAGENTD_QUEUE_MAX_EVENTS", "1"));
        assertThat(pdSend(agent.baseUrl(), "-k", KEY, "-t", "trigger", "-d", "first").exit()).isZero();
        Run full = pdSend(agent.baseUrl(), "-k", KEY, "-t", "trigger", "-d", "second");
        assertThat(full.exit()).isEqualTo(1);
        assertThat(full.out()).isEmpty();
        assertThat(full.err()).startsWith("pd-send: the agent's queue is full, try again later (429): queue full: ");
        assertThat(full.err().strip().lines().count()).isEqualTo(1);
        assertThat(spoolFiles()).isEmpty();
    }

    @Test
    void whileTheAgentIsStoppedEventsAreSpooledThenDeliveredInOrderWhenItRuns() throws Exception {
        String down = "http://127.0.0.1:" + AgentProcess.freePort();
        Run trigger = pdSend(down, "-k", KEY, "-t", "trigger", "-d", "disk full = yes");
        assertThat(trigger.exit()).isZero();
        String key = keyOf(trigger);
        assertThat(trigger.err()).startsWith("(the agent at " + down + " could not be reached: connection refused; the event "
                + "is queued in " + dataDir.resolve("spool") + "/").endsWith(".event and will be sent when the agent runs)\n");
        Run resolve = pdSend(down, "-k", KEY, "-t", "resolve", "-i", key);
        assertThat(resolve.exit()).isZero();
        assertThat(keyOf(resolve)).isEqualTo(key);
        // a garbage file among them must not stop the others
        Files.writeString(dataDir.resolve("spool/0000000000000-garbage.event"), "not an event");
        Run change = pdSend(down, "--change", "-k", KEY2, "-d", "deployed while the agent was down");
        assertThat(change).isEqualTo(new Run(0, "Change event processed.\n", change.err()));
        assertThat(spoolFiles()).hasSize(4);
        assertThat(pd.count()).isZero();

        AgentProcess agent = agent(Map.of());
        await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY) == 2 && pd.acceptedCount(KEY2) == 1);
        assertThat(pd.accepted(KEY)).extracting(ReceivedEvent::eventAction).containsExactly("trigger", "resolve");
        assertThat(pd.accepted(KEY)).extracting(ReceivedEvent::dedupKey).containsExactly(key, key);
        assertThat(pd.accepted(KEY).get(0).json().at("/payload/summary").asText()).isEqualTo("disk full = yes");
        assertThat(spoolFiles()).isEmpty();
        Path rejected = dataDir.resolve("spool/rejected");
        assertThat(rejected.resolve("0000000000000-garbage.event")).exists();
        assertThat(Files.readString(rejected.resolve("0000000000000-garbage.event.reason"))).startsWith("malformed: ");
        assertThat(agent.logText()).contains("Spool file 0000000000000-garbage.event rejected").doesNotContain("not an event");

        // and files spooled while it runs (it answered 503, or was briefly unreachable) are imported too
        Path late = dataDir.resolve("spool");
        Run viaSpool = pdSend(down, "-k", KEY, "-t", "trigger", "-d", "late", "-i", "late-key");
        assertThat(viaSpool.exit()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY) == 3);
        assertThat(spoolFiles()).isEmpty();
        assertThat(late).exists();
    }

    @Test
    void anUnprivilegedUserSpoolsWhileTheAgentIsDownAndTheAgentDeliversIt() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        int asUser = root ? NOBODY : 0; // not root: this user is already unprivileged
        // the agent made the spool (1733) on an earlier run, then stopped
        AgentProcess first = agent(Map.of());
        assertThat((Integer) Files.getAttribute(dataDir.resolve("spool"), "unix:mode") & 07777).isEqualTo(01733);
        Run sentWhileUp = pdSend(first.baseUrl(), asUser, null, "-k", KEY, "-t", "trigger", "-d", "as nobody, agent up",
                "-i", "up");
        assertThat(sentWhileUp.exit()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY) == 1);
        first.stop();

        String down = "http://127.0.0.1:" + AgentProcess.freePort();
        Run r = pdSend(down, asUser, null, "-k", KEY, "-t", "trigger", "-d", "as nobody, agent down", "-f", "who=nobody");
        assertThat(r.exit()).as(r.err()).isZero();
        String key = keyOf(r);
        List<Path> files = spoolFiles();
        assertThat(files).hasSize(1);
        if (root) {
            assertThat(Files.getAttribute(files.get(0), "unix:uid")).isEqualTo(NOBODY);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.get(0)))).isEqualTo("rw-r--r--");
        if (root) {
            // the spool may not be listed by other users: nobody cannot see what others queued
            Run ls = runAs(asUser, "ls", dataDir.resolve("spool").toString());
            assertThat(ls.exit()).isNotZero();
        }

        agent(Map.of());
        await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY) == 2);
        ReceivedEvent e = pd.accepted(KEY).get(1);
        assertThat(e.dedupKey()).isEqualTo(key);
        assertThat(e.json().at("/payload/custom_details/who").asText()).isEqualTo("nobody");
        assertThat(spoolFiles()).isEmpty();
    }

    @Test
    void whenNeitherTheAgentNorTheSpoolCanTakeTheEventItExits1SayingWhy() throws Exception {
        Files.createDirectories(dataDir.resolve("spool"));
        Files.setPosixFilePermissions(dataDir.resolve("spool"), PosixFilePermissions.fromString("rwxr-xr-x"));
        boolean root = "root".equals(System.getProperty("user.name"));
        Path blocked = root ? dataDir : tmp.resolve("file-not-dir");
        if (!root) {
            Files.writeString(blocked, "x");
            dataDir = blocked;
        }
        String down = "http://127.0.0.1:" + AgentProcess.freePort();
        Run r = pdSend(down, root ? NOBODY : 0, null, "-k", KEY, "-t", "trigger", "-d", "x");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("pd-send: the agent at " + down + " could not be reached (connection refused), and the "
                + "event could not be queued in " + blocked.resolve("spool") + ": ");
        if (root) {
            assertThat(r.err()).contains("permission denied");
        }
        assertThat(r.err().strip().lines().count()).isEqualTo(1);
    }

    private Run runAs(int uid, String... command) throws Exception {
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups"));
        c.addAll(List.of(command));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        String out = read(p.getInputStream());
        p.waitFor(30, TimeUnit.SECONDS);
        return new Run(p.exitValue(), out, "");
    }

    private List<Path> spoolFiles() throws IOException {
        Path spool = dataDir.resolve("spool");
        if (!Files.isDirectory(spool)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(spool)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".event")).sorted().toList();
        }
    }
}
