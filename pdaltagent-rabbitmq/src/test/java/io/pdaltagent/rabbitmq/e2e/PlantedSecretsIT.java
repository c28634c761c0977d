package io.pdaltagent.rabbitmq.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.rabbitmq.Broker;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.FakePagerDutyApi;
import io.pdaltagent.testing.ForwardProxy;
import io.pdaltagent.testing.WebhookReceiver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full run through {@code bin/pdagentd} with every secret the agent knows planted as a unique
 * value: the RabbitMQ password, a proxy's credentials, the admin token, the REST API token, the
 * webhook secret, routing keys, and a marker in every event body and incident title. Events are
 * accepted, refused (invalid, and not on the routing-key allowlist), delivered and relayed as
 * webhooks, at DEBUG. Then every line the agent logged, {@code /healthz} and {@code /metrics} on
 * both listeners, {@code pdagentd config} and {@code pd-queue} output are searched for the planted
 * values: secrets and bodies never appear; routing keys only masked (pd-queue, PagerDuty Agent's
 * table, is the exception the contract makes: it lists keys so that {@code retry -k KEY} can name them).
 */
@Timeout(300)
class PlantedSecretsIT {
    static final String RUN = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    static final String BROKER_USER = "pdsec-" + RUN;
    static final String BROKER_PASSWORD = "brokerpw-" + RUN;
    static final String PROXY_USER = "proxyuser" + RUN;
    static final String PROXY_PASSWORD = "proxypw-" + RUN;
    static final String ADMIN_TOKEN = "admintoken-" + RUN + "-0123456789";
    static final String API_TOKEN = "apitoken" + RUN + "xyz";
    static final String WEBHOOK_SECRET = "whsecret-" + RUN;
    static final String KEY = ("rk" + RUN + "0000000000000000000000000000").substring(0, 28) + "k1ab";
    static final String REFUSED_KEY = ("rx" + RUN + "1111111111111111111111111111").substring(0, 28) + "k2cd";
    static final String MARKER = "BODYMARKER" + RUN;

    @TempDir
    Path dir;

    String vhost;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void broker() throws Exception {
        vhost = Broker.newVhost();
        Broker.ctl("add_user", BROKER_USER, BROKER_PASSWORD);
        Broker.ctl("set_permissions", "-p", vhost, BROKER_USER, ".*", ".*", ".*");
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        Broker.ctl("delete_user", BROKER_USER);
        Broker.deleteVhost(vhost);
        http.close();
    }

