package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ReceivedEvent;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real third-party PagerDuty clients pointed at {@code bin/pdagentd}, which relays to a fake
 * PagerDuty: Prometheus Alertmanager (Debian's {@code prometheus-alertmanager}), the
 * {@code @pagerduty/pdjs} npm package over the agent's generated TLS certificate, and curl posting
 * the form that {@code pagerduty_nagios.pl} posts. Each test checks the answers the client got and
 * what reached PagerDuty through the agent.
 *
 * <p>The tools are not optional: {@code .ci/run} installs them and a missing one fails the test
 * with the command that installs it. pdjs is installed with {@code npm ci} from the committed
 * {@code src/test/resources/realclients/package-lock.json} into {@code target/realclients} when it
 * is not there yet.
 */
@Timeout(120)
class RealClientsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration DELIVERED_WITHIN = Duration.ofSeconds(20);

    static final String ALERTMANAGER_KEY = "a1e27a9a9e25a1e27a9a9e25a1e27a01";
    static final String PDJS_KEY = "b2d15b2d15b2d15b2d15b2d15b2d1502";
    static final String PDJS_UNTRUSTED_KEY = "b2d15b2d15b2d15b2d15b2d15b2d1599";
    static final String NAGIOS_KEY = "c3a9105c3a9105c3a9105c3a9105c303";

    @TempDir
    static Path dir;

    static FakePagerDuty pd;
    static AgentProcess agent;
    static int httpsPort;

    @BeforeAll
    static void startAgent() throws IOException {
        pd = FakePagerDuty.builder().start();
        httpsPort = AgentProcess.freePort();
        agent = new AgentProcess(Map.of(
                "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                "PDAGENTD_BIND_ADDRESS", "127.0.0.1",
                "PDAGENTD_HTTPS_PORT", String.valueOf(httpsPort),
                "PDAGENTD_EVENTS_BASE_URL", pd.baseUrl()), dir.resolve("agent.log")).startAndAwaitHealthy();
    }

    @AfterAll
    static void stopAgent() throws InterruptedException {
        try {
            if (agent != null) {
                agent.stop();
            }
        } finally {
            if (pd != null) {
                pd.close();
            }
        }
    }

    // ------------------------------------------------------------------ Alertmanager

    /**
     * Alertmanager's {@code pagerduty_configs} with {@code routing_key} and {@code url} set to the
     * agent: a firing alert becomes a v2 trigger, the same alert ended becomes a resolve with the
     * same dedup key (SHA-256 of the group key), both delivered through the agent with
     * Alertmanager's fields, and Alertmanager counts both notifications as successful.
     *
     * <p>No v1 counterpart: with {@code service_key} Alertmanager posts to the hard-coded
     * {@code https://events.pagerduty.com/generic/2010-04-15/create_event.json} and ignores
     * {@code url} (checked with 0.25: it looks up events.pagerduty.com). No receiver setting
     * points it elsewhere; only a CONNECT proxy ({@code http_config.proxy_url}) in front of an agent
     * holding a certificate for events.pagerduty.com could, which would be faking PagerDuty's host.
     * Its v1 body shape is covered by RealClientBodiesTest.
     */
    @Test
    void alertmanagerTriggersAndResolvesThroughTheAgent() throws Exception {
        Path amBinary = requireExecutable("prometheus-alertmanager", "apt-get install -y prometheus-alertmanager");
        int amPort = AgentProcess.freePort();
        String amUrl = "http://127.0.0.1:" + amPort;
        Path config = dir.resolve("alertmanager.yml");
        Files.writeString(config, """
                route:
                  receiver: pagerduty
                  group_by: ['alertname']
                  group_wait: 1s
                  group_interval: 1s
                  repeat_interval: 1h
                receivers:
                  - name: pagerduty
                    pagerduty_configs:
                      - routing_key: '%s'
                        url: '%s/v2/enqueue'
                        send_resolved: true
                        description: '{{ .CommonAnnotations.summary }}'
                        severity: '{{ .CommonLabels.severity }}'
                        source: '{{ .CommonLabels.instance }}'
                        class: 'capacity'
                        component: 'disk'
                        group: 'db'
                        details:
                          instance: '{{ .CommonLabels.instance }}'
                          runbook: 'https://runbooks.example.net/disk'
                """.formatted(ALERTMANAGER_KEY, agent.baseUrl()));
        Path amLog = dir.resolve("alertmanager.log");
        Process am = new ProcessBuilder(amBinary.toString(),
                "--config.file=" + config,
                "--web.listen-address=127.0.0.1:" + amPort,
                "--web.external-url=" + amUrl,
                "--cluster.listen-address=",
                "--storage.path=" + dir.resolve("alertmanager-data"))
                .redirectErrorStream(true)
                .redirectOutput(amLog.toFile())
                .start();
        try {
            await("Alertmanager ready").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!am.isAlive()) {
                    throw new IllegalStateException("Alertmanager exited with " + am.exitValue() + ":\n" + Files.readString(amLog));
                }
                return status(amUrl + "/-/ready") == 200;
            });

            Instant startsAt = Instant.now().minus(1, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);
            String alert = """
                    {"labels":{"alertname":"RelayDiskFull","instance":"db01","severity":"critical"},
                     "annotations":{"summary":"Disk 95%% on db01"},
                     "startsAt":"%s","generatorURL":"http://prometheus.example.net/graph"%s}""";
            postAlerts(amUrl, "[" + alert.formatted(startsAt, "") + "]");

            await("trigger from Alertmanager, through the agent").atMost(DELIVERED_WITHIN)
                    .until(() -> pd.received(ALERTMANAGER_KEY).size() >= 1);

            Instant endsAt = Instant.now().minusSeconds(1).truncatedTo(ChronoUnit.SECONDS);
            postAlerts(amUrl, "[" + alert.formatted(startsAt, ",\"endsAt\":\"" + endsAt + "\"") + "]");

            await("resolve from Alertmanager, through the agent").atMost(DELIVERED_WITHIN)
                    .until(() -> pd.received(ALERTMANAGER_KEY).size() >= 2);

            List<ReceivedEvent> received = pd.received(ALERTMANAGER_KEY);
            assertThat(received).as(amLog(amLog)).hasSize(2).allSatisfy(e -> {
                assertThat(e.path()).isEqualTo("/v2/enqueue");
                assertThat(e.status()).isEqualTo(202);
                assertThat(e.header("Content-Type")).startsWith("application/json");
            });
            String groupKeyHash = sha256Hex("{}:{alertname=\"RelayDiskFull\"}");
            JsonNode trigger = received.get(0).json();
            JsonNode resolve = received.get(1).json();

            assertThat(trigger.path("event_action").asText()).isEqualTo("trigger");
            assertThat(trigger.path("routing_key").asText()).isEqualTo(ALERTMANAGER_KEY);
            assertThat(trigger.path("dedup_key").asText()).matches("[0-9a-f]{64}").isEqualTo(groupKeyHash);
            assertThat(trigger.path("client").asText()).isEqualTo("Alertmanager");
            assertThat(trigger.path("client_url").asText()).isEqualTo(amUrl + "/#/alerts?receiver=pagerduty");
            JsonNode payload = trigger.path("payload");
            assertThat(payload.path("summary").asText()).isEqualTo("Disk 95% on db01");
            assertThat(payload.path("source").asText()).isEqualTo("db01");
            assertThat(payload.path("severity").asText()).isEqualTo("critical");
            assertThat(payload.path("class").asText()).isEqualTo("capacity");
            assertThat(payload.path("component").asText()).isEqualTo("disk");
            assertThat(payload.path("group").asText()).isEqualTo("db");
            JsonNode details = payload.path("custom_details");
            assertThat(details.path("instance").asText()).isEqualTo("db01");
            assertThat(details.path("runbook").asText()).isEqualTo("https://runbooks.example.net/disk");
            // Alertmanager's own details are strings, as its template renders them
            assertThat(details.path("num_firing").asText()).isEqualTo("1");
            assertThat(details.path("num_resolved").asText()).isEqualTo("0");
            assertThat(details.path("firing").asText()).contains("alertname = RelayDiskFull");

            assertThat(resolve.path("event_action").asText()).isEqualTo("resolve");
            assertThat(resolve.path("routing_key").asText()).isEqualTo(ALERTMANAGER_KEY);
            assertThat(resolve.path("dedup_key").asText()).isEqualTo(groupKeyHash);
            assertThat(resolve.path("client").asText()).isEqualTo("Alertmanager");
            assertThat(resolve.path("payload").path("custom_details").path("num_resolved").asText()).isEqualTo("1");
            assertThat(resolve.path("payload").path("custom_details").path("num_firing").asText()).isEqualTo("0");

            // Alertmanager took the agent's answers as PagerDuty's: both sent, none failed, no retry
            await("Alertmanager's notification counters").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                String metrics = get(amUrl + "/metrics");
                assertThat(metricSum(metrics, "alertmanager_notifications_total", "integration=\"pagerduty\"")).isEqualTo(2.0);
                assertThat(metricSum(metrics, "alertmanager_notifications_failed_total", "integration=\"pagerduty\"")).isZero();
            });
        } finally {
            am.destroy();
            if (!am.waitFor(10, TimeUnit.SECONDS)) {
                am.destroyForcibly();
            }
        }
    }

    // ------------------------------------------------------------------ pdjs

    /**
     * pdjs over HTTPS to the agent's generated certificate, trusted through
     * {@code NODE_EXTRA_CA_CERTS} with verification on: trigger (no dedup key), acknowledge and
     * resolve with the key the agent assigned, and a change event get PagerDuty's documented
     * answers, and reach PagerDuty in that order.
     */
    @Test
    void pdjsSendsAlertAndChangeEventsOverTheAgentsTls() throws Exception {
        Path nodeModules = pdjsInstalled();
        Path cert = dir.resolve("data/tls/agent-cert.pem");
        assertThat(cert).as("the agent generates its TLS pair at start").exists();

        Run run = runPdjs(nodeModules, PDJS_KEY, cert);
        assertThat(run.exitCode()).as(run.describe()).isZero();
        Map<String, JsonNode> answers = new LinkedHashMap<>();
        for (String line : run.stdout().strip().split("\n")) {
            JsonNode answer = JSON.readTree(line);
            answers.put(answer.path("step").asText(), answer);
        }
        assertThat(answers).as(run.describe()).containsOnlyKeys("trigger", "acknowledge", "resolve", "change");

        JsonNode trigger = answers.get("trigger");
        assertThat(trigger.path("status").asInt()).isEqualTo(202);
        assertThat(trigger.path("contentType").asText()).startsWith("application/json");
        assertThat(trigger.path("data").path("status").asText()).isEqualTo("success");
        assertThat(trigger.path("data").path("message").asText()).isEqualTo("Event processed");
        String dedupKey = trigger.path("data").path("dedup_key").asText();
        assertThat(dedupKey).as("the agent assigns a dedup key to a trigger without one").isNotBlank();
        for (String step : List.of("acknowledge", "resolve")) {
            JsonNode answer = answers.get(step);
            assertThat(answer.path("status").asInt()).as(step).isEqualTo(202);
            assertThat(answer.path("data").path("status").asText()).as(step).isEqualTo("success");
            assertThat(answer.path("data").path("message").asText()).as(step).isEqualTo("Event processed");
            assertThat(answer.path("data").path("dedup_key").asText()).as(step).isEqualTo(dedupKey);
        }
        JsonNode change = answers.get("change");
        assertThat(change.path("status").asInt()).isEqualTo(202);
        assertThat(change.path("data").path("status").asText()).isEqualTo("success");
        assertThat(change.path("data").path("message").asText()).isEqualTo("Change event processed");

        await("pdjs events through the agent").atMost(DELIVERED_WITHIN).until(() -> pd.received(PDJS_KEY).size() >= 4);
        List<ReceivedEvent> received = pd.received(PDJS_KEY);
        assertThat(received).extracting(ReceivedEvent::path)
                .containsExactly("/v2/enqueue", "/v2/enqueue", "/v2/enqueue", "/v2/change/enqueue");
        assertThat(received).extracting(ReceivedEvent::eventAction)
                .containsExactly("trigger", "acknowledge", "resolve", null);
        assertThat(received).extracting(ReceivedEvent::dedupKey).containsExactly(dedupKey, dedupKey, dedupKey, null);
        assertThat(received).allSatisfy(e -> assertThat(e.status()).isEqualTo(202));

        JsonNode delivered = received.get(0).json();
        JsonNode payload = delivered.path("payload");
        assertThat(payload.path("summary").asText()).isEqualTo("pdjs: disk 95% on db01");
        assertThat(payload.path("source").asText()).isEqualTo("db01.example.net");
        assertThat(payload.path("severity").asText()).isEqualTo("error");
        assertThat(payload.path("component").asText()).isEqualTo("disk");
        assertThat(payload.path("group").asText()).isEqualTo("db");
        assertThat(payload.path("class").asText()).isEqualTo("capacity");
        assertThat(payload.path("custom_details").path("used_pct").asInt()).isEqualTo(95);
        assertThat(delivered.path("links").get(0).path("href").asText()).isEqualTo("https://mon.example.net/db01");
        assertThat(delivered.path("images").get(0).path("src").asText()).isEqualTo("https://mon.example.net/db01.png");
        assertThat(delivered.path("client").asText()).isEqualTo("pdjs example");
        JsonNode changeEvent = received.get(3).json();
        assertThat(changeEvent.path("payload").path("summary").asText()).isEqualTo("pdjs: deployed api v1.2.3");
        assertThat(changeEvent.path("payload").path("custom_details").path("build").asInt()).isEqualTo(1234);
        assertThat(changeEvent.has("dedup_key")).as("a change event gets no dedup key").isFalse();
    }

    /**
     * The other half of the TLS proof: without the agent's certificate among its CAs, pdjs refuses
     * the connection, so the test above passes only because the generated certificate verifies.
     */
    @Test
    void pdjsRefusesTheAgentsCertificateWhenItIsNotTrusted() throws Exception {
        Path nodeModules = pdjsInstalled();

        Run run = runPdjs(nodeModules, PDJS_UNTRUSTED_KEY, null);

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
        JsonNode failure = JSON.readTree(run.stdout().strip());
        assertThat(failure.path("step").asText()).isEqualTo("trigger");
        assertThat(failure.path("code").asText()).as(run.describe())
                .isIn("DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
        assertThat(pd.received(PDJS_UNTRUSTED_KEY)).isEmpty();
    }

    // ------------------------------------------------------------------ Nagios form

    /**
     * curl posting what pagerduty_nagios.pl posts (LWP's {@code POST(url, \%event)}: an
     * {@code application/x-www-form-urlencoded} body of Nagios macros): a PROBLEM and a RECOVERY
     * are answered 200 and reach PagerDuty's Nagios path in order, as forms with every field intact.
     */
    @Test
    void nagiosFormPostsFromCurlAreRelayedAsForms() throws Exception {
        Path curl = requireExecutable("curl", "apt-get install -y curl");
        Map<String, String> problem = new LinkedHashMap<>();
        problem.put("CONTACTPAGER", NAGIOS_KEY);
        problem.put("NOTIFICATIONTYPE", "PROBLEM");
        problem.put("HOSTNAME", "db01.example.net");
        problem.put("HOSTSTATE", "UP");
        problem.put("SERVICEDESC", "Disk /var");
        problem.put("SERVICESTATE", "CRITICAL");
        problem.put("SERVICEOUTPUT", "DISK CRITICAL - free space: /var 512 MB (5% inode=90%); a&b=c+d é");
        problem.put("pd_nagios_object", "service");
        problem.put("pd_version", "1.0");
        problem.put("NAGIOS_SERVER", "nagios.example.net");
        Map<String, String> recovery = new LinkedHashMap<>(problem);
        recovery.put("NOTIFICATIONTYPE", "RECOVERY");
        recovery.put("SERVICESTATE", "OK");
        recovery.put("SERVICEOUTPUT", "DISK OK - free space: /var 4096 MB (40% inode=90%)");

        for (Map<String, String> form : List.of(problem, recovery)) {
            List<String> cmd = new ArrayList<>(List.of(curl.toString(), "-sS", "--noproxy", "*", "--max-time", "10",
                    "-A", "libwww-perl/6.68", "-w", "\n%{http_code}\n%{content_type}"));
            form.forEach((name, value) -> cmd.addAll(List.of("--data-urlencode", name + "=" + value)));
            cmd.add(agent.baseUrl() + "/nagios/2010-04-15/create_event");
            Run run = run(cmd, Map.of(), Duration.ofSeconds(20));
            assertThat(run.exitCode()).as(run.describe()).isZero();
            String[] parts = run.stdout().split("\n");
            assertThat(parts).as(run.describe()).hasSize(3);
            assertThat(parts[1]).as(run.describe()).isEqualTo("200");
            assertThat(parts[2]).startsWith("application/json");
            JsonNode answer = JSON.readTree(parts[0]);
            assertThat(answer.path("status").asText()).isEqualTo("success");
            assertThat(answer.path("message").asText()).isEqualTo("Event processed");
        }

        await("Nagios forms through the agent").atMost(DELIVERED_WITHIN).until(() -> pd.received(NAGIOS_KEY).size() >= 2);
        List<ReceivedEvent> received = pd.received(NAGIOS_KEY);
        assertThat(received).hasSize(2).allSatisfy(e -> {
            assertThat(e.path()).isEqualTo("/nagios/2010-04-15/create_event");
            assertThat(e.status()).isEqualTo(200);
            assertThat(e.header("Content-Type")).startsWith("application/x-www-form-urlencoded");
        });
        assertThat(received.get(0).form()).isEqualTo(problem);
        assertThat(received.get(1).form()).isEqualTo(recovery);
    }

    // ------------------------------------------------------------------ helpers

    /** The executable on PATH (or in /usr/bin, /usr/local/bin), or a failure naming how to install it. */
    static Path requireExecutable(String name, String install) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.addAll(List.of("/usr/bin", "/usr/local/bin"));
        for (String d : dirs) {
            if (d.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(d, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError(name + " is required by RealClientsIT and was not found on PATH; install it with `"
                + install + "` (.ci/run does)");
    }

    /**
     * {@code target/realclients/node_modules} holding the pinned pdjs: installed with
     * {@code npm ci} from the committed lock file unless the same lock is installed already.
     */
    static synchronized Path pdjsInstalled() throws IOException, InterruptedException {
        requireExecutable("node", "apt-get install -y nodejs");
        Path npm = requireExecutable("npm", "apt-get install -y npm");
        Path home = AgentProcess.projectRoot().resolve("pdaltagent-core/target/realclients");
        Path nodeModules = home.resolve("node_modules");
        byte[] packageJson = resource("package.json");
        byte[] lock = resource("package-lock.json");
        boolean current = Files.isRegularFile(nodeModules.resolve("@pagerduty/pdjs/package.json"))
                && Files.isRegularFile(home.resolve("package-lock.json"))
                && java.util.Arrays.equals(Files.readAllBytes(home.resolve("package-lock.json")), lock)
                && java.util.Arrays.equals(Files.readAllBytes(home.resolve("package.json")), packageJson);
        if (!current) {
            Files.createDirectories(home);
            Files.write(home.resolve("package.json"), packageJson);
            Files.write(home.resolve("package-lock.json"), lock);
            Run install = run(List.of(npm.toString(), "ci", "--prefix", home.toString(), "--no-audit", "--no-fund",
                            "--prefer-offline"),
                    Map.of(), Duration.ofSeconds(90));
            assertThat(install.exitCode()).as("npm ci of @pagerduty/pdjs failed\n" + install.describe()).isZero();
        }
        assertThat(nodeModules.resolve("@pagerduty/pdjs/package.json")).exists();
        return nodeModules;
    }

    /** Runs pdjs-events.js against the agent's HTTPS port; {@code caFile} null trusts nothing extra. */
    static Run runPdjs(Path nodeModules, String routingKey, Path caFile) throws Exception {
        Path node = requireExecutable("node", "apt-get install -y nodejs");
        Path script = Path.of(Objects.requireNonNull(RealClientsIT.class.getResource("/realclients/pdjs-events.js"),
                "realclients/pdjs-events.js on the test class path").toURI());
        Map<String, String> env = new LinkedHashMap<>();
        env.put("NODE_PATH", nodeModules.toString());
        if (caFile != null) {
            env.put("NODE_EXTRA_CA_CERTS", caFile.toString());
        }
        // no CA of the machine's, no switch that turns verification off: only the agent's certificate
        // (when given) decides whether node trusts the agent
        return run(List.of(node.toString(), script.toString(), "127.0.0.1:" + httpsPort, routingKey), env,
                Duration.ofSeconds(30), List.of("NODE_EXTRA_CA_CERTS", "NODE_TLS_REJECT_UNAUTHORIZED", "NODE_OPTIONS"));
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = RealClientsIT.class.getResourceAsStream("/realclients/" + name)) {
            if (in == null) {
                throw new IllegalStateException("realclients/" + name + " is not on the test class path");
            }
            return in.readAllBytes();
        }
    }

    record Run(List<String> command, int exitCode, String stdout, String stderr) {
        String describe() {
            return "$ " + String.join(" ", command) + "\nexit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    /** Runs a command of the machine (npm, curl) with this JVM's environment plus {@code env}. */
    static Run run(List<String> command, Map<String, String> env, Duration timeout) throws IOException, InterruptedException {
        return run(command, env, timeout, List.of());
    }

    /**
     * Runs a command to its end with output in files (no pipe to fill up), with this JVM's
     * environment less {@code unset}, plus {@code env}.
     */
    static Run run(List<String> command, Map<String, String> env, Duration timeout, List<String> unset)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "run", ".out");
        Path err = Files.createTempFile(dir, "run", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        unset.forEach(pb.environment()::remove);
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("timed out after " + timeout + ": " + String.join(" ", command) + "\nstdout:\n"
                    + Files.readString(out) + "\nstderr:\n" + Files.readString(err));
        }
        return new Run(command, p.exitValue(), Files.readString(out), Files.readString(err));
    }

    static void postAlerts(String amUrl, String alerts) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(amUrl + "/api/v2/alerts"))
                        .timeout(Duration.ofSeconds(5))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(alerts)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("POST /api/v2/alerts: " + r.body()).isEqualTo(200);
    }

    static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    static String get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The sum of a Prometheus counter over the series whose labels contain {@code labelMatch}. */
    static double metricSum(String text, String name, String labelMatch) {
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") && line.contains(labelMatch)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    static String sha256Hex(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    static String amLog(Path log) {
        try {
            return "Alertmanager log:\n" + Files.readString(log);
        } catch (IOException e) {
            return "Alertmanager log unreadable: " + e;
        }
    }
}
