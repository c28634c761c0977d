package io.pdaltagent.rabbitmq;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The local RabbitMQ the tests use (127.0.0.1:5672, guest/guest), driven with rabbitmqctl: a fresh
 * virtual host per test, so that agents of one test see only their own queues; stop_app/start_app
 * for a broker outage.
 */
public final class Broker {
    private Broker() {
    }

    public static String ctl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add("rabbitmqctl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("rabbitmqctl " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    /**
     * Kills the broker's Erlang VM with SIGKILL, as a crash or the OOM killer would, then starts the
     * broker again with {@code rabbitmq-server -detached} and waits until it serves.
     */
    public static void killAndRestart(Runnable whileDown) throws IOException, InterruptedException {
        String pid = ctl("eval", "os:getpid().").trim().replace("\"", "");
        Process kill = new ProcessBuilder("kill", "-9", pid).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("could not kill the broker's VM, pid " + pid);
        }
        // the node is gone once rabbitmqctl cannot reach it
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> new ProcessBuilder("rabbitmqctl", "-q", "ping").start().waitFor() != 0);
        whileDown.run();
        Process start = new ProcessBuilder("rabbitmq-server", "-detached").redirectErrorStream(true).start();
        String out = new String(start.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!start.waitFor(60, TimeUnit.SECONDS) || start.exitValue() != 0) {
            throw new IllegalStateException("rabbitmq-server -detached failed: " + out);
        }
        // the node takes a moment to be reachable at all; await_startup fails until then
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptionsInstanceOf(IllegalStateException.class)
                .until(() -> ctl("await_startup", "--timeout", "20") != null);
    }

    /** Creates a virtual host guest may use; returns its name. */
    public static String newVhost() throws IOException, InterruptedException {
        String name = "pdaltagent-test-" + UUID.randomUUID().toString().substring(0, 8);
        ctl("add_vhost", name);
        ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
        return name;
    }

    public static void deleteVhost(String name) throws IOException, InterruptedException {
        ctl("delete_vhost", name);
    }

    public static String url(String vhost) {
        return "amqp://guest:guest@127.0.0.1:5672/" + java.net.URLEncoder.encode(vhost, StandardCharsets.UTF_8);
    }
}
