package io.pdaltagent.rabbitmq.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.testing.AgentProcess;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A broker URL the agent cannot use stops it at start with a message a person can act on. */
@Timeout(120)
class StartupErrorsIT {
    @TempDir
    Path dir;

    private AgentProcess run(String var, String url) throws Exception {
        AgentProcess a = new AgentProcess(Map.of("PDAGENTD_DATA_DIR", dir.resolve("data").toString(), var, url),
                dir.resolve("agent.log"));
        a.start();
        assertThat(a.process().waitFor(60, TimeUnit.SECONDS)).as("pdagentd exits").isTrue();
        return a;
    }

    @Test
    void aUrlThatIsNotAmqpStopsTheAgentNamingTheVariable() throws Exception {
        AgentProcess a = run("PDAGENTD_BROKER_URL", "redis://127.0.0.1:6379/0");
        assertThat(a.process().exitValue()).isEqualTo(2);
        assertThat(a.logText()).contains("PDAGENTD_BROKER_URL").contains("amqp://");
    }

    @Test
    void wrongCredentialsStopTheAgentWithoutShowingThePassword() throws Exception {
        AgentProcess a = run("PDAGENTD_BROKER_URL", "amqp://guest:wrong-secret@127.0.0.1:5672/");
        assertThat(a.process().exitValue()).isEqualTo(2);
        assertThat(a.logText()).contains("refused the credentials of user 'guest'").doesNotContain("wrong-secret");
    }

    @Test
    void aMissingVhostStopsTheAgent() throws Exception {
        AgentProcess a = run("CELERY_BROKER_URL", "pyamqp://guest:guest@127.0.0.1:5672/no-such-vhost");
        assertThat(a.process().exitValue()).isEqualTo(2);
        assertThat(a.logText()).contains("virtual host 'no-such-vhost'");
    }

    @Test
    void aBrokerThatDoesNotAnswerStopsTheAgent() throws Exception {
        AgentProcess a = run("PDAGENTD_BROKER_URL", "amqp://guest:guest@127.0.0.1:" + AgentProcess.freePort() + "/");
        assertThat(a.process().exitValue()).isEqualTo(1);
        assertThat(a.logText()).contains("cannot reach the broker");
    }
}
