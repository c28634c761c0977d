package io.pdaltagent.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.QueuedItem;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LoggingListenerTest {
    private static final Instant T0 = Instant.parse("2025-03-01T12:00:00Z");
    private static final String KEY = "R0UT1NGKEYR0UT1NGKEYR0UT1NGabcd";
    private static final String OTHER_KEY = "0THERKEY0THERKEY0THERKEY0THERwxyz";
    private static final String BODY_MARKER = "BODY-SECRET-7f3a9c";

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private Logger logger;
    private ListAppender<ILoggingEvent> appender;
    private LoggingListener listener;

    @BeforeEach
    void attach() {
        // a logger of its own, so that other tests and the WARN-only test config do not interfere
        logger = (Logger) LoggerFactory.getLogger("test.LoggingListenerTest." + System.nanoTime());
        logger.setLevel(Level.DEBUG);
        logger.setAdditive(false);
        appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        listener = new LoggingListener(logger, Duration.ofSeconds(30), nanos::get);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(appender);
        appender.stop();
    }

    @Test
    void eachStateChangeIsOneLineAtItsLevel() {
        QueuedItem item = item(123, KEY, 2);
        listener.accepted("/v2/enqueue");
        listener.rejected("/v2/enqueue", "invalid");
        listener.attempting(item);
        listener.retryScheduled(item, 503, "Service Unavailable", Duration.ofSeconds(4));
        listener.delivered(item, 202, Duration.ofMillis(1500));
        listener.dead(item, 400, "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\"}");

        assertThat(appender.list).extracting(ILoggingEvent::getLevel)
                .containsExactly(Level.DEBUG, Level.DEBUG, Level.DEBUG, Level.WARN, Level.INFO, Level.ERROR);
        List<String> lines = messages();
        assertThat(lines.get(0)).contains("/v2/enqueue");
        assertThat(lines.get(1)).contains("/v2/enqueue", "invalid");
        assertThat(lines.get(2)).contains("Event(seq=123, key=****abcd)", "attempt 2", "events /v2/enqueue");
        assertThat(lines.get(3)).contains("Event(seq=123, key=****abcd)", "status 503", "Service Unavailable", "4000 ms");
        assertThat(lines.get(4)).contains("Event(seq=123, key=****abcd)", "status 202", "1500 ms", "work again");
        assertThat(lines.get(5)).contains("Event(seq=123, key=****abcd)", "status 400", "Event object is invalid");
        lines.forEach(l -> assertThat(l).doesNotContain("\n"));
    }

    @Test
    void aFailureWithoutHttpAnswerSaysSo() {
        listener.retryScheduled(item(1, KEY, 1), 0, "java.net.ConnectException: Connection refused", Duration.ofSeconds(1));
        assertThat(messages()).singleElement().asString().contains("no HTTP answer", "Connection refused");
    }

    @Test
    void keysAreMaskedAndBodiesNeverLogged() {
        QueuedItem item = item(9, KEY, 1);
        QueuedItem webhook = new QueuedItem(10, OTHER_KEY, new Destination(Destination.WEBHOOK,
                "https://user:hunter2@hooks.example.com/x"), "application/json",
                ("{\"payload\":\"" + BODY_MARKER + "\"}").getBytes(StandardCharsets.UTF_8), "dedup-1", T0,
                DeliveryState.IN_FLIGHT, 1, T0, 0, null);
        for (QueuedItem i : List.of(item, webhook)) {
            listener.attempting(i);
            listener.retryScheduled(i, 429, "rate limited for routing key " + i.orderingKey(), Duration.ofSeconds(1));
            listener.delivered(i, 202, Duration.ofMillis(5));
            listener.dead(i, 400, "routing key " + i.orderingKey() + " is invalid");
        }

        assertThat(appender.list).hasSize(8);
        for (ILoggingEvent e : appender.list) {
            String all = e.getFormattedMessage() + " " + Arrays.toString(e.getArgumentArray());
            assertThat(all).doesNotContain(KEY, OTHER_KEY, BODY_MARKER, "hunter2", "payload");
        }
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("Event(seq=10, key=****wxyz)"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("routing key ****abcd is invalid"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("webhook https://user:****@hooks.example.com/x"));
    }

    @Test
    void longOrMultiLineErrorTextIsCutToOneLine() {
        String huge = "line one\nline two\r\n" + "x".repeat(2000);
        listener.dead(item(1, KEY, 1), 400, huge);
        String m = messages().get(0);
        assertThat(m).contains("line one\\nline two\\r\\n").doesNotContain("\n", "\r");
        assertThat(LoggingListener.errorText(huge, KEY)).hasSize(LoggingListener.MAX_ERROR_CHARS + 1).endsWith("x…");
        assertThat(LoggingListener.errorText("\u0007bell", KEY)).isEqualTo("\\u0007bell");
        assertThat(LoggingListener.errorText("z".repeat(500), KEY)).isEqualTo("z".repeat(500));
        assertThat(LoggingListener.errorText("short", KEY)).isEqualTo("short");
        assertThat(LoggingListener.errorText(null, KEY)).isEqualTo("no error text");
        assertThat(LoggingListener.errorText("y".repeat(600), KEY)).isEqualTo("y".repeat(500) + "…");
    }

    @Test
    void retryWarningsAreRateLimitedPerKeyWithACountOfSuppressedOnes() {
        QueuedItem a = item(1, KEY, 1);
        QueuedItem b = item(2, OTHER_KEY, 1);
        listener.retryScheduled(a, 503, "down", Duration.ofSeconds(1));   // written
        for (int i = 0; i < 5; i++) {
            nanos.addAndGet(Duration.ofSeconds(5).toNanos());               // up to 25 s later
            listener.retryScheduled(a, 503, "down", Duration.ofSeconds(1)); // suppressed
        }
        listener.retryScheduled(b, 0, "timeout", Duration.ofSeconds(1));    // another key: written
        listener.dead(a, 400, "bad");                                       // ERROR: never limited
        listener.dead(a, 400, "bad");

        assertThat(appender.list).extracting(ILoggingEvent::getLevel)
                .containsExactly(Level.WARN, Level.WARN, Level.ERROR, Level.ERROR);
        assertThat(messages().get(0)).doesNotContain("suppressed");

        nanos.addAndGet(Duration.ofSeconds(4).toNanos());                   // 29 s after the first: still quiet
        listener.retryScheduled(a, 503, "down", Duration.ofSeconds(1));
        assertThat(appender.list).hasSize(4);

        nanos.addAndGet(Duration.ofSeconds(1).toNanos());                   // 30 s: written, with the count
        listener.retryScheduled(a, 503, "down", Duration.ofSeconds(1));
        assertThat(appender.list).hasSize(5);
        assertThat(messages().get(4)).contains("Event(seq=1, key=****abcd)", "6 similar warning(s) for this key suppressed");

        nanos.addAndGet(Duration.ofSeconds(31).toNanos());                  // a quiet window: no count
        listener.retryScheduled(a, 503, "down", Duration.ofSeconds(1));
        assertThat(appender.list).hasSize(6);
        assertThat(messages().get(5)).doesNotContain("suppressed");
    }

    @Test
    void theFirstDeliveryAfterARetryWarningIsInfoOnceThenDebug() {
        QueuedItem a = item(1, KEY, 1);
        listener.delivered(a, 202, Duration.ZERO);                           // never retried: DEBUG
        listener.retryScheduled(a, 503, "down", Duration.ofSeconds(1));      // WARN
        listener.retryScheduled(a, 503, "down", Duration.ofSeconds(1));      // suppressed
        listener.delivered(item(1, KEY, 3), 202, Duration.ofSeconds(2));     // the key works again: INFO
        listener.delivered(item(2, KEY, 1), 202, Duration.ZERO);             // DEBUG again
        listener.delivered(item(3, OTHER_KEY, 1), 202, Duration.ZERO);       // another key: DEBUG
        listener.retryScheduled(item(4, OTHER_KEY, 1), 500, "x", Duration.ZERO);
        listener.dead(item(4, OTHER_KEY, 2), 400, "bad");                    // the storm ends with ERROR
        listener.delivered(item(5, OTHER_KEY, 1), 202, Duration.ZERO);       // DEBUG

        assertThat(appender.list).extracting(ILoggingEvent::getLevel).containsExactly(Level.DEBUG, Level.WARN,
                Level.INFO, Level.DEBUG, Level.DEBUG, Level.WARN, Level.ERROR, Level.DEBUG);
        assertThat(messages().get(2)).contains("Event(seq=1, key=****abcd)", "after 3 attempt(s)", "work again");
    }

    @Test
    void theRateLimitForgetsKeysItNoLongerNeeds() {
        for (int i = 0; i < LoggingListener.MAX_TRACKED_KEYS; i++) {
            listener.retryScheduled(item(i, "key-" + i, 1), 503, "down", Duration.ofSeconds(1));
        }
        assertThat(listener.trackedKeys()).isEqualTo(LoggingListener.MAX_TRACKED_KEYS);
        nanos.addAndGet(Duration.ofSeconds(30).toNanos());
        listener.retryScheduled(item(-1, "one-more", 1), 503, "down", Duration.ofSeconds(1));
        assertThat(listener.trackedKeys()).isEqualTo(1);
        assertThat(appender.list).hasSize(LoggingListener.MAX_TRACKED_KEYS + 1);
    }

    @Test
    void nothingIsFormattedWhenTheLevelIsOff() {
        logger.setLevel(Level.ERROR);
        QueuedItem item = item(1, KEY, 1);
        listener.accepted("/v2/enqueue");
        listener.attempting(item);
        listener.delivered(item, 202, Duration.ZERO);
        listener.retryScheduled(item, 503, "down", Duration.ZERO);
        assertThat(appender.list).isEmpty();
        assertThat(listener.trackedKeys()).as("no rate-limit state while WARN is off").isZero();
    }

    @Test
    void theDefaultConstructorLogsUnderTheClassName() {
        LoggingListener real = new LoggingListener();
        Logger classLogger = (Logger) LoggerFactory.getLogger(LoggingListener.class);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        boolean additive = classLogger.isAdditive();
        classLogger.setAdditive(false); // keep the expected ERROR line off the console
        classLogger.addAppender(captured);
        try {
            real.dead(item(77, KEY, 3), 400, "invalid");
        } finally {
            classLogger.detachAppender(captured);
            classLogger.setAdditive(additive);
        }
        assertThat(captured.list).singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage()).contains("Event(seq=77, key=****abcd)"));
    }

    private List<String> messages() {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static QueuedItem item(long seq, String key, int attempts) {
        return new QueuedItem(seq, key, Destination.events("/v2/enqueue"), "application/json",
                ("{\"routing_key\":\"" + key + "\",\"payload\":{\"summary\":\"" + BODY_MARKER + "\"}}")
                        .getBytes(StandardCharsets.UTF_8),
                "dedup-" + seq, T0, DeliveryState.IN_FLIGHT, attempts, T0, 0, null);
    }
}
