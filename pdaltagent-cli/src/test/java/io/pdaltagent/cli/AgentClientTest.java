package io.pdaltagent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.testing.TestCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API the commands of this module share: what counts as accepted, rejected and unreachable. */
class AgentClientTest {
    static final String KEY = "0123456789abcdef0123456789abcdef";
    static final String TRIGGER = "{\"routing_key\":\"" + KEY + "\",\"event_action\":\"trigger\","
            + "\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\"}}";

    @TempDir
    Path tmp;

    Map<String, String> env(String baseUrl) {
        Map<String, String> env = new HashMap<>();
        env.put("PDSEND_EVENTS_BASE_URL", baseUrl);
        env.put("PDAGENTD_DATA_DIR", tmp.toString());
        return env;
    }

    @Test
    void twoHundredsAreAcceptedWithTheAgentsKey() throws Exception {
        try (TinyAgent agent = TinyAgent.start()) {
            AgentClient c = AgentClient.fromEnv(env(agent.baseUrl() + "/"));
            assertThat(c.baseUrl()).isEqualTo(agent.baseUrl());
            assertThat(c.submit(OutboundEvent.json("/v2/enqueue", TRIGGER, null)))
                    .isEqualTo(new AgentClient.Result.Accepted(202, "assigned-key"));
            assertThat(agent.last().header("User-Agent")).matches("pd-send/.+");
            assertThat(c.unreachableReason()).isNull();
        }
    }

    @Test
    void aNagiosFormIsPostedAsAForm() throws Exception {
        try (TinyAgent agent = TinyAgent.start()) {
            agent.reply(200, "{\"status\":\"success\",\"message\":\"Event processed\"}");
            AgentClient.Result r = AgentClient.fromEnv(env(agent.baseUrl())).submit(new OutboundEvent(
                    "/nagios/2010-04-15/create_event", "application/x-www-form-urlencoded", "CONTACTPAGER=k&HOSTNAME=h", null));
            assertThat(r).isEqualTo(new AgentClient.Result.Accepted(200, null));
            assertThat(agent.last().header("Content-Type")).isEqualTo("application/x-www-form-urlencoded");
            assertThat(agent.last().body()).isEqualTo("CONTACTPAGER=k&HOSTNAME=h");
        }
    }

    @Test
    void fourAndFiveHundredsAreRejectedWithTheErrorsJoined() throws Exception {
        try (TinyAgent agent = TinyAgent.start()) {
            AgentClient c = AgentClient.fromEnv(env(agent.baseUrl()));
            agent.reply(400, "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\",\"errors\":[\"one\",\"two\"]}");
            assertThat(c.submit(OutboundEvent.json("/v2/enqueue", TRIGGER, null)))
                    .isEqualTo(new AgentClient.Result.Rejected(400, "one; two"));
            agent.reply(403, "{\"status\":\"throttle event\",\"message\":\"Queue full, retry later\",\"errors\":[]}");
            assertThat(c.submit(OutboundEvent.json("/generic/2010-04-15/create_event.json", "{}", null)))
                    .isEqualTo(new AgentClient.Result.Rejected(403, "Queue full, retry later"));
            agent.reply(500, "");
            assertThat(c.submit(OutboundEvent.json("/v2/enqueue", TRIGGER, null)))
                    .isEqualTo(new AgentClient.Result.Rejected(500, "HTTP 500"));
            agent.reply(404, "<html>not here</html>");
            assertThat(c.submit(OutboundEvent.json("/v2/enqueue", TRIGGER, null)))
                    .isEqualTo(new AgentClient.Result.Rejected(404, "<html>not here</html>"));
            assertThat(tmp.resolve("spool")).doesNotExist();
        }
    }

    @Test
    void unreachableMeansSpooledAndAKeyIsAssignedToATrigger() throws Exception {
        AgentClient c = AgentClient.fromEnv(env("http://127.0.0.1:" + PdSendTest.closedPort()));
        AgentClient.Result r = c.submit(OutboundEvent.json("/v2/enqueue", TRIGGER, null));
        assertThat(r).isInstanceOf(AgentClient.Result.Spooled.class);
        AgentClient.Result.Spooled s = (AgentClient.Result.Spooled) r;
        assertThat(s.file().getParent()).isEqualTo(tmp.resolve("spool"));
        assertThat(c.unreachableReason()).isEqualTo("connection refused");
        Map<String, Object> record = Json.parseObject(Files.readString(s.file()));
        assertThat(Json.parseObject((String) record.get("body"))).containsEntry("dedup_key", s.dedupKey());
    }

