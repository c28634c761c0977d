package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.testing.AgentProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/pdagentd}'s commands as a user runs them, and an agent configured by its file only. */
@Timeout(300)
class CommandsIT {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    @Test
    void helpAndVersionWork() throws Exception {
        Run help = pdagentd(Map.of(), "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).startsWith("usage: pdagentd").contains("check-config", "config", "import-pdagent",
                "PDAGENTD_CONFIG_FILE", "/etc/pdaltagent/pdaltagent.yaml");
        Run version = pdagentd(Map.of(), "--version");
        assertThat(version.code()).isZero();
        assertThat(version.out()).startsWith("pdagentd ");
        Run bad = pdagentd(Map.of(), "--frobnicate");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).isEqualTo("pdagentd: unknown command or option '--frobnicate'; see pdagentd --help\n");
    }

    @Test
    void heapSettingReplacesOnlyTheMaximumHeapAndABadValueStopsTheStart() throws Exception {
        // -XX:+PrintCommandLineFlags through JAVA_TOOL_OPTIONS shows the -Xmx the launcher passed (96 MiB)
        Run sized = pdagentd(Map.of("PDAGENTD_HEAP", "96m", "JAVA_TOOL_OPTIONS", "-XX:+PrintCommandLineFlags"), "--version");
        assertThat(sized.code()).isZero();
        assertThat(sized.out()).contains("-XX:MaxHeapSize=" + 96L * 1024 * 1024, "-XX:+UseSerialGC", "-XX:MaxNewSize=")
                .contains("pdagentd ");
        Run big = pdagentd(Map.of("PDAGENTD_HEAP", "1g", "JAVA_TOOL_OPTIONS", "-XX:+PrintCommandLineFlags"), "--version");
        assertThat(big.out()).contains("-XX:MaxHeapSize=" + 1024L * 1024 * 1024);

        Run word = pdagentd(Map.of("PDAGENTD_HEAP", "lots"), "--version");
        assertThat(word.code()).isEqualTo(2);
        assertThat(word.err()).isEqualTo(
                "pdagentd: PDAGENTD_HEAP must be a size in megabytes or gigabytes like 256m or 1g, got 'lots'\n");
        Run small = pdagentd(Map.of("PDAGENTD_HEAP", "16m"), "--version");
        assertThat(small.code()).isEqualTo(2);
        assertThat(small.err()).startsWith("pdagentd: PDAGENTD_HEAP must be at least 48m");
        Run both = pdagentd(Map.of("PDAGENTD_HEAP", "96m", "PDAGENTD_JAVA_OPTS", "-Xmx96m"), "--version");
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("PDAGENTD_HEAP and PDAGENTD_JAVA_OPTS are both set");
    }

    @Test
    void checkConfigAndConfigReadTheFileAndABadValueStopsTheStart() throws Exception {
        Path yaml = dir.resolve("pdaltagent.yaml");
        Files.writeString(yaml, "PDAGENTD_HTTPS_PORT: 0\nPDAGENTD_QUEUE_MAX_EVENTS: lots\n");
        Map<String, String> env = Map.of("PDAGENTD_CONFIG_FILE", yaml.toString(), "PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        Run check = pdagentd(env, "check-config");
        assertThat(check.code()).isEqualTo(2);
        assertThat(check.err()).isEqualTo("pdagentd: " + yaml + ":2: PDAGENTD_QUEUE_MAX_EVENTS: 'lots' is not a whole number\n");
        Run start = pdagentd(env);
        assertThat(start.code()).isEqualTo(2);
        assertThat(start.err()).endsWith("pdagentd: " + yaml + ":2: PDAGENTD_QUEUE_MAX_EVENTS: 'lots' is not a whole number\n");

        Files.writeString(yaml, "PDAGENTD_HTTPS_PORT: 0\nPDAGENTD_QUEUE_MAX_EVENTS: 5000\n");
        assertThat(pdagentd(env, "check-config").code()).isZero();
        Run config = pdagentd(Map.of("PDAGENTD_CONFIG_FILE", yaml.toString(), "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                "PDAGENTD_QUEUE_MAX_EVENTS", "7"), "config");
        assertThat(config.code()).isZero();
        assertThat(config.out()).containsPattern("(?m)^PDAGENTD_QUEUE_MAX_EVENTS=7 +# environment$")
                .containsPattern("(?m)^PDAGENTD_HTTPS_PORT=0 +# " + java.util.regex.Pattern.quote(yaml + ":1") + "$");
    }

    @Test
    void anAgentConfiguredByItsFileOnlyListensWhereTheFileSays() throws Exception {
        int http = AgentProcess.freePort();
        int admin = AgentProcess.freePort();
        Path yaml = dir.resolve("pdaltagent.yaml");
        Files.writeString(yaml, "PDAGENTD_HTTP_PORT: " + http + "\nPDAGENTD_HTTPS_PORT: 0\nPDAGENTD_ADMIN_PORT: " + admin + "\n"
                + "PDAGENTD_DATA_DIR: " + dir.resolve("data") + "\n");
        // the process's environment names the file and nothing else
        try (AgentProcess agent = new AgentProcess(Map.of("PDAGENTD_CONFIG_FILE", yaml.toString(),
                "PDAGENTD_HTTP_PORT", "", "PDAGENTD_ADMIN_PORT", ""), dir.resolve("agent.log"))) {
            agent.start();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> {
                if (!agent.process().isAlive()) {
                    throw new IllegalStateException(agent.logText());
                }
                return Files.exists(dir.resolve("data").resolve("admin-endpoint.json"));
            });
            assertThat(Files.readString(dir.resolve("data").resolve("admin-endpoint.json"))).contains("http://127.0.0.1:" + admin);
            assertThat(new java.net.Socket("127.0.0.1", http).isConnected()).isTrue();
        }
    }

    @Test
    void aConfigurationFileTheUserMayNotReadIsNamed() throws Exception {
        Path yaml = dir.resolve("pdaltagent.yaml");
        Files.writeString(yaml, "PDAGENTD_HTTPS_PORT: 0\n");
        Files.setPosixFilePermissions(yaml, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        // as an unprivileged user (root reads everything): the JVM of this test, the agent's classes
        Path target = AgentProcess.projectRoot().resolve("pdaltagent-core/target");
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                target.resolve("pdaltagent-core.jar") + ":" + target.resolve("lib") + "/*", "io.pdaltagent.Main", "check-config"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PDAGENTD_CONFIG_FILE", yaml.toString());
        pb.environment().put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        pb.environment().put("HOME", dir.toString());
        Run r = run(pb);
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("pdagentd: " + yaml + ": cannot read the configuration file (permission denied)\n");
    }

    private Run pdagentd(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(AgentProcess.projectRoot().resolve("bin/pdagentd").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("PDAGENTD_"));
        pb.environment().put("PDAGENTD_CONFIG_FILE", "/dev/null");
        pb.environment().put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        pb.environment().putAll(env);
        return run(pb);
    }

    private Run run(ProcessBuilder pb) throws Exception {
        Path out = Files.createTempFile(dir, "cmd", ".out");
        Path err = Files.createTempFile(dir, "cmd", ".err");
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.setPosixFilePermissions(err, PosixFilePermissions.fromString("rw-rw-rw-"));
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(pb.command() + " did not finish within 120 s");
        }
        String errText = Files.readString(err).replace("pdaltagent: building (first use or sources changed)...\n", "");
        return new Run(p.exitValue(), Files.readString(out), errText);
    }
}
