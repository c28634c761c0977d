package io.pdaltagent.testing;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Invocable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Jetty side of {@link FakePagerDuty}. Never blocks: the body is read with demand callbacks,
 * delayed answers are completed later from the server's scheduler, and a hung request simply keeps
 * its callback until the fake stops or the idle timeout passes (then the connection is dropped).
 */
final class FakePagerDutyHandler extends Handler.Abstract.NonBlocking {
    /** Far above PagerDuty's 512 KB, so that a test can send an oversized event and see what the agent does. */
    private static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(FakePagerDuty.class);

    private final FakePagerDuty fake;
    private final boolean keepBodies;
    private final Set<Exchange> open = ConcurrentHashMap.newKeySet();

    FakePagerDutyHandler(FakePagerDuty fake, boolean keepBodies) {
        this.fake = fake;
        this.keepBodies = keepBodies;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getPath();
        if (path != null && path.startsWith("/__")) {
            admin(request, path, response, callback);
            return true;
        }
        Instant arrival = Instant.now();
        Exchange exchange = new Exchange(request, response, callback);
        open.add(exchange);
        request.addFailureListener(exchange::fail);
        request.addIdleTimeoutListener(exchange::onIdleTimeout);
        Content.Source.asByteArrayAsync(request, MAX_BODY_BYTES, Promise.Invocable.from(Invocable.InvocationType.NON_BLOCKING,
                body -> onBody(exchange, path, arrival, body), exchange::fail));
        return true;
    }

    private void onBody(Exchange exchange, String path, Instant arrival, byte[] body) {
        try {
            answer(exchange, path, arrival, body);
        } catch (RuntimeException | Error e) {
            // a throwing hook, or a scheduler stopped under our feet: say so instead of leaving the client waiting
            LOG.warn("FakePagerDuty could not answer {} {}", exchange.request.getMethod(), path, e);
            exchange.respond(500, Map.of(), PagerDutyBodies.error(500, path));
        }
    }

    private void answer(Exchange exchange, String path, Instant arrival, byte[] body) {
        Request request = exchange.request;
        EventEndpoint endpoint = EventEndpoint.of(path);
        PagerDutyBodies.Parsed parsed = PagerDutyBodies.parse(endpoint, path, body);
        ReceivedEvent draft = new ReceivedEvent(-1, arrival, request.getMethod(), path, endpoint,
                keepBodies ? headers(request) : Map.of(), keepBodies ? body : null,
                parsed.routingKey(), parsed.dedupKey(), parsed.eventAction(), parsed.seq(), 0, false);
        FakePagerDuty.Decision decision = fake.decide(draft, parsed.json());
        exchange.hanging = decision.kind() == Answer.Kind.HANG;
        Duration delay = decision.delay();
        if (delay.isZero()) {
            carryOut(exchange, decision);
        } else {
            getServer().getScheduler().schedule(() -> carryOut(exchange, decision), delay.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private static void carryOut(Exchange exchange, FakePagerDuty.Decision decision) {
        switch (decision.kind()) {
            case DROP -> exchange.drop();
            case HANG -> {
                // never answer; stop() or the idle timeout closes the connection
            }
            case RESPOND -> exchange.respond(decision.status(), decision.headers(), decision.body());
        }
    }

    private void admin(Request request, String path, Response response, Callback callback) {
        String body;
        if (path.equals("/__stats") && request.getMethod().equals("GET")) {
            response.setStatus(200);
            String stats = fake.stats().toJson();
            // the rate limit's 429s, after the counters the Stats record has always had
            body = stats.substring(0, stats.length() - 1) + ",\"throttled\":" + fake.throttledCount() + "}";
        } else if (path.equals("/__clear") && request.getMethod().equals("POST")) {
            fake.clearFromAdmin();
            response.setStatus(200);
            body = "{\"status\":\"cleared\"}";
        } else {
            response.setStatus(404);
            body = "{\"status\":\"Not Found\",\"message\":\"admin paths: GET /__stats, POST /__clear\"}";
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }

    /** Closes every connection with a request still waiting for its answer. */
    void abortAll() {
        for (Exchange e : List.copyOf(open)) {
            e.drop();
        }
    }

    Set<Exchange> openExchanges() {
        return Set.copyOf(open);
    }

    private static Map<String, List<String>> headers(Request request) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (HttpField f : request.getHeaders()) {
            out.computeIfAbsent(f.getLowerCaseName(), k -> new ArrayList<>(1)).add(f.getValue());
        }
        out.replaceAll((k, v) -> List.copyOf(v));
        return out;
    }

    /** One request waiting for its answer; completed exactly once. */
    final class Exchange {
        final Request request;
        private final Response response;
        private final Callback callback;
        private final AtomicBoolean done = new AtomicBoolean();
        volatile boolean hanging;

        Exchange(Request request, Response response, Callback callback) {
            this.request = request;
            this.response = response;
            this.callback = callback;
        }

        void respond(int status, Map<String, String> headers, String body) {
            if (!finish()) {
                return;
            }
            response.setStatus(status);
            boolean contentType = false;
            for (Map.Entry<String, String> h : headers.entrySet()) {
                response.getHeaders().put(h.getKey(), h.getValue());
                contentType |= h.getKey().equalsIgnoreCase("Content-Type");
            }
            if (!contentType) {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            }
            response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
        }

        void drop() {
            if (!finish()) {
                return;
            }
            EofException cause = new EofException("connection dropped by FakePagerDuty");
            request.getConnectionMetaData().getConnection().getEndPoint().close(cause);
            callback.failed(cause);
        }

        void fail(Throwable failure) {
            if (finish()) {
                callback.failed(failure);
            }
        }

        /** A hung request is dropped at the idle timeout; one waiting for a delayed answer keeps waiting. */
        boolean onIdleTimeout(TimeoutException timeout) {
            if (hanging) {
                drop();
            }
            return false;
        }

        private boolean finish() {
            if (done.compareAndSet(false, true)) {
                open.remove(this);
                return true;
            }
            return false;
        }
    }
}
