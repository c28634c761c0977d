package io.pdaltagent.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code bin/pdagentd} as its own process, as a user would, for end-to-end tests: started with
 * the environment given, its output in a log file, killed with SIGKILL or stopped with SIGTERM.
 */
public final class AgentProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Map<String, String> env;
    private final Path log;
    private final int httpPort;
    private final int adminPort;
    private Process process;
    private List<String> launcher = List.of();
    private int openFiles;

    /**
     * @param env PDAGENTD_* settings; a free HTTP port, a free admin port and HTTPS off are added
     *     unless given, and no configuration file (an installed /etc/pdaltagent/pdaltagent.yaml must
     *     not change a test) unless PDAGENTD_CONFIG_FILE is given
     */
    public AgentProcess(Map<String, String> env, Path log) {
        this.env = new HashMap<>(env);
        this.env.putIfAbsent("PDAGENTD_HTTP_PORT", String.valueOf(freePort()));
        this.env.putIfAbsent("PDAGENTD_HTTPS_PORT", "0");
        this.env.putIfAbsent("PDAGENTD_ADMIN_PORT", String.valueOf(freePort()));
        this.env.putIfAbsent("PDAGENTD_CONFIG_FILE", "/dev/null");
        // an empty value leaves the setting to the configuration file: the port is not known here then (-1)
        this.httpPort = portOrUnknown(this.env.get("PDAGENTD_HTTP_PORT"));
        this.adminPort = portOrUnknown(this.env.get("PDAGENTD_ADMIN_PORT"));
        this.log = log;
    }

    private static int portOrUnknown(String v) {
        return v == null || v.isBlank() ? -1 : Integer.parseInt(v.trim());
    }

    public static Path projectRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("bin/pdagentd"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("bin/pdagentd not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs bin/pdagentd through this command (which must exec its last argument, so that the process
     * stays the JVM), e.g. {@code unshare --mount ... sh -c '...; exec "$0"'}.
     */
    public AgentProcess launchedBy(String... command) {
        this.launcher = List.of(command);
        return this;
    }

    /**
     * Starts the agent with its open-files limit ({@code ulimit -n}) raised to {@code limit}, for
     * tests that open thousands of connections; the hard limit must allow it.
     */
    public AgentProcess withOpenFiles(int limit) {
        this.openFiles = limit;
        return this;
    }

    public AgentProcess start() throws IOException {
        List<String> cmd = new ArrayList<>(launcher);
        if (openFiles > 0) {
            cmd.addAll(List.of("/bin/sh", "-c", "ulimit -n " + openFiles + " && exec \"$0\""));
        }
        cmd.add(projectRoot().resolve("bin/pdagentd").toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = pb.start();
        return this;
    }

    /** Starts and waits until /healthz answers 200. */
    public AgentProcess startAndAwaitHealthy() throws IOException {
        start();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("pdagentd exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            return healthStatus() == 200;
        });
        return this;
    }

    public int healthStatus() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/healthz")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + httpPort;
    }

    public int httpPort() {
        return httpPort;
    }

    /** The admin listener (queue admin API, /healthz, /metrics): {@code http://127.0.0.1:PORT}. */
    public String adminUrl() {
        return "http://127.0.0.1:" + adminPort;
    }

    public int adminPort() {
        return adminPort;
    }

    public Process process() {
        return process;
    }

    /** SIGKILL, as a crash or the OOM killer would; waits for the process to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM; returns the exit code. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("pdagentd did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    /**
     * Appends the agent's thread stacks to its log (for a test that failed waiting on the agent);
     * {@code bin/pdagentd} execs the JVM, so the process is the JVM.
     */
    public void dumpThreads() {
        if (process == null || !process.isAlive()) {
            return;
        }
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "Thread.print")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            // the dump is a diagnostic: the test's own failure is what counts
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            kill();
        }
    }
}
