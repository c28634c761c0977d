package io.pdaltagent.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The .deb on a host booted with systemd ({@link SystemdSandbox}: the real service manager as PID 1
 * on a throw-away overlay of this machine): {@code dpkg -i} makes the user, the directories and
 * the commands and starts the unit as that user; {@code kill -9} of the agent brings it back
 * through {@code Restart=on-failure}; events sent with pd-send reach (fake) PagerDuty before and
 * after; {@code systemd-analyze verify} and {@code security} pass; remove keeps the queue and
 * settings, purge leaves nothing of the package behind.
 */
@Timeout(400)
class DebPackageIT {
    static final String KEY = "debpackage0000000000000000000000";
    static final Duration START_LIMIT = Duration.ofSeconds(90);
    /** systemd-analyze security's scale: 0 (locked down) to 10 (unprotected); "OK" ends at 3.9 */
    static final double MAX_EXPOSURE = 2.0;

    @TempDir
    Path dir;

    @Test
    void installsRunsAsItsUserComesBackAfterKill9AndPurgesClean() throws Exception {
        int port = AgentProcess.freePort();
        try (FakePagerDuty pd = FakePagerDuty.builder().start();
             SystemdSandbox host = SystemdSandbox.boot(dir.resolve("sandbox"))) {
            // the test's settings, in a drop-in as an administrator would add them: postinst's start
            // must not take this machine's 8080 and 8443
            dropIn(host, "PDAGENTD_HTTP_PORT=" + port, "PDAGENTD_HTTPS_PORT=0", "PDAGENTD_BIND_ADDRESS=127.0.0.1",
                    "PDAGENTD_EVENTS_BASE_URL=" + pd.baseUrl());
            host.run(Duration.ofSeconds(180), "dpkg", "-i", DistArtifacts.deb().toString()).orFail("dpkg -i");

            // what the package made
            assertThat(host.run("getent", "passwd", "pdaltagent").output())
                    .matches("pdaltagent:x:\\d+:\\d+:[^:]*:/var/lib/pdaltagent:/usr/sbin/nologin\\n");
            assertThat(host.run("stat", "-c", "%U:%G %a", "/var/lib/pdaltagent", "/var/lib/pdaltagent/spool",
                    "/etc/pdaltagent", "/etc/pdaltagent/pdaltagent.env", "/etc/pdaltagent/pdaltagent.yaml").output())
                    .isEqualTo("pdaltagent:pdaltagent 755\npdaltagent:pdaltagent 1733\nroot:pdaltagent 750\n"
                            + "root:pdaltagent 640\nroot:pdaltagent 640\n");
            for (String cmd : List.of("pdagentd", "pd-send", "pd-queue", "pd-nagios", "pd-zabbix", "pd-sensu")) {
                assertThat(host.run("sh", "-c", "command -v " + cmd).output()).as(cmd).isEqualTo("/usr/bin/" + cmd + "\n");
            }
            assertThat(host.run("systemctl", "is-enabled", "pdaltagent").output()).isEqualTo("enabled\n");
            // postinst enabled and started it
            long first = awaitRunning(host, port, 0);

            // it runs as its user, without privileges, on the bundled runtime
            assertThat(host.run("ps", "-o", "user=", "-p", String.valueOf(first)).output().trim()).isEqualTo("pdaltagent");
            String status = host.run("cat", "/proc/" + first + "/status").output();
            assertThat(status).containsPattern("NoNewPrivs:\\s+1").containsPattern("CapEff:\\s+0+\\n");
            // (seen through the chroot: the sandbox's root path comes first)
            assertThat(host.run("readlink", "/proc/" + first + "/exe").output()).endsWith("/usr/lib/pdaltagent/runtime/bin/java\n");

            sendAndAwaitDelivery(host, pd, port, "before-kill", 1);
            // killed while idle (the delivery recorded): nothing is sent twice. A kill between
            // PagerDuty's answer and that record would send the event once more (at least once).
            await().atMost(Duration.ofSeconds(30)).until(() -> host.run("env", "PDAGENTD_HTTP_PORT=" + port, "pd-queue", "status")
                    .output().matches("(?s).*" + KEY + " +0 +1 +0.*"));

            // kill -9: systemd's Restart=on-failure brings it back
            host.run("kill", "-9", String.valueOf(first)).orFail("kill -9");
            long second = awaitRunning(host, port, first);
            assertThat(second).isNotEqualTo(first);
            assertThat(host.run("systemctl", "show", "-p", "NRestarts", "--value", "pdaltagent").output()).isEqualTo("1\n");
            sendAndAwaitDelivery(host, pd, port, "after-kill", 2);
            assertThat(host.run("env", "PDAGENTD_HTTP_PORT=" + port, "pd-queue", "status").output())
                    .containsPattern(KEY + " +0 +2 +0");

            // installed again (as an upgrade runs postinst): the settings and the queue are kept, the agent restarted
            host.run("sh", "-c", "echo '# kept across upgrades' >> /etc/pdaltagent/pdaltagent.env").orFail("edit env");
            host.run(Duration.ofSeconds(180), "dpkg", "-i", DistArtifacts.deb().toString()).orFail("dpkg -i again");
            assertThat(host.run("tail", "-n", "1", "/etc/pdaltagent/pdaltagent.env").output()).isEqualTo("# kept across upgrades\n");
            long third = awaitRunning(host, port, second);
            assertThat(third).isNotEqualTo(second);
            assertThat(host.run("env", "PDAGENTD_HTTP_PORT=" + port, "pd-queue", "status").output())
                    .containsPattern(KEY + " +0 +2 +0");

            // the unit as systemd reads it: no warnings; hardened
            Command.Result verify = host.run("systemd-analyze", "verify", "/lib/systemd/system/pdaltagent.service");
            assertThat(verify.output()).as("systemd-analyze verify").isEmpty();
            assertThat(verify.exit()).isZero();
            String security = host.run("systemd-analyze", "security", "--no-pager", "pdaltagent.service").output();
            Matcher exposure = Pattern.compile("Overall exposure level for pdaltagent.service: ([0-9.]+)").matcher(security);
            assertThat(exposure.find()).as(security).isTrue();
            assertThat(Double.parseDouble(exposure.group(1))).as(security).isLessThanOrEqualTo(MAX_EXPOSURE);

            // remove: the agent stops, the files go, queue, settings and user stay (events may wait there)
            host.run(Duration.ofSeconds(120), "dpkg", "-r", "pdaltagent").orFail("dpkg -r");
            assertThat(host.run("pgrep", "-u", "pdaltagent").exit()).as("no process of pdaltagent after remove").isEqualTo(1);
            assertThat(host.run("test", "-e", "/usr/lib/pdaltagent").exit()).isEqualTo(1);
            assertThat(host.run("test", "-e", "/usr/bin/pd-send").exit()).isEqualTo(1);
            assertThat(host.run("test", "-f", "/var/lib/pdaltagent/queue.db").exit()).isZero();
            assertThat(host.run("test", "-f", "/etc/pdaltagent/pdaltagent.env").exit()).isZero();

            // purge: nothing of the package is left
            host.run(Duration.ofSeconds(120), "dpkg", "-P", "pdaltagent").orFail("dpkg -P");
            assertThat(host.run("getent", "passwd", "pdaltagent").exit()).isEqualTo(2);
            assertThat(host.run("getent", "group", "pdaltagent").exit()).isEqualTo(2);
            assertThat(leftovers(host)).as("paths left after purge").isEmpty();
        }
    }

