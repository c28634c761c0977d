package io.pdaltagent.ingest;

import static io.pdaltagent.ingest.IngestBench.KEY;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.Cidr;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The relay's allowlists: routing keys and source networks, refused with PagerDuty's error shape. */
class IngestAllowlistTest {
    static final String OTHER = "ffffffffffffffffffffffffffff9876";

    private IngestBench bench;
    private final Logger logger = (Logger) LoggerFactory.getLogger(IngestHandler.class);
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void captureLogs() {
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void stop() {
        logger.detachAppender(logs);
        if (bench != null) {
            bench.close();
        }
    }

    @Test
    void takesAllowedKeysAndRefusesOthersWith403MaskedInTheLog() {
        bench = IngestBench.withAllowlist(new AgentConfig.Allowlist(Set.of(KEY), List.of()));
        assertThat(bench.postJson("/v2/enqueue", trigger(KEY)).statusCode()).isEqualTo(202);

        HttpResponse<String> refused = bench.postJson("/v2/enqueue", trigger(OTHER));
        IngestBench.assertAnswer(refused, 403, """
                {"status":"forbidden","message":"Event refused by this relay",
                 "errors":["Events for routing key ****9876 are not accepted by this relay"]}""");
        // a v1 event and a key in the path are checked the same way
        assertThat(bench.postJson("/generic/2010-04-15/create_event.json", """
                {"service_key":"%s","event_type":"trigger","description":"x"}""".formatted(OTHER)).statusCode())
                .isEqualTo(403);
        assertThat(bench.postJson("/integration/" + OTHER + "/enqueue", """
                {"event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}""").statusCode())
                .isEqualTo(403);

        assertThat(bench.queue.openCount()).isEqualTo(1);
        assertThat(bench.listener.events()).contains("rejected /v2/enqueue forbidden_key",
                "rejected /generic/2010-04-15/create_event.json forbidden_key", "rejected /integration/{key}/enqueue forbidden_key");
        String logged = String.join("\n", logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
        assertThat(logged).contains("****9876").doesNotContain(OTHER).doesNotContain("summary");
    }

    @Test
    void refusesSourcesOutsideTheNetworksBeforeReadingTheBody() {
        bench = IngestBench.withAllowlist(new AgentConfig.Allowlist(Set.of(),
                List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("2001:db8::/32"))));
        HttpResponse<String> refused = bench.postJson("/v2/enqueue", trigger(KEY));
        IngestBench.assertAnswer(refused, 403, """
                {"status":"forbidden","message":"Event refused by this relay",
                 "errors":["Requests from 127.0.0.1 are not accepted by this relay"]}""");
        assertThat(bench.queue.openCount()).isZero();
        assertThat(bench.listener.events()).containsExactly("rejected /v2/enqueue forbidden_source");
        // the next request on the port is served as usual
        assertThat(bench.send(bench.request("/healthz").GET()).statusCode()).isEqualTo(200);
    }

    @Test
    void takesSourcesInsideTheNetworks() {
        bench = IngestBench.withAllowlist(new AgentConfig.Allowlist(Set.of(), List.of(Cidr.parse("127.0.0.0/8"))));
        assertThat(bench.postJson("/v2/enqueue", trigger(KEY)).statusCode()).isEqualTo(202);
        assertThat(bench.queue.openCount()).isEqualTo(1);
    }

    private static String trigger(String key) {
        return """
                {"routing_key":"%s","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}"""
                .formatted(key);
    }
}
