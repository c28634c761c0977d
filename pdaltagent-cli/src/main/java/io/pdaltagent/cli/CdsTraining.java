package io.pdaltagent.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The training run of the build: runs pd-send's common paths in-process (against a throw-away HTTP
 * server on the loopback interface and a throw-away spool) under
 * {@code -XX:ArchiveClassesAtExit=target/pd-send.jsa}, so that the JVM archives every class those
 * paths load, already parsed and verified. {@code bin/pd-send} maps that archive at start-up
 * ({@code -XX:SharedArchiveFile}), which halves its start-up time. Not part of any command.
 *
 * <p>Usage: {@code java -XX:ArchiveClassesAtExit=DIR/pd-send.jsa -cp pdaltagent-cli.jar
 * io.pdaltagent.cli.CdsTraining DIR}; also writes {@code DIR/pd-send.jsa.java} holding the
 * {@code java.home} of the JVM that made the archive (an archive only fits the JVM that made it).
 */
public final class CdsTraining {
    private static final String KEY = "cdstraining00000000000000000000x";

    private CdsTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "target");
        Path work = Files.createTempDirectory("pd-send-cds");
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(new FakeAgent(server), "cds-training-agent");
            t.setDaemon(true);
            t.start();
            Map<String, String> env = new HashMap<>();
            env.put("PDSEND_EVENTS_BASE_URL", "http://127.0.0.1:" + server.getLocalPort());
            env.put("PDAGENTD_DATA_DIR", work.resolve("data").toString());
            Path json = work.resolve("event.json");
            Files.writeString(json, "{\"routing_key\":\"" + KEY + "\",\"event_action\":\"trigger\","
                    + "\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\",\"custom_details\":{\"n\":1.5}}}");
            int failures = 0;
            failures += run(env, 0, "-k", KEY, "-t", "trigger", "-d", "disk full", "-f", "a=b=c", "-f", "x=y",
                    "-s", "warning", "-o", "host", "-m", "disk", "-g", "db", "-l", "capacity", "-c", "mon", "-u", "http://m/",
                    "--link", "http://m/x?a=b", "--link-text", "graph", "--image", "https://m/i.png", "--timestamp",
                    "2024-05-01T10:00:00Z");
            failures += run(env, 0, "-q", "-k", KEY, "-t", "trigger", "-d", "x");
            failures += run(env, 0, "--service-key=" + KEY, "--event-type", "resolve", "-i", "k1");
            failures += run(env, 0, "--v1", "-k", KEY, "-t", "acknowledge", "-i", "k1", "-x", "link:href=http://m/,text=t");
            failures += run(env, 0, "--change", "-k", KEY, "-d", "deployed");
            failures += run(env, 0, "--json", json.toString());
            failures += run(env, 1, "-k", KEY, "-t", "trigger", "-d", "rejected");
            failures += run(env, 2, "-k", KEY, "-t", "bogus");
            failures += run(env, 0, "--help");
            failures += PdIntegrationTraining.run(env); // pd-nagios, pd-zabbix, pd-sensu share the archive
            // the agent down: the event goes to the spool
            Map<String, String> down = new HashMap<>(env);
            try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                down.put("PDSEND_EVENTS_BASE_URL", "http://127.0.0.1:" + closed.getLocalPort());
            }
            failures += run(down, 0, "-k", KEY, "-t", "trigger", "-d", "spooled");
            if (failures > 0) {
                System.err.println("CdsTraining: " + failures + " run(s) ended unexpectedly; the archive may miss classes");
            }
        } finally {
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.writeString(dir.resolve("pd-send.jsa.java"), System.getProperty("java.home") + "\n");
    }

    private static int run(Map<String, String> env, int expected, String... argv) {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream p = new PrintStream(sink, true, StandardCharsets.UTF_8);
        int code = PdSend.run(argv, env, InputStream.nullInputStream(), p, p);
        if (code != expected) {
            System.err.println("CdsTraining: exit " + code + " (expected " + expected + ") for " + String.join(" ", argv)
                    + ": " + sink.toString(StandardCharsets.UTF_8).strip());
            return 1;
        }
        return 0;
    }

    /** Answers each request as the agent would: 202 with a dedup key, or 400 for a summary of "rejected". */
    private record FakeAgent(ServerSocket server) implements Runnable {
        @Override
        public void run() {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    String head = readHead(in);
                    int length = 0;
                    for (String line : head.split("\r\n")) {
                        if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                            length = Integer.parseInt(line.substring(15).strip());
                        }
                    }
                    String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
                    String answer;
                    String status;
                    if (body.contains("\"rejected\"")) {
                        status = "400 Bad Request";
                        answer = "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\",\"errors\":[\"x\"]}";
                    } else {
                        status = "202 Accepted";
                        answer = "{\"status\":\"success\",\"message\":\"Event processed\",\"dedup_key\":\"k\"}";
                    }
                    byte[] a = answer.getBytes(StandardCharsets.UTF_8);
                    OutputStream out = s.getOutputStream();
                    out.write(("HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " + a.length
                            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(a);
                    out.flush();
                } catch (IOException | RuntimeException e) {
                    if (server.isClosed()) {
                        return;
                    }
                }
            }
        }

        private static String readHead(InputStream in) throws IOException {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                b.append((char) c);
                if (b.length() >= 4 && b.lastIndexOf("\r\n\r\n") == b.length() - 4) {
                    break;
                }
            }
            return b.toString();
        }
    }
}
