package io.pdaltagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.admin.AgentEndpoint;
import io.pdaltagent.config.ConfigException;
import io.pdaltagent.config.EnvConfig;
import io.pdaltagent.testing.AgentProcess;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin listener of a real agent: its own port, the queue admin API only there, the endpoint file. */
class AdminListenerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private Agent agent;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
        http.close();
    }

    private Map<String, String> env(int adminPort) {
        Map<String, String> env = new HashMap<>();
        env.put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        env.put("PDAGENTD_HTTP_PORT", String.valueOf(AgentProcess.freePort()));
        env.put("PDAGENTD_HTTPS_PORT", "0");
        env.put("PDAGENTD_ADMIN_PORT", String.valueOf(adminPort));
        env.put("PDAGENTD_EVENTS_BASE_URL", "http://127.0.0.1:9");
        return env;
    }

    private int get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void theQueueAdminApiIsOnTheAdminPortOnlyAndHealthAndMetricsOnBoth() throws Exception {
        int adminPort = AgentProcess.freePort();
        agent = Agent.start(EnvConfig.load(env(adminPort)), Clock.systemUTC());
        assertThat(agent.adminPort()).isEqualTo(adminPort);
        assertThat(get(adminPort, "/admin/v1/queue/status")).isEqualTo(200);
        assertThat(get(agent.httpPort(), "/admin/v1/queue/status")).isEqualTo(404);
        for (String path : new String[] {"/healthz", "/metrics"}) {
            assertThat(get(agent.httpPort(), path)).as(path).isEqualTo(200);
            assertThat(get(adminPort, path)).as(path).isEqualTo(200);
        }
        // ingest stays on the ingest ports
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/v2/enqueue"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.discarding()).statusCode())
                .isEqualTo(404);
    }

    @Test
    void theEndpointFileNamesThisStartAndGoesAtACleanStop() throws Exception {
        int adminPort = AgentProcess.freePort();
        Map<String, String> env = env(adminPort);
        env.put("PDAGENTD_ADMIN_TOKEN", "0123456789abcdef0123");
        agent = Agent.start(EnvConfig.load(env), Clock.systemUTC());
        Path file = dir.resolve("data").resolve(AgentEndpoint.FILE_NAME);
        AgentEndpoint.Endpoint e = AgentEndpoint.read(dir.resolve("data"));
        assertThat(e.url()).isEqualTo(URI.create("http://127.0.0.1:" + adminPort));
        assertThat(e.token()).isEqualTo("0123456789abcdef0123");
        assertThat(Files.getPosixFilePermissions(file)).hasToString("[OWNER_READ, OWNER_WRITE]");
        String served = http.send(HttpRequest.newBuilder(URI.create(e.url() + AgentEndpoint.IDENTITY_PATH)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(JSON.readTree(served).get("instance").asText()).isEqualTo(e.instance());
        agent.close();
        agent = null;
        assertThat(file).doesNotExist();
    }

    @Test
    void portZeroTurnsTheAdminListenerOff() throws Exception {
        agent = Agent.start(EnvConfig.load(env(0)), Clock.systemUTC());
        assertThat(agent.adminPort()).isEqualTo(-1);
        assertThat(dir.resolve("data").resolve(AgentEndpoint.FILE_NAME)).doesNotExist();
        assertThat(get(agent.httpPort(), "/healthz")).isEqualTo(200);
    }

    @Test
    void aTakenAdminPortIsASettingError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> Agent.start(EnvConfig.load(env(taken.getLocalPort())), Clock.systemUTC()))
                    .isInstanceOf(ConfigException.class).hasMessageStartingWith("PDAGENTD_ADMIN_PORT: port " + taken.getLocalPort());
        }
    }

    @Test
    void offLoopbackTheListenerNeedsAToken() {
        Map<String, String> env = env(AgentProcess.freePort());
        env.put("PDAGENTD_ADMIN_BIND_ADDRESS", "0.0.0.0");
        assertThatThrownBy(() -> EnvConfig.load(env)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("PDAGENTD_ADMIN_TOKEN: required when the admin listener is not on a loopback address");
        env.put("PDAGENTD_ADMIN_TOKEN", "short");
        assertThatThrownBy(() -> EnvConfig.load(env)).hasMessageStartingWith("PDAGENTD_ADMIN_TOKEN: at least 16 characters");
        env.put("PDAGENTD_ADMIN_TOKEN", "0123456789abcdef0123");
        assertThat(EnvConfig.load(env).admin().bindAddress()).isEqualTo("0.0.0.0");
        env.put("PDAGENTD_ADMIN_PORT", "0");
        env.remove("PDAGENTD_ADMIN_TOKEN");
        assertThat(EnvConfig.load(env).admin().port()).isZero();
    }
}
