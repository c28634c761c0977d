package io.pdaltagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ReceivedEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that hold connections without finishing a request, against the running agent
 * ({@code bin/pdagentd}), while a good client keeps posting on fresh connections: slowloris clients
 * that trickle their headers a byte at a time get a 408 and are closed at the header deadline
 * however steadily they trickle, and 10,000 idle connections (the agent's cap) are shed so that new
 * clients get in. Throughout, every good event is accepted, and all are delivered in order.
 */
@Timeout(300)
class SlowAndIdleClientsIT {
    static final String GOOD_KEY = "goodgoodgoodgoodgoodgoodgoodgood";
    static final int IDLE_CONNECTIONS = 10_000;
    /** The agent's cap is half its descriptor limit (IngestServer.maxConnections); this gives 10,000. */
    static final int AGENT_OPEN_FILES = 20_000;

    @TempDir
    Path dir;

    private AgentProcess agent(FakePagerDuty pd) throws IOException {
        return new AgentProcess(Map.of(
                "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                "PDAGENTD_EVENTS_BASE_URL", pd.baseUrl(),
                "PDAGENTD_KEY_RATE_PER_MINUTE", "0"),
                dir.resolve("agent.log")).withOpenFiles(AGENT_OPEN_FILES).startAndAwaitHealthy();
    }

    @Test
    void slowlorisClientsAreAnswered408AtTheHeaderDeadlineWhileGoodEventsFlow() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().start(); AgentProcess agent = agent(pd)) {
            GoodTraffic good = new GoodTraffic(agent.httpPort(), GOOD_KEY);
            List<SocketChannel> slow = new ArrayList<>();
            String head = "POST /v2/enqueue HTTP/1.1\r\nHost: relay\r\nX-Slow: " + "s".repeat(200) + "\r\n";
            try {
                for (int i = 0; i < 200; i++) {
                    slow.add(SocketChannel.open(new InetSocketAddress("127.0.0.1", agent.httpPort())));
                }
                long started = System.nanoTime();
                List<String> answers = new ArrayList<>();
                // a byte per connection every 250 ms: never idle for the idle timeout, never done
                for (int pos = 0; pos < head.length() && answers.size() < slow.size(); pos++) {
                    for (SocketChannel c : slow) {
                        if (c.isOpen()) {
                            try {
                                c.write(ByteBuffer.wrap(new byte[] {(byte) head.charAt(pos)}));
                            } catch (IOException closedByAgent) {
                                answers.add(drain(c));
                            }
                        }
                    }
                    Thread.sleep(250); // the slow clients' own pace
                    if (System.nanoTime() - started > TimeUnit.SECONDS.toNanos(30)) {
                        break;
                    }
                }
                long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
                for (SocketChannel c : slow) {
                    if (c.isOpen()) {
                        answers.add(drain(c));
                    }
                }
                assertThat(seconds).as("the deadline is 10 s; the trickle would take %d s", head.length() / 4)
                        .isLessThan(25);
                System.out.printf("slowloris: %d clients answered 408 after %d s%n", answers.size(), seconds);
                assertThat(answers).hasSize(slow.size()).allSatisfy(a -> assertThat(a)
                        .startsWith("HTTP/1.1 408 ").contains("Connection: close", "Request headers were not received in time"));
            } finally {
                for (SocketChannel c : slow) {
                    c.close();
                }
            }
            assertAllGoodEventsDelivered(pd, good.stop());
            assertThat(agent.healthStatus()).isEqualTo(200);
        }
    }

    @Test
    void tenThousandIdleConnectionsAreShedAndNewClientsGetIn() throws Exception {
        try (FakePagerDuty pd = FakePagerDuty.builder().start(); AgentProcess agent = agent(pd)) {
            GoodTraffic good = new GoodTraffic(agent.httpPort(), GOOD_KEY);
            List<SocketChannel> idle = new ArrayList<>(IDLE_CONNECTIONS);
            try {
                for (int i = 0; i < IDLE_CONNECTIONS; i++) {
                    SocketChannel c = SocketChannel.open();
                    c.configureBlocking(false);
                    c.connect(new InetSocketAddress("127.0.0.1", agent.httpPort()));
                    idle.add(c);
                }
                for (SocketChannel c : idle) {
                    finishConnect(c);
                }
                long opened = System.nanoTime();
                // shedding: above 90 % of the cap every idle connection gets a 1 s idle timeout
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                        .until(() -> closedByAgent(idle) >= IDLE_CONNECTIONS / 2);
                long shedMillis = (System.nanoTime() - opened) / 1_000_000;
                int goodBefore = good.sent().size();
                // new clients keep getting in and being answered while the flood is still open
                await().atMost(Duration.ofSeconds(30)).until(() -> good.sent().size() >= goodBefore + 20);
                assertThat(good.sent()).allSatisfy(s -> assertThat(s.status()).isEqualTo(202));
                assertThat(good.sent()).allSatisfy(s -> assertThat(s.millis()).as("seq %d", s.seq()).isLessThan(15_000));
                System.out.printf("idle flood: %d connections, half shed after %d ms, %d shed in all; good events %d,"
                        + " slowest %d ms%n", IDLE_CONNECTIONS, shedMillis, closedByAgent(idle), good.sent().size(),
                        good.sent().stream().mapToLong(GoodTraffic.Sent::millis).max().orElse(0));
            } finally {
                for (SocketChannel c : idle) {
                    c.close();
                }
            }
            assertAllGoodEventsDelivered(pd, good.stop());
            assertThat(agent.process().isAlive()).isTrue();
            assertThat(agent.healthStatus()).isEqualTo(200);
            String log = agent.logText();
            assertThat(log).contains("ingest connections open: idle ones are closed after");
        }
    }

    static void assertAllGoodEventsDelivered(FakePagerDuty pd, List<GoodTraffic.Sent> sent) {
        assertThat(sent).isNotEmpty();
        assertThat(sent).allSatisfy(s -> assertThat(s.status()).as("good event %d", s.seq()).isEqualTo(202));
        await().atMost(Duration.ofSeconds(60)).until(() -> pd.acceptedCount(GOOD_KEY) >= sent.size());
        List<Long> seqs = pd.accepted(GOOD_KEY).stream().map(ReceivedEvent::seq).distinct().toList();
        assertThat(seqs).hasSize(sent.size()).isSorted();
    }

    private static void finishConnect(SocketChannel c) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!c.finishConnect()) {
            if (System.nanoTime() > deadline) {
                throw new IOException("connection " + c + " not established in 30 s");
            }
            Thread.sleep(1);
        }
    }

    /** Idle connections the agent has closed (a read sees the end of the stream, or a reset). */
    private static int closedByAgent(List<SocketChannel> idle) {
        int closed = 0;
        ByteBuffer b = ByteBuffer.allocate(256);
        for (SocketChannel c : idle) {
            try {
                b.clear();
                if (!c.isOpen() || c.read(b) < 0) {
                    closed++;
                }
            } catch (IOException reset) {
                closed++;
            }
        }
        return closed;
    }

    /** Whatever the agent sent before closing. */
    private static String drain(SocketChannel c) throws IOException {
        c.configureBlocking(true);
        c.socket().setSoTimeout(20_000);
        StringBuilder s = new StringBuilder();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = c.socket().getInputStream().read(buf)) > 0; ) {
                s.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (IOException reset) {
            // a reset after the answer: what was read is the answer
        }
        c.close();
        return s.toString();
    }
}