    @Test
    void aBadSettingFailsTheUnitOnceWithTheVariableNamedInsteadOfRestartingForever() throws Exception {
        try (SystemdSandbox host = SystemdSandbox.boot(dir.resolve("sandbox"))) {
            dropIn(host, "PDAGENTD_HTTP_PORT=" + AgentProcess.freePort(), "PDAGENTD_HTTPS_PORT=0",
                    "PDAGENTD_BIND_ADDRESS=127.0.0.1");
            host.run(Duration.ofSeconds(180), "dpkg", "-i", DistArtifacts.deb().toString()).orFail("dpkg -i");
            // a bad value in the settings file the package ships (which overrides the drop-in)
            host.run("systemctl", "stop", "pdaltagent").orFail("systemctl stop");
            host.run("sh", "-c", "echo PDAGENTD_HTTP_PORT=eighty >> /etc/pdaltagent/pdaltagent.env").orFail("settings");
            host.run("systemctl", "start", "pdaltagent");
            await().atMost(START_LIMIT).pollInterval(Duration.ofMillis(200)).until(() ->
                    host.run("systemctl", "is-failed", "pdaltagent").output().trim().equals("failed"));
            assertThat(host.run("systemctl", "show", "-p", "NRestarts", "--value", "pdaltagent").output()).isEqualTo("0\n");
            assertThat(host.run("systemctl", "show", "-p", "ExecMainStatus", "--value", "pdaltagent").output()).isEqualTo("2\n");
            assertThat(host.run("journalctl", "-u", "pdaltagent", "--no-pager", "-o", "cat").output())
                    .contains("PDAGENTD_HTTP_PORT");
        }
    }

