package io.pdaltagent.ingest;

import static io.pdaltagent.ingest.IngestBench.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pdaltagent.queue.StoreUnavailableException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What ingest answers when the queue is full, down, slow or broken: never success before durability. */
class IngestQueueFailureTest {
    private static final String RESOLVE = """
            {"routing_key":"%s","event_action":"resolve","dedup_key":"d"}""".formatted(KEY);

    static Stream<Arguments> routesWithTheirThrottleStatus() {
        String nagiosForm = "CONTACTPAGER=" + KEY + "&NOTIFICATIONTYPE=PROBLEM&pd_nagios_object=host&HOSTNAME=h";
        return Stream.of(
                Arguments.of("/v2/enqueue", "application/json", RESOLVE, 429),
                Arguments.of("/v2/change/enqueue", "application/json",
                        "{\"routing_key\":\"" + KEY + "\",\"payload\":{\"summary\":\"s\"}}", 429),
                Arguments.of("/integration/" + KEY + "/enqueue", "application/json", "{}", 429),
                Arguments.of("/x-ere/" + KEY, "application/json", "{}", 429),
                Arguments.of("/generic/2010-04-15/create_event.json", "application/json",
                        "{\"service_key\":\"" + KEY + "\",\"event_type\":\"resolve\",\"incident_key\":\"k\"}", 403),
                Arguments.of("/nagios/2010-04-15/create_event", "application/x-www-form-urlencoded", nagiosForm, 403));
    }

    @ParameterizedTest
    @MethodSource("routesWithTheirThrottleStatus")
    void answersAFullQueueWith429OnV2PathsAnd403OnV1PathsWithRetryAfter(String path, String contentType,
                                                                        String body, int throttleStatus) {
        try (IngestBench bench = IngestBench.withQueueMax(1)) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            assertThat(bench.post(path, contentType, bytes).statusCode()).isBetween(200, 202);

            HttpResponse<String> response = bench.post(path, contentType, bytes);

            IngestBench.assertAnswer(response, throttleStatus, """
                    {"status":"throttle event","message":"Queue full, retry later",
                     "errors":["queue full: 1 events waiting (maximum 1)"]}""");
            assertThat(response.headers().firstValue("Retry-After")).hasValue("30");
            assertThat(bench.queue.openCount()).isEqualTo(1);
            assertThat(bench.listener.events()).last().asString().endsWith(" queue_full");
        }
    }

    @Test
    void answers503WithRetryAfterWhileTheStoreIsUnavailableAnd202OnceItIsBack() {
        ScriptedQueue queue = new ScriptedQueue();
        try (IngestBench bench = IngestBench.start(queue, IngestBench.DEFAULT_MAX_BODY)) {
            queue.failWith(new StoreUnavailableException("disk full"));

            HttpResponse<String> response = bench.postJson("/v2/enqueue", RESOLVE);

            IngestBench.assertAnswer(response, 503, """
                    {"status":"unavailable","message":"Event could not be stored, retry later",
                     "errors":["The event store is unavailable: disk full"]}""");
            assertThat(response.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(bench.listener.events()).containsExactly("rejected /v2/enqueue unavailable");

            queue.heal();
            assertThat(bench.postJson("/v2/enqueue", RESOLVE).statusCode()).isEqualTo(202);
        }
    }

    @Test
    void answers503ForAnyOtherAppendFailureWithoutExposingIt() {
        ScriptedQueue queue = new ScriptedQueue();
        try (IngestBench bench = IngestBench.start(queue, IngestBench.DEFAULT_MAX_BODY)) {
            queue.failWith(new IllegalStateException("SQLITE_CORRUPT at /var/lib/secret/path"));

            HttpResponse<String> response = bench.postJson("/generic/2010-04-15/create_event.json", """
                    {"service_key":"%s","event_type":"resolve","incident_key":"k"}""".formatted(KEY));

            IngestBench.assertAnswer(response, 503, """
                    {"status":"unavailable","message":"Event could not be stored, retry later",
                     "errors":["The event could not be stored"]}""");
            assertThat(response.headers().firstValue("Retry-After")).hasValue("5");
        }
    }

    @Test
    void answers503WhenAppendThrowsInsteadOfFailingItsFuture() {
        ScriptedQueue queue = new ScriptedQueue();
        try (IngestBench bench = IngestBench.start(queue, IngestBench.DEFAULT_MAX_BODY)) {
            queue.throwOnAppend(new StoreUnavailableException("closed"));
            assertThat(bench.postJson("/v2/enqueue", RESOLVE).statusCode()).isEqualTo(503);
        }
    }

    @Test
    void answers500WithAJsonBodyWhenTheStoreHasABugAndGoesOn() {
        ScriptedQueue queue = new ScriptedQueue();
        try (IngestBench bench = IngestBench.start(queue, IngestBench.DEFAULT_MAX_BODY)) {
            queue.throwErrorOnAppend(new AssertionError("a bug in the store"));

            HttpResponse<String> response = bench.postJson("/v2/enqueue", RESOLVE);

            IngestBench.assertAnswer(response, 500, """
                    {"status":"internal error","message":"Event could not be processed, retry later",
                     "errors":["Internal error in the agent"]}""");
            queue.heal();
            assertThat(bench.postJson("/v2/enqueue", RESOLVE).statusCode()).isEqualTo(202);
        }
    }

    @Test
    void answers503WhenTheQueueIsClosed() {
        try (IngestBench bench = IngestBench.start()) {
            bench.queue.close();
            HttpResponse<String> response = bench.postJson("/v2/enqueue", RESOLVE);
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(IngestBench.json(response.body()).get("errors").get(0).asText())
                    .isEqualTo("The event store is unavailable: queue closed");
        }
    }

    @Test
    void answersSuccessOnlyOnceTheEventIsDurable() {
        ScriptedQueue queue = new ScriptedQueue();
        try (IngestBench bench = IngestBench.start(queue, IngestBench.DEFAULT_MAX_BODY)) {
            queue.holdAppends();

            CompletableFuture<HttpResponse<String>> answer = bench.client().sendAsync(bench.request("/v2/enqueue")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(RESOLVE)).build(),
                    HttpResponse.BodyHandlers.ofString());

            await().atMost(Duration.ofSeconds(5)).until(() -> queue.held.size() == 1);
            // the append has been asked for but is not durable yet: no answer may have been sent
            assertThat(answer).isNotDone();
            assertThat(bench.listener.events()).isEmpty();

            queue.held.get(0).complete(0L);

            await().atMost(Duration.ofSeconds(5)).until(answer::isDone);
            assertThat(answer.join().statusCode()).isEqualTo(202);
            assertThat(bench.listener.events()).containsExactly("accepted /v2/enqueue");
        }
    }

    @Test
    void answersAnAppendThatFailsLaterWith503() {
        ScriptedQueue queue = new ScriptedQueue();
        try (IngestBench bench = IngestBench.start(queue, IngestBench.DEFAULT_MAX_BODY)) {
            queue.holdAppends();
            CompletableFuture<HttpResponse<String>> answer = bench.client().sendAsync(bench.request("/v2/enqueue")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(RESOLVE)).build(),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(5)).until(() -> queue.held.size() == 1);

            queue.held.get(0).completeExceptionally(new StoreUnavailableException("fsync failed"));

            assertThat(answer.join().statusCode()).isEqualTo(503);
        }
    }
}
