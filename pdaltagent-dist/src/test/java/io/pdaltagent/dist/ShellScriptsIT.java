package io.pdaltagent.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shell scripts the packages carry or are made with pass shellcheck at warning level: the
 * launchers (bash), the .deb's maintainer scripts (POSIX sh: dpkg runs them with /bin/sh, dash on
 * Debian), the build scripts and the test scripts.
 */
class ShellScriptsIT {
    @Test
    void launchersBuildAndTestScriptsPassShellcheck() {
        Command.requireTools("shellcheck");
        List<String> c = new ArrayList<>(List.of("shellcheck", "-S", "warning", "-s", "bash"));
        for (String f : List.of("bin/pdagentd", "bin/pd-send", "bin/pd-queue", "bin/pd-nagios", "bin/pd-zabbix",
                "bin/pd-sensu", "bin/lib/launcher.sh", "bin/lib/pd-integration.sh",
                "pdaltagent-dist/src/build/make-dist.sh", "pdaltagent-dist/src/build/make-deb.sh",
                "pdaltagent-dist/src/test/sh/without-jdk.sh", "pdaltagent-dist/src/test/sh/systemd-sandbox.sh",
                "pdaltagent-dist/src/test/sh/podman.sh", "pdaltagent-dist/src/test/sh/local-base-image.sh")) {
            c.add(DistArtifacts.projectFile(f).toString());
        }
        Command.Result bash = Command.run(c, Command.HOST_ENV, Duration.ofSeconds(120));
        assertThat(bash.output()).as("shellcheck of the bash scripts").isEmpty();
        assertThat(bash.exit()).isZero();
    }

    @Test
    void maintainerScriptsArePosixShAndPassShellcheck() {
        Command.requireTools("shellcheck");
        List<String> c = new ArrayList<>(List.of("shellcheck", "-S", "warning", "-s", "sh"));
        for (String f : List.of("postinst", "prerm", "postrm")) {
            c.add(DistArtifacts.projectFile("pdaltagent-dist/src/deb/" + f).toString());
        }
        Command.Result sh = Command.run(c, Command.HOST_ENV, Duration.ofSeconds(60));
        assertThat(sh.output()).as("shellcheck of the maintainer scripts").isEmpty();
        assertThat(sh.exit()).isZero();
    }
}
