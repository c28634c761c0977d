package io.pdaltagent.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakePagerDutyTest {
    private static final String KEY_A = "0123456789abcdef0123456789abcdef";
    private static final String KEY_B = "fedcba9876543210fedcba9876543210";

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final List<FakePagerDuty> fakes = new ArrayList<>();

    @AfterEach
    void stopFakesAndClient() {
        fakes.forEach(FakePagerDuty::close);
        client.shutdownNow();
    }

    private FakePagerDuty start(FakePagerDuty.Builder builder) {
        FakePagerDuty fake = builder.start();
        fakes.add(fake);
        return fake;
    }

    private FakePagerDuty start() {
        return start(FakePagerDuty.builder());
    }

    private HttpResponse<String> post(FakePagerDuty fake, String path, String body) throws IOException, InterruptedException {
        return client.send(postRequest(fake, path, body).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder postRequest(FakePagerDuty fake, String path, String body) {
        return HttpRequest.newBuilder(URI.create(fake.url(path)))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private static String trigger(String key, String dedup, Object seq) {
        return "{\"routing_key\":\"" + key + "\",\"event_action\":\"trigger\""
                + (dedup == null ? "" : ",\"dedup_key\":\"" + dedup + "\"")
                + ",\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"error\""
                + (seq == null ? "" : ",\"custom_details\":{\"seq\":" + seq + "}") + "}}";
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return PagerDutyBodies.MAPPER.readTree(r.body());
    }

    // ------------------------------------------------------------ default answers

    @Test
    void answersV2EnqueueWith202AndEchoesTheDedupKey() throws Exception {
        FakePagerDuty fake = start();

        HttpResponse<String> r = post(fake, "/v2/enqueue", trigger(KEY_A, "db01/disk", null));

        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        JsonNode body = json(r);
        assertThat(body.get("status").asText()).isEqualTo("success");
        assertThat(body.get("message").asText()).isEqualTo("Event processed");
        assertThat(body.get("dedup_key").asText()).isEqualTo("db01/disk");
    }

    @Test
    void makesUpADedupKeyForATriggerThatHasNone() throws Exception {
        FakePagerDuty fake = start();

        HttpResponse<String> r = post(fake, "/v2/enqueue", trigger(KEY_A, null, null));

        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(json(r).get("dedup_key").asText()).matches("[0-9a-f]{32}");
        assertThat(fake.received().get(0).dedupKey()).isNull();
    }

    @Test
    void answersV1GenericWith200AndTheIncidentKey() throws Exception {
        FakePagerDuty fake = start();

        HttpResponse<String> r = post(fake, "/generic/2010-04-15/create_event.json",
                "{\"service_key\":\"" + KEY_A + "\",\"event_type\":\"trigger\",\"incident_key\":\"i-1\",\"description\":\"d\","
                        + "\"details\":{\"seq\":7}}");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).get("incident_key").asText()).isEqualTo("i-1");
        ReceivedEvent e = fake.received().get(0);
        assertThat(e.endpoint()).isEqualTo(EventEndpoint.EVENTS_V1);
        assertThat(e.routingKey()).isEqualTo(KEY_A);
        assertThat(e.dedupKey()).isEqualTo("i-1");
        assertThat(e.eventAction()).isEqualTo("trigger");
        assertThat(e.seq()).isEqualTo(7L);
    }

    @Test
    void answersChangeEventsWith202AndNoDedupKey() throws Exception {
        FakePagerDuty fake = start();

        HttpResponse<String> r = post(fake, "/v2/change/enqueue",
                "{\"routing_key\":\"" + KEY_A + "\",\"payload\":{\"summary\":\"deployed\"}}");

        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(json(r).get("status").asText()).isEqualTo("success");
        assertThat(json(r).has("dedup_key")).isFalse();
        assertThat(fake.received().get(0).endpoint()).isEqualTo(EventEndpoint.CHANGE_EVENTS);
    }

    @Test
    void takesTheRoutingKeyFromThePathOnIntegrationAndRulesetUrls() throws Exception {
        FakePagerDuty fake = start();

        HttpResponse<String> integration = post(fake, "/integration/" + KEY_A + "/enqueue", "{\"Type\":\"Notification\"}");
        HttpResponse<String> ruleset = post(fake, "/x-ere/R" + KEY_B.substring(1), "not json at all");

        assertThat(integration.statusCode()).isEqualTo(202);
        assertThat(ruleset.statusCode()).isEqualTo(202);
        assertThat(fake.received()).extracting(ReceivedEvent::endpoint, ReceivedEvent::routingKey).containsExactly(
                org.assertj.core.groups.Tuple.tuple(EventEndpoint.INTEGRATION, KEY_A),
                org.assertj.core.groups.Tuple.tuple(EventEndpoint.RULESET, "R" + KEY_B.substring(1)));
    }

    @Test
    void acceptsTheNagiosFormAndTakesTheKeyFromContactPager() throws Exception {
        FakePagerDuty fake = start();

        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(fake.url("/nagios/2010-04-15/create_event")))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("CONTACTPAGER=" + KEY_A + "&NOTIFICATIONTYPE=PROBLEM&HOSTNAME=db01"
                        + "&SERVICEDESC=disk+usage&pd_nagios_object=service"))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).get("status").asText()).isEqualTo("success");
        ReceivedEvent e = fake.received().get(0);
        assertThat(e.routingKey()).isEqualTo(KEY_A);
        assertThat(e.form()).containsEntry("SERVICEDESC", "disk usage").containsEntry("HOSTNAME", "db01");
    }

    @Test
    void answers400WithPagerDutysParseErrorToABodyThatIsNotJson() throws Exception {
        FakePagerDuty fake = start();

        HttpResponse<String> r = post(fake, "/v2/enqueue", "{not json");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("errors").get(0).asText()).isEqualTo("JSON parse error");
        assertThat(fake.received().get(0).accepted()).isFalse();
    }

    @Test
    void answers404OnAnUnknownPathAnd405ToAGet() throws Exception {
        FakePagerDuty fake = start();

        HttpResponse<String> unknown = post(fake, "/v3/enqueue", "{}");
        HttpResponse<String> get = client.send(HttpRequest.newBuilder(URI.create(fake.url("/v2/enqueue"))).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).get("status").asText()).isEqualTo("Not Found");
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(json(get).has("message")).isTrue();
        assertThat(fake.count()).isEqualTo(2);
        assertThat(fake.acceptedCount()).isZero();
    }

    // ------------------------------------------------------------ recording

    @Test
    void recordsEveryRequestInArrivalOrderWithHeadersBodyAndParsedFields() throws Exception {
        FakePagerDuty fake = start();

        post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));
        client.send(postRequest(fake, "/v2/enqueue", trigger(KEY_B, "b", 1)).header("X-Test", "yes").build(),
                HttpResponse.BodyHandlers.ofString());
        post(fake, "/v2/enqueue", trigger(KEY_A, "c", 2));

        List<ReceivedEvent> all = fake.received();
        assertThat(all).extracting(ReceivedEvent::index).containsExactly(0L, 1L, 2L);
        assertThat(all).extracting(ReceivedEvent::dedupKey).containsExactly("a", "b", "c");
        assertThat(fake.received(KEY_A)).extracting(ReceivedEvent::dedupKey).containsExactly("a", "c");
        assertThat(fake.count()).isEqualTo(3);
        assertThat(fake.count(KEY_A)).isEqualTo(2);
        assertThat(fake.acceptedByKey()).containsEntry(KEY_A, 2).containsEntry(KEY_B, 1);
        ReceivedEvent b = all.get(1);
        assertThat(b.header("x-TEST")).isEqualTo("yes");
        assertThat(b.method()).isEqualTo("POST");
        assertThat(b.path()).isEqualTo("/v2/enqueue");
        assertThat(b.json().at("/payload/summary").asText()).isEqualTo("s");
        assertThat(b.bodyAsString()).isEqualTo(trigger(KEY_B, "b", 1));
        assertThat(b.seq()).isEqualTo(1L);
        assertThat(b.status()).isEqualTo(202);
        assertThat(b.accepted()).isTrue();
        assertThat(b.receivedAt()).isBeforeOrEqualTo(all.get(2).receivedAt());
    }

    @Test
    void keepsOnlyParsedFieldsWhenBodiesAreNotKept() throws Exception {
        FakePagerDuty fake = start(FakePagerDuty.builder().keepBodies(false));

        post(fake, "/v2/enqueue", trigger(KEY_A, "a", "\"41\""));

        ReceivedEvent e = fake.received().get(0);
        assertThat(e.body()).isNull();
        assertThat(e.headers()).isEmpty();
        assertThat(e.routingKey()).isEqualTo(KEY_A);
        assertThat(e.seq()).as("a seq sent as a string, as pd-send -f seq=41 does").isEqualTo(41L);
        assertThatThrownBy(e::json).isInstanceOf(IllegalStateException.class).hasMessageContaining("keepBodies(false)");
    }

    @Test
    void keepsOnlyCountersWhenEventsAreNotRecorded() throws Exception {
        FakePagerDuty fake = start(FakePagerDuty.builder().recordEvents(false));

        post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));
        post(fake, "/v2/enqueue", trigger(KEY_A, "b", 2));

        assertThat(fake.received()).isEmpty();
        assertThat(fake.count()).isEqualTo(2);
        assertThat(fake.count(KEY_A)).isEqualTo(2);
        assertThat(fake.stats().accepted()).isEqualTo(2);
    }

    @Test
    void clearForgetsWhatWasReceivedButKeepsTheScripts() throws Exception {
        FakePagerDuty fake = start();
        post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));
        fake.enqueue(Answer.status(503));

        fake.clear();

        assertThat(fake.received()).isEmpty();
        assertThat(fake.count()).isZero();
        assertThat(fake.stats().keys()).isZero();
        assertThat(post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode()).isEqualTo(503);
        assertThat(fake.received().get(0).index()).isZero();
    }

    // ------------------------------------------------------------ scripting

    @Test
    void consumesScriptedAnswersInOrderThenFallsBackToSuccess() throws Exception {
        FakePagerDuty fake = start();
        fake.enqueue(Answer.status(500), Answer.status(429).header("Retry-After", "2"));
        assertThat(fake.pendingAnswers()).isEqualTo(2);

        HttpResponse<String> first = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));
        HttpResponse<String> second = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));
        HttpResponse<String> third = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));

        assertThat(first.statusCode()).isEqualTo(500);
        assertThat(json(first).get("status").asText()).isEqualTo("error");
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(second.headers().firstValue("Retry-After")).hasValue("2");
        assertThat(json(second).has("message")).isTrue();
        assertThat(third.statusCode()).isEqualTo(202);
        assertThat(fake.received()).extracting(ReceivedEvent::status, ReceivedEvent::accepted).containsExactly(
                org.assertj.core.groups.Tuple.tuple(500, false),
                org.assertj.core.groups.Tuple.tuple(429, false),
                org.assertj.core.groups.Tuple.tuple(202, true));
        assertThat(fake.accepted()).hasSize(1);
        assertThat(fake.pendingAnswers()).isZero();
    }

    @Test
    void sendsAScriptedBodyVerbatim() throws Exception {
        FakePagerDuty fake = start();
        fake.enqueue(Answer.invalidEvent("Invalid routing key"),
                Answer.status(400).body("{\"status\":\"invalid event\",\"errors\":[\"x\"]}").header("Content-Type", "application/json; charset=utf-8"));

        HttpResponse<String> first = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));
        HttpResponse<String> second = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));

        assertThat(first.statusCode()).isEqualTo(400);
        assertThat(first.body()).isEqualTo(
                "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\",\"errors\":[\"Invalid routing key\"]}");
        assertThat(second.body()).isEqualTo("{\"status\":\"invalid event\",\"errors\":[\"x\"]}");
        assertThat(second.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    }

    @Test
    void perKeyScriptsApplyOnlyToTheirKeyAndComeBeforeTheGlobalScript() throws Exception {
        FakePagerDuty fake = start();
        fake.enqueue(Answer.status(502));
        fake.enqueueFor(KEY_A, Answer.status(400), Answer.status(503));

        int a1 = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode();
        int b1 = post(fake, "/v2/enqueue", trigger(KEY_B, "b", 1)).statusCode();
        int a2 = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode();
        int b2 = post(fake, "/v2/enqueue", trigger(KEY_B, "b", 1)).statusCode();
        int a3 = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode();

        assertThat(List.of(a1, b1, a2, b2, a3)).containsExactly(400, 502, 503, 202, 202);
    }

    @Test
    void enqueuesTheSameAnswerSeveralTimes() throws Exception {
        FakePagerDuty fake = start();
        fake.enqueue(Answer.status(503), 2);

        assertThat(post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode()).isEqualTo(503);
        assertThat(post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode()).isEqualTo(503);
        assertThat(post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode()).isEqualTo(202);
    }

    @Test
    void asksTheHookWhenNoScriptIsQueuedAndFallsThroughWhenItReturnsNull() throws Exception {
        FakePagerDuty fake = start();
        fake.answerWith(e -> KEY_B.equals(e.routingKey()) ? Answer.status(400) : null);
        fake.enqueue(Answer.status(500));

        int scripted = post(fake, "/v2/enqueue", trigger(KEY_B, "b", 1)).statusCode();
        int hooked = post(fake, "/v2/enqueue", trigger(KEY_B, "b", 1)).statusCode();
        int fellThrough = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode();

        assertThat(List.of(scripted, hooked, fellThrough)).containsExactly(500, 400, 202);
    }

    @Test
    void answers500WhenTheHookThrows() throws Exception {
        FakePagerDuty fake = start();
        fake.answerWith(e -> {
            throw new IllegalStateException("bug in a test's hook");
        });

        HttpResponse<String> r = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));

        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(json(r).get("status").asText()).isEqualTo("error");
        assertThat(fake.openExchanges()).isEmpty();
    }

    @Test
    void answersTheDefaultAnswerUntilItIsRemoved() throws Exception {
        FakePagerDuty fake = start();
        fake.defaultAnswer(Answer.status(503));

        int during = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode();
        fake.defaultAnswer(null);
        int after = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode();

        assertThat(List.of(during, after)).containsExactly(503, 202);
    }

    @Test
    void resetForgetsScriptsAndRestoresTheBuildersSettings() throws Exception {
        FakePagerDuty fake = start(FakePagerDuty.builder().latency(Duration.ofMillis(5)));
        fake.latency(Duration.ofSeconds(3)).defaultAnswer(Answer.status(500)).enqueue(Answer.status(400));
        post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));

        fake.reset();

        assertThat(fake.pendingAnswers()).isZero();
        assertThat(fake.latency()).isEqualTo(Duration.ofMillis(5));
        assertThat(fake.count()).isZero();
        assertThat(post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode()).isEqualTo(202);
    }

    // ------------------------------------------------------------ latency, drop, hang

    @Test
    void latencyDoesNotSerialiseConcurrentRequests() {
        FakePagerDuty fake = start(FakePagerDuty.builder().latency(Duration.ofMillis(200)));
        long started = System.nanoTime();

        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            answers.add(client.sendAsync(postRequest(fake, "/v2/enqueue", trigger("key-" + i, "d", 1)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).join();
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(answers).allSatisfy(f -> assertThat(f.join().statusCode()).isEqualTo(202));
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(200)).isLessThan(Duration.ofSeconds(5));
        assertThat(fake.stats().keys()).isEqualTo(100);
    }

    @Test
    void holdsNoThreadWhileAnAnswerWaitsOutItsLatency() {
        // 8 Jetty threads (2 of them taken by the acceptor and selector). Were a thread held per waiting
        // request, 400 requests x 300 ms would need 400 * 0.3 / 6 = 20 s.
        FakePagerDuty fake = start(FakePagerDuty.builder().maxThreads(8).latency(Duration.ofMillis(300)));
        long started = System.nanoTime();

        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            answers.add(client.sendAsync(postRequest(fake, "/v2/enqueue", trigger(KEY_A, "d" + i, i)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).join();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertThat(fake.acceptedCount()).isEqualTo(400);
    }

    @Test
    void aDelayedAnswerWaitsItsOwnDelayInsteadOfTheDefaultLatency() throws Exception {
        FakePagerDuty fake = start(FakePagerDuty.builder().latency(Duration.ofSeconds(30)));
        fake.enqueue(Answer.delay(Duration.ofMillis(300)), Answer.status(500).after(Duration.ZERO));

        long started = System.nanoTime();
        HttpResponse<String> delayed = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));
        Duration tookDelayed = Duration.ofNanos(System.nanoTime() - started);
        HttpResponse<String> immediate = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));

        assertThat(delayed.statusCode()).isEqualTo(202);
        assertThat(tookDelayed).isBetween(Duration.ofMillis(300), Duration.ofSeconds(10));
        assertThat(immediate.statusCode()).isEqualTo(500);
    }

    @Test
    void dropConnectionClosesTheConnectionWithoutAnAnswer() throws Exception {
        FakePagerDuty fake = start();
        fake.enqueue(Answer.dropConnection());

        assertThatThrownBy(() -> post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1))).isInstanceOf(IOException.class);
        HttpResponse<String> next = post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));

        assertThat(next.statusCode()).isEqualTo(202);
        ReceivedEvent dropped = fake.received().get(0);
        assertThat(dropped.status()).isZero();
        assertThat(dropped.unanswered()).isTrue();
        assertThat(dropped.accepted()).isFalse();
        assertThat(fake.openExchanges()).isEmpty();
    }

    @Test
    void hangNeverAnswersSoTheClientTimesOut() throws Exception {
        FakePagerDuty fake = start();
        post(fake, "/v2/enqueue", trigger(KEY_A, "warm-up", 0)); // the timed request reuses this connection
        fake.enqueue(Answer.hang());

        HttpRequest request = postRequest(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).timeout(Duration.ofMillis(500)).build();
        assertThatThrownBy(() -> client.send(request, HttpResponse.BodyHandlers.ofString())).isInstanceOf(HttpTimeoutException.class);

        await().atMost(Duration.ofSeconds(5)).until(() -> fake.count() == 2);
        assertThat(fake.received().get(1).unanswered()).isTrue();
        assertThat(fake.received().get(1).accepted()).isFalse();
        assertThat(post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode()).isEqualTo(202);
    }

    @Test
    void stopClosesTheConnectionOfAHungRequest() {
        FakePagerDuty fake = start();
        fake.enqueue(Answer.hang());
        CompletableFuture<HttpResponse<String>> hung = client.sendAsync(
                postRequest(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(5)).until(() -> fake.openExchanges().size() == 1);

        fake.stop();

        assertThatThrownBy(() -> hung.get()).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(IOException.class);
        assertThat(fake.openExchanges()).isEmpty();
    }

    @Test
    void dropsAHungRequestAtTheIdleTimeout() {
        FakePagerDuty fake = start(FakePagerDuty.builder().idleTimeout(Duration.ofMillis(400)));
        fake.enqueue(Answer.hang());
        long started = System.nanoTime();

        CompletableFuture<HttpResponse<String>> hung = client.sendAsync(
                postRequest(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThatThrownBy(() -> hung.get()).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(IOException.class)
                .cause().isNotInstanceOf(HttpTimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aDelayedAnswerOutlivesTheIdleTimeout() throws Exception {
        FakePagerDuty fake = start(FakePagerDuty.builder().idleTimeout(Duration.ofMillis(200)));
        fake.enqueue(Answer.delay(Duration.ofMillis(700)));

        assertThat(post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode()).isEqualTo(202);
    }

    // ------------------------------------------------------------ lifecycle

    @Test
    void restartsOnTheSamePortKeepingWhatItReceived() throws Exception {
        FakePagerDuty fake = start();
        post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));
        int port = fake.port();

        fake.stop();
        assertThat(fake.isRunning()).isFalse();
        assertThatThrownBy(() -> post(fake, "/v2/enqueue", trigger(KEY_A, "b", 2))).isInstanceOf(ConnectException.class);
        fake.start();

        assertThat(fake.port()).isEqualTo(port);
        assertThat(post(fake, "/v2/enqueue", trigger(KEY_A, "b", 2)).statusCode()).isEqualTo(202);
        assertThat(fake.received()).extracting(ReceivedEvent::dedupKey).containsExactly("a", "b");
    }

    @Test
    void listensOnTheGivenPort() throws Exception {
        FakePagerDuty first = start();
        int port = first.port();
        first.close();

        FakePagerDuty fake = start(FakePagerDuty.builder().port(port));

        assertThat(fake.baseUrl()).isEqualTo("http://127.0.0.1:" + port);
        assertThat(post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).statusCode()).isEqualTo(202);
    }

    @Test
    void servesHttpsWithATestCertificate() throws Exception {
        TestCertificate cert = TestCertificate.shared();
        FakePagerDuty fake = start(FakePagerDuty.builder().tls(cert));
        HttpResponse<String> r;
        try (HttpClient tlsClient = HttpClient.newBuilder().sslContext(cert.clientContext()).build()) {
            r = tlsClient.send(postRequest(fake, "/v2/enqueue", trigger(KEY_A, "a", 1)).build(), HttpResponse.BodyHandlers.ofString());
        }

        assertThat(fake.baseUrl()).startsWith("https://127.0.0.1:");
        assertThat(r.statusCode()).isEqualTo(202);
    }

    @Test
    void buildsFromTheBenchmarkCommandLine() throws Exception {
        FakePagerDuty fake = FakePagerDuty.builderFromArgs("--port", "0", "--latency-ms", "50", "--keep-bodies", "false",
                "--record", "true").start();
        fakes.add(fake);

        post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));

        assertThat(fake.latency()).isEqualTo(Duration.ofMillis(50));
        assertThat(fake.received().get(0).body()).isNull();
        assertThat(FakePagerDuty.builderFromArgs("--help")).isNull();
        assertThatThrownBy(() -> FakePagerDuty.builderFromArgs("--latency-ms", "soon"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--latency-ms");
        assertThatThrownBy(() -> FakePagerDuty.builderFromArgs("--keep-bodies")).hasMessageContaining("needs a value");
    }

    // ------------------------------------------------------------ /__stats

    @Test
    void statsCountOrderViolationsAndDuplicatesPerRoutingKey() throws Exception {
        FakePagerDuty fake = start();
        fake.enqueueFor(KEY_B, Answer.status(500));
        for (int seq : new int[] {1, 2, 2, 3, 1, 4}) {
            post(fake, "/v2/enqueue", trigger(KEY_A, "a" + seq, seq));
        }
        post(fake, "/v2/enqueue", trigger(KEY_B, "b", 9)); // answered 500: not ingested, not checked
        post(fake, "/v2/enqueue", trigger(KEY_B, "b", 1)); // so this is in order for KEY_B
        post(fake, "/v2/enqueue", trigger(KEY_B, "b", null)); // no seq: counted, not checked

        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(fake.url("/__stats"))).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode stats = json(r);
        assertThat(stats.get("count").asLong()).isEqualTo(9);
        assertThat(stats.get("accepted").asLong()).isEqualTo(8);
        assertThat(stats.get("keys").asInt()).isEqualTo(2);
        assertThat(stats.get("order_violations").asLong()).isEqualTo(1);
        assertThat(stats.get("duplicates").asLong()).isEqualTo(1);
        assertThat(fake.orderViolationSamples()).singleElement().asString().contains("seq 1 after 3");
        assertThat(fake.count()).as("admin requests are not recorded").isEqualTo(9);
    }

    @Test
    void clearsOverTheAdminPath() throws Exception {
        FakePagerDuty fake = start();
        post(fake, "/v2/enqueue", trigger(KEY_A, "a", 1));

        HttpResponse<String> r = post(fake, "/__clear", "");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(fake.count()).isZero();
        assertThat(fake.stats()).isEqualTo(new FakePagerDuty.Stats(0, 0, 0, 0, 0));
    }

    // ------------------------------------------------------------ rate limit

    @Test
    void theRateLimitAnswers429WithRetryAfterAboveTheLimitPerKeyAndCountsOnlyAcceptedEvents() throws Exception {
        FakePagerDuty fake = start().rateLimit(3, Duration.ofSeconds(30), true);
        for (int i = 0; i < 3; i++) {
            assertThat(post(fake, "/v2/enqueue", trigger(KEY_A, "a" + i, i)).statusCode()).isEqualTo(202);
        }
        HttpResponse<String> over = post(fake, "/v2/enqueue", trigger(KEY_A, "a3", 3));
        assertThat(over.statusCode()).isEqualTo(429);
        assertThat(Long.parseLong(over.headers().firstValue("Retry-After").orElseThrow())).isBetween(29L, 30L);
        assertThat(post(fake, "/v2/enqueue", trigger(KEY_B, "b", 0)).statusCode()).as("per key").isEqualTo(202);
        assertThat(post(fake, "/v2/enqueue", trigger(KEY_A, "a3", 3)).statusCode()).isEqualTo(429);
        assertThat(fake.throttledCount()).isEqualTo(2);
        assertThat(fake.acceptedCount(KEY_A)).isEqualTo(3);
        assertThat(json(client.send(HttpRequest.newBuilder(URI.create(fake.url("/__stats"))).GET().build(),
                HttpResponse.BodyHandlers.ofString())).get("throttled").asLong()).isEqualTo(2);
    }

    @Test
    void theRateLimitWindowSlidesAndRetryAfterCanBeLeftOut() throws Exception {
        FakePagerDuty fake = start().rateLimit(2, Duration.ofMillis(300), false);
        post(fake, "/v2/enqueue", trigger(KEY_A, "a0", 0));
        post(fake, "/v2/enqueue", trigger(KEY_A, "a1", 1));
        HttpResponse<String> over = post(fake, "/v2/enqueue", trigger(KEY_A, "a2", 2));
        assertThat(over.statusCode()).isEqualTo(429);
        assertThat(over.headers().firstValue("Retry-After")).isEmpty();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> post(fake, "/v2/enqueue", trigger(KEY_A, "a2", 2)).statusCode() == 202);
    }

    @Test
    void theRateLimitIsSetFromTheCommandLine() {
        assertThat(FakePagerDuty.builderFromArgs("--rate-limit", "120", "--rate-window-ms", "6000", "--retry-after", "false")
                .build().rateLimitDescription()).isEqualTo("120 per 6000 ms per key, no Retry-After");
        assertThat(FakePagerDuty.builderFromArgs().build().rateLimitDescription()).isNull();
    }
}
