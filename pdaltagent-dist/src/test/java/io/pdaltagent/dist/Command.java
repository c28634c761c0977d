package io.pdaltagent.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one command of the packaging tests to its end: stdout and stderr together, a time limit,
 * an environment given whole (nothing of the test JVM's leaks in unless asked). Not thread-safe;
 * each call starts and waits for its own process.
 *
 * <p>Usage: {@code Command.Result r = Command.run(List.of("tar", "-tzf", f), Command.HOST_ENV,
 * Duration.ofSeconds(30)); assertThat(r.exit()).isZero();}
 */
final class Command {
    /** What a login shell on the host has: PATH and HOME, nothing of Maven's or the JDK's. */
    static final Map<String, String> HOST_ENV = Map.of(
            "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME", System.getProperty("user.home"),
            "LANG", "C.UTF-8");

    /** The exit status and the output (stdout then stderr, interleaved as written). */
    record Result(int exit, String output) {
        Result orFail(String what) {
            if (exit != 0) {
                throw new AssertionError(what + " exited " + exit + ":\n" + output);
            }
            return this;
        }
    }

    private Command() {
    }

    static Result run(List<String> command, Map<String, String> env, Duration limit) {
        try {
            Path out = Files.createTempFile("pdaltagent-dist-cmd", ".out");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
                pb.environment().clear();
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError(String.join(" ", command) + " did not end within " + limit + ":\n"
                            + Files.readString(out, StandardCharsets.UTF_8));
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }

    /** Fails the test (never skips it) when a tool it needs is missing on this machine. */
    static void requireTools(String... tools) {
        for (String tool : tools) {
            Result r = run(List.of("sh", "-c", "command -v " + tool), HOST_ENV, Duration.ofSeconds(10));
            if (r.exit() != 0) {
                throw new AssertionError(tool + " is needed by this test and is missing (bin/test installs it)");
            }
        }
    }
}