    @Test
    void aGivenKeyAndABodyThatNeedsNoneAreSpooledAsTheyAre() throws Exception {
        AgentClient c = AgentClient.fromEnv(env("http://127.0.0.1:" + PdSendTest.closedPort()));
        String resolve = "{\"routing_key\":\"" + KEY + "\",\"event_action\":\"resolve\",\"dedup_key\":\"k\"}";
        AgentClient.Result.Spooled s = (AgentClient.Result.Spooled) c.submit(OutboundEvent.json("/v2/enqueue", resolve, null));
        assertThat(s.dedupKey()).isEqualTo("k");
        assertThat(Json.parseObject(Files.readString(s.file()))).containsEntry("body", resolve);
        String v1 = "{\"service_key\":\"" + KEY + "\",\"event_type\":\"trigger\",\"description\":\"d\"}";
        s = (AgentClient.Result.Spooled) c.submit(OutboundEvent.json("/generic/2010-04-15/create_event.json", v1, null));
        assertThat(Json.parseObject((String) Json.parseObject(Files.readString(s.file())).get("body")))
                .containsEntry("incident_key", s.dedupKey());
    }

    @Test
    void httpsWithSkipCertVerifyTrustsTheAgentsSelfSignedCertificate() throws Exception {
        TestCertificate cert = TestCertificate.shared();
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(cert.keyStore(), cert.password().toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        try (TinyAgent agent = TinyAgent.startTls(tls)) {
            // the certificate names localhost, not this address: host name checks must be off too
            String url = agent.baseUrl().replace("127.0.0.1", "127.0.0.2");
            Map<String, String> env = env(url);
            env.put("PDSEND_SKIP_CERT_VERIFY", "true");
            assertThat(AgentClient.fromEnv(env).submit(OutboundEvent.json("/v2/enqueue", TRIGGER, null)))
                    .isEqualTo(new AgentClient.Result.Accepted(202, "assigned-key"));

            // without it, an untrusted certificate is a connection that failed: the event is kept on disk
            env.put("PDSEND_SKIP_CERT_VERIFY", "false");
            AgentClient verifying = AgentClient.fromEnv(env);
            assertThat(verifying.submit(OutboundEvent.json("/v2/enqueue", TRIGGER, null)))
                    .isInstanceOf(AgentClient.Result.Spooled.class);
            assertThat(verifying.unreachableReason()).startsWith("TLS: ");
            assertThat(agent.requests).hasSize(1);
        }
    }

    @Test
    void badSettingsAreReportedBySubmit() {
        Map<String, String> env = env("http://127.0.0.1:1");
        env.put("PDSEND_SKIP_CERT_VERIFY", "maybe");
        assertThatThrownBy(() -> AgentClient.fromEnv(env).submit(OutboundEvent.json("/v2/enqueue", TRIGGER, null)))
                .isInstanceOf(CliException.class).hasMessage("PDSEND_SKIP_CERT_VERIFY: 'maybe' is not true or false");
        assertThatThrownBy(() -> AgentClient.fromEnv(env("127.0.0.1:8080")).submit(OutboundEvent.json("/v2/enqueue", TRIGGER, null)))
                .hasMessage("PDSEND_EVENTS_BASE_URL: '127.0.0.1:8080' is not an http:// or https:// URL");
    }

    @Test
    void theDataDirIsTheVariableElseTheSystemDirElseHome() {
        assertThat(Spool.dataDir(Map.of("PDAGENTD_DATA_DIR", " /x/y "))).isEqualTo(Path.of("/x/y"));
        Path expected = Files.isDirectory(Spool.SYSTEM_DATA_DIR) ? Spool.SYSTEM_DATA_DIR
                : Path.of(System.getProperty("user.home"), ".pdaltagent");
        assertThat(Spool.dataDir(Map.of())).isEqualTo(expected);
        // the agent finds the same one
        assertThat(io.pdaltagent.config.EnvConfig.load(Map.of("PDAGENTD_HTTPS_PORT", "0")).queue().dataDir()).isEqualTo(expected);
    }
}
