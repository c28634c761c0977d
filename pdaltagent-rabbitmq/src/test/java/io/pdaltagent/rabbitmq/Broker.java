package io.pdaltagent.rabbitmq;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