    /** A drop-in of the unit with these settings, as {@code systemctl edit pdaltagent} would write it. */
    private static void dropIn(SystemdSandbox host, String... settings) {
        StringBuilder conf = new StringBuilder("[Service]\n");
        for (String setting : settings) {
            conf.append("Environment=").append(setting).append('\n');
        }
        host.run("sh", "-c", "mkdir -p /etc/systemd/system/pdaltagent.service.d && cat > "
                + "/etc/systemd/system/pdaltagent.service.d/test.conf <<'EOF'\n" + conf + "EOF").orFail("drop-in");
    }

    private static long awaitRunning(SystemdSandbox host, int port, long notPid) {
        long[] pid = {0};
        try {
            await().atMost(START_LIMIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                String main = host.run("systemctl", "show", "-p", "MainPID", "--value", "pdaltagent").output().trim();
                pid[0] = main.isEmpty() ? 0 : Long.parseLong(main);
                return pid[0] != 0 && pid[0] != notPid
                        && host.run("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + port
                                + " && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3").output().contains(" 200 ");
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("pdaltagent.service did not come up healthy on port " + port + ":\n"
                    + host.run("systemctl", "status", "--no-pager", "-n", "60", "pdaltagent").output(), e);
        }
        return pid[0];
    }

    private static void sendAndAwaitDelivery(SystemdSandbox host, FakePagerDuty pd, int port, String dedupKey, int total) {
        Command.Result sent = host.run("env", "PDSEND_EVENTS_BASE_URL=http://127.0.0.1:" + port,
                "pd-send", "-k", KEY, "-t", "trigger", "-d", "sent " + dedupKey, "-i", dedupKey);
        assertThat(sent.output()).isEqualTo("Event processed. Incident Key: " + dedupKey + "\n");
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> pd.acceptedCount(KEY) == total);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("PagerDuty got " + pd.received() + ", not " + total + " event(s); the agent's journal:\n"
                    + host.run("journalctl", "-u", "pdaltagent", "--no-pager", "-n", "40").output(), e);
        }
    }

    /**
     * What purge left: every path that differs from this machine's, less dpkg's own records and
     * logs and what the sandbox's boot made (its machine id, the masks and target of its own).
     */
    private static List<String> leftovers(SystemdSandbox host) {
        return host.pathsThatDiffer().stream()
                .filter(p -> !p.startsWith("/var/lib/dpkg/") && !p.startsWith("/var/log/") && !p.startsWith("/var/cache/debconf/"))
                .filter(p -> !p.startsWith("/etc/systemd/system/") && !p.equals("/etc/machine-id") && !p.equals("/etc/hostname")
                        && !p.equals("/usr/sbin/policy-rc.d"))
                // shadow's backups of the account files, written when the user was added and removed
                .filter(p -> !p.matches("/etc/(passwd|group|shadow|gshadow|subuid|subgid)-"))
                .toList();
    }
}
