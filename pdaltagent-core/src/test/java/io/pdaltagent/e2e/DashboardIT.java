package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.Answer;
import io.pdaltagent.testing.FakePagerDuty;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real headless Chromium (Debian's {@code /usr/bin/chromium}, driven by
 * {@code playwright-core} from npm, installed with {@code npm ci} from the committed lock file),
 * against a real {@code bin/pdagentd} delivering to a fake PagerDuty: the overview shows the
 * numbers the API gives, a dead event shows PagerDuty's answer, its retry button delivers it, a
 * change without the token (or with the read-only token, or without the page's CSRF token) is
 * refused; the password of {@code PDAGENTD_ADMIN_PASSWORD_HASH} (made by {@code pdagentd
 * hash-password}) logs in, a selection of dead events is purged and one event retried, and failed
 * logins are held back. The browser and the npm package are required: without them the test fails.
 */
@Timeout(300)
class DashboardIT {
    static final String KEY_OK = "dashok" + "a".repeat(26);
    static final String KEY_DEAD = "dashdead" + "b".repeat(24);
    static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";
    static final String READ_TOKEN = "read-token-0123456789abcdef";
    static final String PD_ANSWER = "Event object is invalid: 'payload.summary' is too long";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private FakePagerDuty pd;
    private AgentProcess agent;

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
    void overviewShowsTheApiNumbersDeadEventsShowPagerDutysAnswerAndRetryDeliversThem() throws Exception {
        start(Map.of());
        send(KEY_OK, "ok-1");
        send(KEY_OK, "ok-2");
        pd.enqueueFor(KEY_DEAD, Answer.invalidEvent(PD_ANSWER));
        send(KEY_DEAD, "dies");
        await().atMost(Duration.ofSeconds(60)).until(() -> health().path("queue").path("dead").asLong() == 1
                && pd.acceptedCount(KEY_OK) == 2);

        JsonNode overview = browser("overview", agent.adminUrl());
        JsonNode q = health().path("queue");
        assertThat(overview.path("errors")).as("errors in the page").isEmpty();
        assertThat(overview.path("t-depth").asText()).isEqualTo(q.path("depth").asText());
        assertThat(overview.path("t-dead").asText()).isEqualTo("1").isEqualTo(q.path("dead").asText());
        assertThat(overview.path("t-inflight").asText()).isEqualTo(q.path("in_flight").asText());
        assertThat(overview.path("t-version").asText()).isEqualTo(health().path("version").asText());
        assertThat(overview.path("t-pd").asText()).isEqualTo("reachable");
        List<String> charts = new ArrayList<>();
        overview.path("charts").forEach(c -> charts.add(c.asText()));
        assertThat(charts).hasSize(4);
        assertThat(charts.get(0)).startsWith("accepted: 3 ");
        assertThat(charts.get(1)).startsWith("delivered: 2 ");
        assertThat(charts.get(3)).startsWith("dead: 1 ");

        JsonNode dead = browser("dead", agent.adminUrl());
        assertThat(dead.path("errors")).isEmpty();
        assertThat(dead.path("events")).hasSize(1);
        JsonNode event = dead.path("events").get(0);
        assertThat(event.path("answer").asText()).contains("HTTP 400").contains(PD_ANSWER);
        assertThat(event.path("body").asText()).contains("dies").doesNotContain(KEY_DEAD).contains("****" + KEY_DEAD.substring(28));

        Path shots = AgentProcess.projectRoot().resolve("pdaltagent-core/target/dashboard-screenshots");
        Files.createDirectories(shots);
        assertThat(browser("screenshots", agent.adminUrl(), shots.toString()).path("shots")).hasSize(12);

        JsonNode retried = browser("retry", agent.adminUrl(), event.path("seq").asText());
        assertThat(retried.path("status").asText()).isEqualTo("Retry: 1 event(s)");
        await().atMost(Duration.ofSeconds(60)).until(() -> pd.acceptedCount(KEY_DEAD) == 1);
        assertThat(new String(pd.accepted(KEY_DEAD).get(0).body(), java.nio.charset.StandardCharsets.UTF_8)).contains("dies");
        await().atMost(Duration.ofSeconds(30)).until(() -> health().path("queue").path("dead").asLong() == 0);
    }

    @Test
    void aChangeWithoutTheTokenIsRefused() throws Exception {
        start(Map.of("PDAGENTD_ADMIN_TOKEN", ADMIN_TOKEN, "PDAGENTD_ADMIN_READ_TOKEN", READ_TOKEN));
        pd.enqueueFor(KEY_DEAD, Answer.invalidEvent(PD_ANSWER));
        send(KEY_DEAD, "dies");
        await().atMost(Duration.ofSeconds(60)).until(() -> health().path("queue").path("dead").asLong() == 1);

        JsonNode r = browser("refused", agent.adminUrl(), ADMIN_TOKEN, READ_TOKEN);
        assertThat(r.path("loginForm").asBoolean()).as("the page without a session is the login form").isTrue();
        assertThat(r.path("noSession").path("status").asInt()).isEqualTo(401);
        assertThat(r.path("wrongToken").path("text").asText()).contains("not this agent's");
        assertThat(r.path("readRole").asText()).isEqualTo("read-only");
        assertThat(r.path("readVisibleRetryButtons").asInt()).isZero();
        assertThat(r.path("readChange").path("status").asInt()).isEqualTo(403);
        assertThat(r.path("readChange").path("body").path("error").asText()).contains("read-only");
        assertThat(r.path("adminRole").asText()).isEqualTo("admin");
        assertThat(r.path("adminNoCsrf").path("status").asInt()).isEqualTo(403);
        assertThat(r.path("adminNoCsrf").path("body").path("error").asText()).contains("CSRF");
        // the refused requests retried nothing: the event was still dead for the admin's own change
        assertThat(r.path("adminWithCsrf").path("status").asInt()).isEqualTo(200);
        assertThat(r.path("adminWithCsrf").path("body").path("retried").asInt()).isEqualTo(1);
        assertThat(r.path("cookie").get(0).path("httpOnly").asBoolean()).isTrue();
        assertThat(r.path("cookie").get(0).path("sameSite").asText()).isEqualTo("Strict");
        await().atMost(Duration.ofSeconds(60)).until(() -> pd.acceptedCount(KEY_DEAD) == 1);

        // a page of another site cannot post: the Origin check refuses it before the session is looked at
        HttpResponse<String> cross = http.send(HttpRequest.newBuilder(URI.create(agent.adminUrl() + "/dashboard/api/retry"))
                .header("Origin", "http://evil.example").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"all\":true}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(cross.statusCode()).isEqualTo(403);
        // the ingest port serves no dashboard
        HttpResponse<String> ingest = http.send(HttpRequest.newBuilder(URI.create(agent.baseUrl() + "/dashboard")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ingest.statusCode()).isEqualTo(404);
    }

    @Test
    void thePasswordLogsInAndOneEventOrASelectionIsPurgedOrRetried() throws Exception {
        String password = "a dashboard password for " + KEY_DEAD.substring(0, 8);
        String hash = hashPassword(password);
        assertThat(hash).startsWith("$pbkdf2-sha256$i=600000$").doesNotContain(password);
        start(Map.of("PDAGENTD_ADMIN_PASSWORD_HASH", hash));
        for (String s : List.of("dies-a", "dies-b", "dies-c")) {
            pd.enqueueFor(KEY_DEAD, Answer.invalidEvent(PD_ANSWER));
            send(KEY_DEAD, s);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> health().path("queue").path("dead").asLong() == 3);
        List<Long> seqs = new ArrayList<>();
        JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(agent.adminUrl() + "/admin/v1/queue/dead")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).path("events").forEach(e -> seqs.add(e.path("seq").asLong()));
        assertThat(seqs).hasSize(3);

        JsonNode r = browser("password", agent.adminUrl(), password, seqs.get(0).toString(), seqs.get(1).toString(),
                seqs.get(2).toString());
        assertThat(r.path("errors")).as("errors in the page").isEmpty();
        assertThat(r.path("label").asText()).startsWith("Password");
        assertThat(r.path("wrong").asText()).contains("neither this agent's dashboard password");
        assertThat(r.path("role").asText()).isEqualTo("admin");
        assertThat(r.path("allChecked").asInt()).isEqualTo(3);
        assertThat(r.path("allLabel").asText()).isEqualTo("Retry selected (3)");
        assertThat(r.path("noneChecked").asInt()).isZero();
        assertThat(r.path("mixed").asBoolean()).as("select-all shows a partial selection").isTrue();
        assertThat(r.path("purgeLabel").asText()).isEqualTo("Purge selected (2)");
        assertThat(r.path("dialog").asText()).contains("cannot be recovered");
        assertThat(r.path("purgeStatus").asText()).isEqualTo("Purge: 2 event(s)");
        assertThat(r.path("remaining")).hasSize(1);
        assertThat(r.path("remaining").get(0).asLong()).isEqualTo(seqs.get(2));
        assertThat(r.path("retryStatus").asText()).isEqualTo("Retry: 1 event(s)");
        JsonNode cookie = r.path("cookie").get(0);
        assertThat(cookie.path("httpOnly").asBoolean()).isTrue();
        assertThat(cookie.path("sameSite").asText()).isEqualTo("Strict");
        assertThat(cookie.path("secure").asBoolean()).as("plain HTTP: no Secure flag").isFalse();

        await().atMost(Duration.ofSeconds(60)).until(() -> pd.acceptedCount(KEY_DEAD) == 1);
        assertThat(new String(pd.accepted(KEY_DEAD).get(0).body(), java.nio.charset.StandardCharsets.UTF_8)).contains("dies-c");
        await().atMost(Duration.ofSeconds(30)).until(() -> health().path("queue").path("dead").asLong() == 0);

        // the browser's wrong password counted once; four more, then this host is held back even with the password
        for (int i = 0; i < 4; i++) {
            assertThat(login("wrong password number " + i).statusCode()).isEqualTo(401);
        }
        HttpResponse<String> held = login(password);
        assertThat(held.statusCode()).isEqualTo(429);
        assertThat(held.headers().firstValue("Retry-After")).isPresent();
        assertThat(held.body()).contains("Too many failed logins");
        assertThat(agent.logText()).doesNotContain(password).doesNotContain(hash);
    }

    private HttpResponse<String> login(String secret) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(agent.adminUrl() + "/dashboard/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + java.net.URLEncoder.encode(secret,
                        java.nio.charset.StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code bin/pdagentd hash-password} with the password on standard input, as a script would run it. */
    private static String hashPassword(String password) throws Exception {
        Path in = Files.createTempFile(dir, "password", ".txt");
        Files.writeString(in, password + "\n");
        Path out = Files.createTempFile(dir, "hash", ".out");
        Path err = Files.createTempFile(dir, "hash", ".err");
        ProcessBuilder pb = new ProcessBuilder(AgentProcess.projectRoot().resolve("bin/pdagentd").toString(), "hash-password")
                .redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("PDAGENTD_CONFIG_FILE", "/dev/null");
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("pdagentd hash-password finished").isTrue();
        assertThat(p.exitValue()).as(Files.readString(err)).isZero();
        return Files.readString(out).strip();
    }

    private void start(Map<String, String> extra) throws IOException {
        pd = FakePagerDuty.builder().start();
        Map<String, String> env = new HashMap<>(extra);
        env.put("PDAGENTD_DATA_DIR", dir.resolve("data-" + System.nanoTime()).toString());
        env.put("PDAGENTD_EVENTS_BASE_URL", pd.baseUrl());
        agent = new AgentProcess(env, dir.resolve("agent-" + System.nanoTime() + ".log")).startAndAwaitHealthy();
    }

    private void send(String key, String summary) throws Exception {
        Map<String, Object> event = Map.of("routing_key", key, "event_action", "trigger",
                "payload", Map.of("summary", summary, "source", "dashboard-it", "severity", "error"));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(agent.baseUrl() + "/v2/enqueue"))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(event))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }

    private JsonNode health() throws IOException, InterruptedException {
        return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(agent.adminUrl() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    /** Runs one command of dashboard-browser.cjs in headless Chromium; its JSON answer. */
    static JsonNode browser(String command, String... args) throws Exception {
        Path nodeModules = playwrightInstalled();
        requireExecutable("/usr/bin/chromium", "apt-get install -y chromium");
        Path script = Path.of(Objects.requireNonNull(DashboardIT.class.getResource("/dashboard/dashboard-browser.cjs"),
                "dashboard/dashboard-browser.cjs on the test class path").toURI());
        List<String> cmd = new ArrayList<>(List.of("node", script.toString(), command));
        cmd.addAll(Arrays.asList(args));
        Run run = run(cmd, Map.of("NODE_PATH", nodeModules.toString()), Duration.ofSeconds(120));
        assertThat(run.exitCode()).as(run.describe()).isZero();
        String[] lines = run.stdout().strip().split("\n");
        return JSON.readTree(lines[lines.length - 1]);
    }

    /** {@code target/dashboard-browser/node_modules} with the pinned playwright-core, by {@code npm ci}. */
    static synchronized Path playwrightInstalled() throws IOException, InterruptedException {
        requireExecutable("node", "apt-get install -y nodejs");
        Path npm = requireExecutable("npm", "apt-get install -y npm");
        Path home = AgentProcess.projectRoot().resolve("pdaltagent-core/target/dashboard-browser");
        Path nodeModules = home.resolve("node_modules");
        byte[] packageJson = resource("package.json");
        byte[] lock = resource("package-lock.json");
        boolean current = Files.isRegularFile(nodeModules.resolve("playwright-core/package.json"))
                && Files.isRegularFile(home.resolve("package-lock.json"))
                && Arrays.equals(Files.readAllBytes(home.resolve("package-lock.json")), lock)
                && Arrays.equals(Files.readAllBytes(home.resolve("package.json")), packageJson);
        if (!current) {
            Files.createDirectories(home);
            Files.write(home.resolve("package.json"), packageJson);
            Files.write(home.resolve("package-lock.json"), lock);
            Run install = run(List.of(npm.toString(), "ci", "--prefix", home.toString(), "--no-audit", "--no-fund",
                    "--prefer-offline"), Map.of(), Duration.ofSeconds(120));
            assertThat(install.exitCode()).as("npm ci of playwright-core failed\n" + install.describe()).isZero();
        }
        assertThat(nodeModules.resolve("playwright-core/package.json")).exists();
        return nodeModules;
    }

    static Path requireExecutable(String name, String install) {
        if (name.startsWith("/")) {
            Path p = Path.of(name);
            if (Files.isExecutable(p)) {
                return p;
            }
        } else {
            for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
                Path p = Path.of(d, name);
                if (!d.isEmpty() && Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        throw new AssertionError(name + " is required by DashboardIT and was not found; install it with `" + install
                + "` (bin/test does)");
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = DashboardIT.class.getResourceAsStream("/dashboard/" + name)) {
            if (in == null) {
                throw new IllegalStateException("dashboard/" + name + " is not on the test class path");
            }
            return in.readAllBytes();
        }
    }

    record Run(List<String> command, int exitCode, String stdout, String stderr) {
        String describe() {
            return "$ " + String.join(" ", command) + "\nexit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    static Run run(List<String> command, Map<String, String> env, Duration timeout) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "run", ".out");
        Path err = Files.createTempFile(dir, "run", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
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
}
