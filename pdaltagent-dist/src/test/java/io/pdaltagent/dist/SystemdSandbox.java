package io.pdaltagent.dist;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real systemd, PID 1 of its own PID, mount, UTS and IPC namespaces, on a throw-away overlay of
 * this machine's root ({@code src/test/sh/systemd-sandbox.sh}): packages are installed, run and
 * purged there as on a host booted with systemd, and nothing reaches the machine's own files.
 * Commands run inside through {@code nsenter}; {@link #close()} kills PID 1, which ends the
 * namespaces and their mounts. Not thread-safe: one test drives it at a time.
 */
final class SystemdSandbox implements AutoCloseable {
    private static final Duration BOOT_LIMIT = Duration.ofSeconds(90);

    private final Path dir;
    private final Process unshare;
    private final long systemdPid;

    private SystemdSandbox(Path dir, Process unshare, long systemdPid) {
        this.dir = dir;
        this.unshare = unshare;
        this.systemdPid = systemdPid;
    }

    /** Boots the sandbox in the empty directory {@code dir} and waits until systemd is up. */
    static SystemdSandbox boot(Path dir) throws IOException {
        Command.requireTools("unshare", "nsenter", "chroot", "/lib/systemd/systemd", "systemctl", "dpkg");
        Files.createDirectories(dir);
        Path log = dir.resolveSibling(dir.getFileName() + ".systemd.log");
        ProcessBuilder pb = new ProcessBuilder("unshare", "--mount", "--pid", "--fork", "--uts", "--ipc",
                "--propagation", "private", "bash", DistArtifacts.testScript("systemd-sandbox.sh").toString(), dir.toString(),
                // the built packages stay visible inside, also when the tree is under /tmp (a tmpfs there)
                DistArtifacts.deb().getParent().toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().clear();
        pb.environment().putAll(Command.HOST_ENV);
        Process unshare = pb.start();
        long[] pid = {0};
        await().atMost(BOOT_LIMIT).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!unshare.isAlive()) {
                throw new AssertionError("the sandbox ended at its start:\n" + Files.readString(log));
            }
            pid[0] = childOf(unshare.pid());
            return pid[0] > 0 && Files.readString(Path.of("/proc/" + pid[0] + "/comm")).trim().equals("systemd");
        });
        SystemdSandbox sandbox = new SystemdSandbox(dir, unshare, pid[0]);
        await().atMost(BOOT_LIMIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            String state = sandbox.run("systemctl", "is-system-running").output().trim();
            if (state.equals("degraded")) {
                throw new AssertionError("systemd is up with failed units:\n"
                        + sandbox.run("systemctl", "--failed", "--no-pager").output());
            }
            return state.equals("running");
        });
        return sandbox;
    }

    /** Runs a command inside the sandbox (its root, namespaces and environment: PATH and HOME only). */
    Command.Result run(String... command) {
        return run(Duration.ofSeconds(120), command);
    }

    Command.Result run(Duration limit, String... command) {
        List<String> c = new ArrayList<>(List.of("nsenter", "-t", String.valueOf(systemdPid), "-m", "-p", "-u", "-i", "-r", "-w"));
        c.addAll(List.of(command));
        return Command.run(c, Command.HOST_ENV, limit);
    }

    /**
     * The paths the sandbox added, removed or changed against this machine's root, as paths inside
     * it: every entry of the overlay's upper layer, less the directories that the machine has too
     * (an overlay copies a directory up when anything in it changes) and the files whose bytes are
     * the machine's (written back as they were). A removed file shows as its whiteout.
     */
    List<String> pathsThatDiffer() {
        // the upper layer is on the namespace's tmpfs: reachable in its mount namespace, outside the chroot
        String script = "cd \"$1\" && find . -mindepth 1 | while IFS= read -r p; do p=\"${p#.}\"; "
                + "if [ -d \"$1$p\" ] && [ ! -L \"$1$p\" ] && [ -d \"$p\" ]; then continue; fi; "
                + "if [ -f \"$1$p\" ] && [ ! -L \"$1$p\" ] && [ -f \"$p\" ] && cmp -s \"$1$p\" \"$p\"; then continue; fi; "
                + "printf '%s\\n' \"$p\"; done";
        String out = Command.run(List.of("nsenter", "-t", String.valueOf(systemdPid), "-m", "bash", "-c", script, "diff",
                dir.resolve("upper").toString()), Command.HOST_ENV, Duration.ofSeconds(120)).orFail("diff upper").output();
        return out.lines().toList();
    }

    @Override
    public void close() throws InterruptedException {
        // SIGKILL to a PID namespace's init ends every process in it; the mounts go with the namespace
        ProcessHandle.of(systemdPid).ifPresent(ProcessHandle::destroyForcibly);
        unshare.destroyForcibly();
        unshare.waitFor(30, TimeUnit.SECONDS);
    }

    private static long childOf(long pid) {
        try {
            String children = Files.readString(Path.of("/proc/" + pid + "/task/" + pid + "/children")).trim();
            return children.isEmpty() ? 0 : Long.parseLong(children.split(" ")[0]);
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }
}
