package io.pdaltagent.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tarball on a machine with no JDK: unpacked into a fresh directory and run with every JDK of
 * this machine hidden in a mount namespace ({@code unshare --mount} with {@code without-jdk.sh}),
 * its launchers must start the agent on the bundled runtime, queue an event with pd-send that
 * reaches (fake) PagerDuty, and answer pd-queue, without building anything.
 */
@Timeout(240)
class TarballIT {
    static final String KEY = "tarball0000000000000000000000000";

    @TempDir
    static Path dir;
    static Path home;

    @BeforeAll
    static void unpack() {
        Command.requireTools("tar", "unshare", "mount");
        Command.run(List.of("tar", "-xzf", DistArtifacts.tarball().toString(), "-C", dir.toString()), Command.HOST_ENV,
                Duration.ofSeconds(120)).orFail("tar -xzf");
        home = dir.resolve("pdaltagent-" + DistArtifacts.version());
    }

    @Test
    void theTarballHoldsTheLaunchersTheRuntimeAndNoSources() {
        String listing = Command.run(List.of("tar", "-tzf", DistArtifacts.tarball().toString()), Command.HOST_ENV,
                Duration.ofSeconds(60)).orFail("tar -tzf").output();
        String top = "pdaltagent-" + DistArtifacts.version() + "/";
        assertThat(listing.lines().toList()).allMatch(l -> l.startsWith(top))
                .contains(top + "bin/pdagentd", top + "bin/pd-send", top + "bin/pd-queue", top + "bin/pd-nagios",
                        top + "bin/pd-zabbix", top + "bin/pd-sensu", top + "runtime/bin/java", top + "lib/cli/pd-send.jsa",
                        top + "lib/cli/pdaltagent-cli.jar", top + "lib/agent/pdaltagent-core-" + DistArtifacts.version() + ".jar",
                        top + "lib/agent/pdaltagent-rabbitmq-" + DistArtifacts.version() + ".jar");
        assertThat(listing).doesNotContain("mvnw", "pom.xml", "/src/", "bin/test", "/target/");
        assertThat(home.resolve("runtime/bin/java")).isExecutable();
        assertThat(home.resolve("bin/pdagentd")).isExecutable();
    }

    @Test
    void startsSendsAndDeliversWithNoJdkOnTheMachine() throws Exception {
        Path data = dir.resolve("data");
        Path log = dir.resolve("agent.log");
        int port = AgentProcess.freePort();
        try (FakePagerDuty pd = FakePagerDuty.builder().start()) {
            Map<String, String> env = new HashMap<>(Command.HOST_ENV);
            env.put("PDAGENTD_DATA_DIR", data.toString());
            env.put("PDAGENTD_HTTP_PORT", String.valueOf(port));
            env.put("PDAGENTD_HTTPS_PORT", "0");
            env.put("PDAGENTD_BIND_ADDRESS", "127.0.0.1");
            env.put("PDAGENTD_EVENTS_BASE_URL", pd.baseUrl());
            // the JDK that runs this test: an installed copy must not take it
            env.put("JAVA_HOME", System.getProperty("java.home"));
            ProcessBuilder pb = new ProcessBuilder(withoutJdk(home.resolve("bin/pdagentd").toString()))
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().clear();
            pb.environment().putAll(env);
            Process agent = pb.start();
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    if (!agent.isAlive()) {
                        throw new AssertionError("pdagentd exited " + agent.exitValue() + ":\n" + Files.readString(log));
                    }
                    return Healthz.status(port) == 200;
                });
                // unshare and the scripts exec: the process is the JVM, on the bundled runtime
                assertThat(Files.readSymbolicLink(Path.of("/proc/" + agent.pid() + "/exe")).toString())
                        .startsWith(home.resolve("runtime").toString());

                env.put("PDSEND_EVENTS_BASE_URL", "http://127.0.0.1:" + port);
                Command.Result sent = Command.run(withoutJdk(home.resolve("bin/pd-send").toString(), "-k", KEY, "-t", "trigger",
                        "-d", "Disk 95% full on db01", "-i", "db01/disk", "-s", "error"), env, Duration.ofSeconds(60));
                assertThat(sent.output()).as("pd-send's output").isEqualTo("Event processed. Incident Key: db01/disk\n");
                assertThat(sent.exit()).isZero();
                await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY) == 1);
                assertThat(pd.accepted(KEY).get(0).json().path("dedup_key").asText()).isEqualTo("db01/disk");

                Command.Result nagios = Command.run(withoutJdk(home.resolve("bin/pd-nagios").toString(), "-n", "host", "-k", KEY,
                        "-t", "PROBLEM", "-f", "HOSTNAME=db01", "-f", "HOSTSTATE=DOWN"), env, Duration.ofSeconds(60));
                assertThat(nagios.output()).startsWith("Event processed. Incident Key: event_source=host;host_name=db01");
                await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY) == 2);

                Command.Result status = Command.run(withoutJdk(home.resolve("bin/pd-queue").toString(), "status"), env,
                        Duration.ofSeconds(60));
                assertThat(status.exit()).as(status.output()).isZero();
                assertThat(status.output()).contains("Service Key").containsPattern(KEY + " +0 +2 +0");
            } finally {
                agent.destroy();
                if (!agent.waitFor(30, TimeUnit.SECONDS)) {
                    agent.destroyForcibly();
                }
            }
            assertThat(Files.readString(log)).contains("pdaltagent ready").doesNotContain("building");
        }
    }

    @Test
    void pdSendMapsTheClassDataArchiveTrainedOnTheBundledRuntime() {
        // the launcher's options, with the archive required (-Xshare:on fails when it does not fit)
        Command.Result r = Command.run(List.of(home.resolve("runtime/bin/java").toString(), "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Xss256k", "-Xmx32m", "-XX:-UsePerfData", "-Xshare:on",
                "-XX:SharedArchiveFile=" + home.resolve("lib/cli/pd-send.jsa"), "-Xlog:class+load=info",
                "-cp", home.resolve("lib/cli/pdaltagent-cli.jar").toString(), "io.pdaltagent.cli.PdSend", "--help"),
                Command.HOST_ENV, Duration.ofSeconds(60));
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("io.pdaltagent.cli.PdSend source: shared objects file (top)");
    }

    private static List<String> withoutJdk(String... command) {
        List<String> c = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "bash",
                DistArtifacts.testScript("without-jdk.sh").toString()));
        c.addAll(List.of(command));
        return c;
    }
}