    @Test
    void noSecretOrBodyReachesLogsHealthMetricsConfigOrPdQueue() throws Exception {
        FakePagerDuty pd = closing(FakePagerDuty.builder().start());
        FakePagerDutyApi api = closing(FakePagerDutyApi.start(API_TOKEN)).service("PSVC1", "svc " + MARKER);
        api.incident("PINC1", "PSVC1", "incident " + MARKER);
        api.entry("PLE1", "trigger_log_entry", "PINC1", Instant.now().minusSeconds(60));
        WebhookReceiver receiver = closing(WebhookReceiver.start(WEBHOOK_SECRET));
        ForwardProxy proxy = closing(ForwardProxy.builder().basicAuth(PROXY_USER, PROXY_PASSWORD).start());

        Map<String, String> env = new HashMap<>();
        env.put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        env.put("PDAGENTD_DEBUG", "true");
        env.put("PDAGENTD_BROKER_URL", "amqp://" + BROKER_USER + ":" + BROKER_PASSWORD + "@127.0.0.1:5672/"
                + java.net.URLEncoder.encode(vhost, StandardCharsets.UTF_8));
        env.put("PDAGENTD_EVENTS_BASE_URL", pd.baseUrl());
        env.put("PDAGENTD_API_BASE_URL", api.baseUrl());
        env.put("PDAGENTD_API_TOKEN", API_TOKEN);
        env.put("PDAGENTD_WEBHOOK_DEST_URL", receiver.url());
        env.put("PDAGENTD_WEBHOOK_SECRET", WEBHOOK_SECRET);
        env.put("PDAGENTD_POLLING_INTERVAL_SECONDS", "1");
        env.put("PDAGENTD_WEBHOOK_LOOKBACK_SECONDS", "3600");
        env.put("PDAGENTD_ADMIN_TOKEN", ADMIN_TOKEN);
        env.put("PDAGENTD_ALLOWED_ROUTING_KEYS", KEY);
        // the proxy's credentials are planted; loopback destinations go direct, as NO_PROXY says
        env.put("HTTPS_PROXY", "http://" + PROXY_USER + ":" + PROXY_PASSWORD + "@127.0.0.1:" + proxy.port());
        env.put("HTTP_PROXY", "http://" + PROXY_USER + ":" + PROXY_PASSWORD + "@127.0.0.1:" + proxy.port());
        env.put("NO_PROXY", "127.0.0.1,localhost");
        env.put("PDAGENTD_RETRY_BASE_MILLIS", "100");
        AgentProcess agent = closing(new AgentProcess(env, dir.resolve("agent.log")).startAndAwaitHealthy());

        for (int i = 0; i < 5; i++) {
            assertThat(post(agent, "/v2/enqueue", event(KEY, "trigger", "d" + i)).statusCode()).isEqualTo(202);
        }
        assertThat(post(agent, "/v2/enqueue", event(REFUSED_KEY, "trigger", "r")).statusCode()).isEqualTo(403);
        // invalid: PagerDuty would reject it (no source), answered 400 with the reason
        assertThat(post(agent, "/v2/enqueue", """
                {"routing_key":"%s","event_action":"trigger","payload":{"summary":"%s","severity":"info"}}"""
                .formatted(KEY, MARKER)).statusCode()).isEqualTo(400);
        await().atMost(Duration.ofSeconds(60)).until(() -> pd.acceptedCount(KEY) == 5);
        await().atMost(Duration.ofSeconds(60)).until(() -> !receiver.accepted().isEmpty());
        assertThat(new String(receiver.accepted().get(0).body(), StandardCharsets.UTF_8)).contains(MARKER);

        Map<String, String> outputs = new LinkedHashMap<>();
        for (String path : List.of("/healthz", "/metrics")) {
            outputs.put("ingest " + path, get(agent.baseUrl() + path, null));
            outputs.put("admin " + path, get(agent.adminUrl() + path, ADMIN_TOKEN));
        }
        assertThat(outputs.get("admin /metrics")).contains("forbidden_key");
        outputs.put("pdagentd config", run(env, "bin/pdagentd", "config"));
        Map<String, String> queueEnv = new HashMap<>(env);
        outputs.put("pd-queue status", run(queueEnv, "bin/pd-queue", "status"));
        outputs.put("pd-queue list", run(queueEnv, "bin/pd-queue", "list"));
        assertThat(agent.stop()).isIn(0, 143);
        outputs.put("log", agent.logText());
        assertThat(outputs.get("log")).as("the run logged at DEBUG").contains("DEBUG");

        List<String> secrets = List.of(BROKER_PASSWORD, PROXY_PASSWORD, ADMIN_TOKEN, API_TOKEN, WEBHOOK_SECRET, MARKER);
        for (Map.Entry<String, String> o : outputs.entrySet()) {
            for (String secret : secrets) {
                assertThat(o.getValue()).as("%s must not contain %s", o.getKey(), secret).doesNotContain(secret);
            }
            if (!o.getKey().startsWith("pd-queue")) {
                assertThat(o.getValue()).as("%s shows routing keys only masked", o.getKey())
                        .doesNotContain(KEY).doesNotContain(REFUSED_KEY);
            }
        }
        assertThat(outputs.get("log")).contains("****k2cd");
        assertThat(outputs.get("pdagentd config")).contains("PDAGENTD_ALLOWED_ROUTING_KEYS=****k1ab");
    }

    private <T extends AutoCloseable> T closing(T resource) {
        toClose.add(resource);
        return resource;
    }

    private static String event(String key, String action, String dedup) {
        return """
                {"routing_key":"%s","event_action":"%s","dedup_key":"%s",
                 "payload":{"summary":"%s","source":"host-%s","severity":"info","custom_details":{"note":"%s"}}}"""
                .formatted(key, action, dedup, MARKER, MARKER, MARKER);
    }

    private HttpResponse<String> post(AgentProcess agent, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(agent.baseUrl() + path)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String get(String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url).isEqualTo(200);
        return r.body();
    }

    private String run(Map<String, String> env, String command, String... args) throws Exception {
        List<String> c = new ArrayList<>();
        c.add(AgentProcess.projectRoot().resolve(command).toString());
        c.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(c).redirectErrorStream(true);
        pb.environment().putAll(env);
        Path out = Files.createTempFile(dir, "out", ".txt");
        pb.redirectOutput(out.toFile());
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(command + " finished").isTrue();
        String text = Files.readString(out);
        assertThat(p.exitValue()).as(command + " " + String.join(" ", args) + ": " + text).isZero();
        return text;
    }
}
