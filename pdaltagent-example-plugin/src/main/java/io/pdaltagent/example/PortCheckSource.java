package io.pdaltagent.example;

import io.pdaltagent.api.EventSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An example event source, in the spirit of PDaltagent's {@code fetch_events}: checks that a TCP
 * port answers, every {@code EXAMPLE_PORT_CHECK_SECONDS} (default 60), and sends a trigger when it
 * stops answering and a resolve when it answers again (the same dedup key, so one incident).
 * Configured by {@code EXAMPLE_PORT_CHECK=host:port} and {@code EXAMPLE_PORT_CHECK_ROUTING_KEY};
 * without them it sends nothing. Runs on its own thread (the agent never runs it twice at once), so
 * its one field needs no lock beyond {@code volatile}.
 */
public final class PortCheckSource implements EventSource {
    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;
    private static final long DEFAULT_SECONDS = 60;

    private final String target;
    private final String routingKey;
    private final Duration every;
    private volatile Boolean wasUp;

    public PortCheckSource() {
        this(System.getenv("EXAMPLE_PORT_CHECK"), System.getenv("EXAMPLE_PORT_CHECK_ROUTING_KEY"),
                Duration.ofSeconds(parse(System.getenv("EXAMPLE_PORT_CHECK_SECONDS"))));
    }

    PortCheckSource(String target, String routingKey, Duration every) {
        this.target = target;
        this.routingKey = routingKey;
        this.every = every;
    }

    private static long parse(String s) {
        try {
            return s == null ? DEFAULT_SECONDS : Math.max(1, Long.parseLong(s.strip()));
        } catch (NumberFormatException e) {
            return DEFAULT_SECONDS;
        }
    }

    @Override
    public String name() {
        return "example.port-check";
    }

    @Override
    public Schedule schedule() {
        return Schedule.every(every);
    }

    @Override
    public List<Event> fetchEvents() {
        if (target == null || routingKey == null || target.lastIndexOf(':') < 1) {
            return List.of();
        }
        boolean up = answers(target);
        Boolean before = wasUp;
        wasUp = up;
        if (before != null && before == up || before == null && up) {
            return List.of(); // no change (and nothing to say about a port that was up from the start)
        }
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("summary", target + (up ? " answers again" : " does not answer"));
        payload.put("source", target);
        payload.put("severity", "error");
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("routing_key", routingKey);
        e.put("event_action", up ? "resolve" : "trigger");
        e.put("dedup_key", "port-check " + target);
        e.put("payload", payload);
        return List.of(Event.v2(e));
    }

    private static boolean answers(String target) {
        int colon = target.lastIndexOf(':');
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1))),
                    CONNECT_TIMEOUT_MILLIS);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
