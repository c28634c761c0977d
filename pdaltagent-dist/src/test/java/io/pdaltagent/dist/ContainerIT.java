package io.pdaltagent.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The container image and docker-compose.yml. No registry is reachable here, so the image is
 * built with Debian's podman from the Dockerfile with {@code DIST=tarball} (the tarball of this
 * build) on a local Debian base ({@code local-base-image.sh}); it must run the agent as its
 * non-root user, and {@code exec CONTAINER pd-send} must queue an event that reaches (fake)
 * PagerDuty. The compose file is validated with docker-compose; running it needs RabbitMQ's image,
 * which no registry can give here.
 */
@Timeout(600)
class ContainerIT {
    static final String KEY = "container00000000000000000000000";
    static final String BASE = "localhost/pdaltagent-test-base:bookworm";
    static final String IMAGE = "localhost/pdaltagent:it";

    @Test
    void dockerComposeFileIsValidAndRunsTheAgentWithRabbitMqAsContainerPdaltagent() {
        Command.requireTools("docker-compose");
        String file = DistArtifacts.projectFile("docker-compose.yml").toString();
        Command.Result config = Command.run(List.of("docker-compose", "-f", file, "config"), Command.HOST_ENV,
                Duration.ofSeconds(60));
        assertThat(config.exit()).as(config.output()).isZero();
        assertThat(config.output())
                .contains("container_name: pdaltagent\n", "image: rabbitmq:3.13-management",
                        "PDAGENTD_BROKER_URL: amqp://pdaltagent:pdaltagent@rabbitmq:5672/", "condition: service_healthy",
                        "published: 8080", "published: 8443", "pdaltagent-data:/var/lib/pdaltagent");
    }

    @Test
    void imageBuiltOnALocalBaseRunsTheAgentAsItsUserAndExecPdSendDelivers() throws Exception {
        Command.requireTools("podman", "crun", "debootstrap", "unshare");
        String root = DistArtifacts.projectFile("Dockerfile").getParent().toString();
        DistArtifacts.tarball(); // the build context's tarball must be there
        Command.run(unshared("bash", DistArtifacts.testScript("local-base-image.sh").toString(), BASE), Command.HOST_ENV,
                Duration.ofMinutes(8)).orFail("local base image");
        Command.run(podman("build", "--isolation=chroot", "--network=host", "--format=docker",
                "--build-arg", "DIST=tarball", "--build-arg", "BASE_IMAGE=" + BASE, "-t", IMAGE, "-f",
                root + "/Dockerfile", root), Command.HOST_ENV, Duration.ofMinutes(5)).orFail("podman build");

        String name = "pdaltagent-it-" + ProcessHandle.current().pid();
        int port = AgentProcess.freePort();
        try (FakePagerDuty pd = FakePagerDuty.builder().start()) {
            // this machine's limits (see podman.sh): no cgroups, ulimits no higher than the current ones
            Command.run(podman("run", "-d", "--name", name, "--network=host", "--cgroups=disabled",
                    "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                    "-e", "PDAGENTD_HTTP_PORT=" + port, "-e", "PDAGENTD_HTTPS_PORT=0", "-e", "PDAGENTD_BIND_ADDRESS=127.0.0.1",
                    "-e", "PDSEND_EVENTS_BASE_URL=http://127.0.0.1:" + port, "-e", "PDAGENTD_EVENTS_BASE_URL=" + pd.baseUrl(),
                    IMAGE), Command.HOST_ENV, Duration.ofMinutes(2)).orFail("podman run");
            try {
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> Healthz.status(port) == 200);
                assertThat(exec(name, "id", "-u").output()).isEqualTo("10001\n");
                assertThat(exec(name, "readlink", "-f", "/proc/1/exe").output()).isEqualTo("/opt/pdaltagent/runtime/bin/java\n");

                Command.Result sent = exec(name, "pd-send", "-k", KEY, "-t", "trigger", "-d", "from the container", "-i", "c-1");
                assertThat(sent.output()).isEqualTo("Event processed. Incident Key: c-1\n");
                assertThat(sent.exit()).isZero();
                await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY) == 1);
                await().atMost(Duration.ofSeconds(30)).until(() -> exec(name, "env", "PDAGENTD_HTTP_PORT=" + port, "pd-queue",
                        "status").output().matches("(?s).*" + KEY + " +0 +1 +0.*"));
            } finally {
                Command.Result logs = Command.run(podman("logs", name), Command.HOST_ENV, Duration.ofSeconds(30));
                Command.run(podman("rm", "-f", "-t", "10", name), Command.HOST_ENV, Duration.ofMinutes(1));
                assertThat(logs.output()).contains("pdaltagent ready");
            }
        } finally {
            Command.run(podman("rmi", "-f", IMAGE), Command.HOST_ENV, Duration.ofMinutes(1));
            // the build's intermediate stage (dist-tarball) stays as an untagged image: ~300 MB a run
            Command.run(podman("image", "prune", "-f"), Command.HOST_ENV, Duration.ofMinutes(1));
        }
    }

    private static Command.Result exec(String container, String... command) {
        List<String> c = new ArrayList<>(List.of("exec", container));
        c.addAll(List.of(command));
        return Command.run(podman(c.toArray(String[]::new)), Command.HOST_ENV, Duration.ofSeconds(60));
    }

    private static List<String> podman(String... args) {
        List<String> c = new ArrayList<>(List.of("bash", DistArtifacts.testScript("podman.sh").toString()));
        c.addAll(List.of(args));
        return unshared(c.toArray(String[]::new));
    }

    private static List<String> unshared(String... command) {
        List<String> c = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private"));
        c.addAll(List.of(command));
        return c;
    }
}
