package io.pdaltagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.admin.AgentEndpoint;
import io.pdaltagent.config.EnvConfig;
import io.pdaltagent.queue.SqliteEventQueue;
import io.pdaltagent.testing.AgentProcess;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's stages: a failed start closes those it started, a stop closes them all. */
class AgentStagesTest {
    @TempDir
    Path dir;

    private Map<String, String> env(int httpPort, int adminPort) {
        Map<String, String> env = new HashMap<>();
        env.put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        env.put("PDAGENTD_HTTP_PORT", String.valueOf(httpPort));
        env.put("PDAGENTD_HTTPS_PORT", "0");
        env.put("PDAGENTD_ADMIN_PORT", String.valueOf(adminPort));
        env.put("PDAGENTD_EVENTS_BASE_URL", "http://127.0.0.1:9");
        return env;
    }

    /** Threads the agent's stages run, by name. */
    private static Set<String> stageThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.equals("housekeeper") || n.equals("spool-importer") || n.equals("delivery-dispatcher"))
                .collect(Collectors.toSet());
    }

    /** True when the port can be bound on loopback again. */
    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void aStageThatFailsToStartClosesTheStagesStartedBeforeIt() throws Exception {
        Set<String> before = stageThreads();
        int admin = AgentProcess.freePort();
        // ingest starts last: with its port taken, every other stage has started when it fails
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("0.0.0.0"))) {
            assertThatThrownBy(() -> Agent.start(EnvConfig.load(env(taken.getLocalPort(), admin)), Clock.systemUTC()))
                    .hasMessageContaining(String.valueOf(taken.getLocalPort()));
        }
        assertThat(free(admin)).as("the admin listener is closed").isTrue();
        assertThat(dir.resolve("data").resolve(AgentEndpoint.FILE_NAME)).doesNotExist();
        assertThat(stageThreads()).as("delivery, spool import and housekeeper stopped").isEqualTo(before);
        // the queue is closed: its lock is free for the next start
        SqliteEventQueue.open(dir.resolve("data"), Clock.systemUTC(), 10).close();
    }

    @Test
    void aStopClosesEveryStage() throws Exception {
        Set<String> before = stageThreads();
        int admin = AgentProcess.freePort();
        Agent agent = Agent.start(EnvConfig.load(env(AgentProcess.freePort(), admin)), Clock.systemUTC());
        int http = agent.httpPort();
        assertThat(dir.resolve("data").resolve(AgentEndpoint.FILE_NAME)).exists();
        assertThat(stageThreads()).as("the stages run threads of their own").isNotEqualTo(before);
        agent.close();
        assertThat(free(admin)).isTrue();
        assertThat(free(http)).isTrue();
        assertThat(dir.resolve("data").resolve(AgentEndpoint.FILE_NAME)).doesNotExist();
        assertThat(stageThreads()).isEqualTo(before);
        SqliteEventQueue.open(dir.resolve("data"), Clock.systemUTC(), 10).close();
    }
}
