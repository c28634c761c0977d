package io.pdaltagent.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.delivery.RetryPolicy.Outcome;
import io.pdaltagent.queue.Destination;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    static final Destination V2 = Destination.events("/v2/enqueue");
    static final Destination V1 = Destination.events("/generic/2010-04-15/create_event.json");
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    final RetryPolicy policy = new RetryPolicy();

    private Outcome classify(Destination d, int status, String retryAfter) {
        return policy.classify(d, new HttpResult(status, retryAfter, "{\"status\":\"x\"}"), NOW);
    }

    static final Destination WEBHOOK = new Destination(Destination.WEBHOOK, "http://hooks.internal/pd");

    @Test
    void aWebhookFollowsPagerDutysOwnDeliveryRulesNotTheEventsApis() {
        assertThat(classify(WEBHOOK, 204, null)).isEqualTo(new Outcome.Delivered(204));
        // 403 is a refusal (a bad signature), not the Events API v1 throttle
        assertThat(classify(WEBHOOK, 403, null)).isInstanceOf(Outcome.Rejected.class);
        assertThat(classify(V1, 403, null)).isInstanceOf(Outcome.Retry.class);
        assertThat(classify(WEBHOOK, 404, null)).isInstanceOf(Outcome.Rejected.class);
        assertThat(classify(WEBHOOK, 429, "5")).isInstanceOfSatisfying(Outcome.Retry.class, r -> {
            assertThat(r.after()).isEqualTo(Duration.ofSeconds(5));
            assertThat(r.throttled()).isTrue();
        });
        assertThat(classify(WEBHOOK, 503, null)).isInstanceOf(Outcome.Retry.class);
        assertThat(classify(WEBHOOK, 408, null)).isInstanceOf(Outcome.Retry.class);
        assertThat(classify(WEBHOOK, 302, null)).isInstanceOf(Outcome.Retry.class);
    }

    @Test
    void successStatusesAreDelivered() {
        assertThat(classify(V2, 202, null)).isEqualTo(new Outcome.Delivered(202));
        assertThat(classify(V1, 200, null)).isEqualTo(new Outcome.Delivered(200));
    }

    @Test
    void a429IsThrottledAndHonoursRetryAfterInSecondsOrAsADate() {
        assertThat(classify(V2, 429, "7")).isInstanceOfSatisfying(Outcome.Retry.class, r -> {
            assertThat(r.after()).isEqualTo(Duration.ofSeconds(7));
            assertThat(r.throttled()).isTrue();
        });
        assertThat(classify(V2, 429, "Thu, 01 Jan 2026 00:00:30 GMT")).isInstanceOfSatisfying(Outcome.Retry.class,
                r -> assertThat(r.after()).isEqualTo(Duration.ofSeconds(30)));
        assertThat(classify(V2, 429, "soon")).isInstanceOfSatisfying(Outcome.Retry.class,
                r -> assertThat(r.after()).isNull());
        assertThat(classify(V2, 429, "999999")).isInstanceOfSatisfying(Outcome.Retry.class,
                r -> assertThat(r.after()).isEqualTo(RetryPolicy.MAX_RETRY_AFTER));
    }

    @Test
    void a403IsThrottlingOnlyOnTheV1Paths() {
        assertThat(classify(V1, 403, null)).isInstanceOf(Outcome.Retry.class);
        assertThat(classify(Destination.events("/nagios/2010-04-15/create_event"), 403, null)).isInstanceOf(Outcome.Retry.class);
        assertThat(classify(V2, 403, null)).isInstanceOf(Outcome.Rejected.class);
    }

    @Test
    void serverErrorsTimeoutsAndRedirectsAreRetried() {
        for (int s : new int[] {500, 502, 503, 504, 408, 301, 302}) {
            assertThat(classify(V2, s, null)).as("status %d", s).isInstanceOf(Outcome.Retry.class);
        }
    }

    @Test
    void otherClientErrorsAreRejectedWithTheAnswerKept() {
        for (int s : new int[] {400, 401, 404, 413, 422}) {
            assertThat(classify(V2, s, null)).as("status %d", s).isInstanceOfSatisfying(Outcome.Rejected.class,
                    r -> assertThat(r.reason()).isEqualTo("HTTP " + s + ": {\"status\":\"x\"}"));
        }
    }

    @Test
    void noAnswerAtAllIsRetried() {
        IOException[] failures = {new ConnectException("Connection refused"), new HttpTimeoutException("request timed out")};
        for (IOException e : failures) {
            assertThat(policy.classify(e)).isInstanceOfSatisfying(Outcome.Retry.class,
                    r -> assertThat(r.status()).isZero());
        }
    }

    @Test
    void backoffGrowsExponentiallyWithinItsCapAndJitters() {
        Backoff b = Backoff.exponentialFullJitter(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(1));
        for (int attempt = 1; attempt < 60; attempt++) {
            long ceiling = Math.min(5000, 100L << Math.min(attempt - 1, 30));
            assertThat(b.delay(attempt)).isBetween(Duration.ZERO, Duration.ofMillis(ceiling));
        }
        long distinct = java.util.stream.IntStream.range(0, 50).mapToObj(i -> b.delay(10)).distinct().count();
        assertThat(distinct).isGreaterThan(10);
    }
}
