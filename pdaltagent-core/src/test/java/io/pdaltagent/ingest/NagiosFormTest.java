package io.pdaltagent.ingest;

import static io.pdaltagent.ingest.IngestBench.KEY;
import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.queue.Destination;
import io.pdaltagent.queue.QueuedItem;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code POST /nagios/2010-04-15/create_event}: the form pagerduty_nagios.pl posts, stored as sent. */
class NagiosFormTest {
    private static final String PATH = "/nagios/2010-04-15/create_event";
    private static final String FORM = "application/x-www-form-urlencoded";
    private IngestBench bench;

    @BeforeEach
    void start() {
        bench = IngestBench.start();
    }

    @AfterEach
    void stop() {
        bench.close();
    }

    /** The fields pagerduty_nagios.pl sends for a service problem, in the order LWP would. */
    private static Map<String, String> serviceProblem() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("CONTACTPAGER", KEY);
        f.put("NOTIFICATIONTYPE", "PROBLEM");
        f.put("HOSTNAME", "web01");
        f.put("HOSTSTATE", "UP");
        f.put("SERVICEDESC", "HTTP");
        f.put("SERVICESTATE", "CRITICAL");
        f.put("SERVICEOUTPUT", "HTTP CRITICAL - 503 Service Unavailable & slow: 10.2s");
        f.put("pd_nagios_object", "service");
        f.put("pd_version", "1.0");
        f.put("NAGIOS_SERVER", "nagios.example.net");
        return f;
    }

    private static String encode(Map<String, String> fields) {
        return fields.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    private HttpResponse<String> post(String contentType, String body) {
        return bench.post(PATH, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void storesTheFormBytesAsSentAndAnswers200() {
        String body = encode(serviceProblem());

        IngestBench.assertAnswer(post(FORM, body), 200, """
                {"status":"success","message":"Event processed"}""");
        QueuedItem item = bench.onlyItem();
        assertThat(item.body()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
        assertThat(item.contentType()).isEqualTo(FORM);
        assertThat(item.orderingKey()).isEqualTo(KEY);
        assertThat(item.destination()).isEqualTo(Destination.events(PATH));
        assertThat(item.dedupKey()).isNull();
        assertThat(bench.listener.events()).containsExactly("accepted " + PATH);
    }

    @Test
    void acceptsAHostRecoveryFromIcingaWithACharsetParameter() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("CONTACTPAGER", KEY);
        f.put("NOTIFICATIONTYPE", "RECOVERY");
        f.put("HOSTNAME", "db01");
        f.put("HOSTSTATE", "UP");
        f.put("HOSTOUTPUT", "PING OK - Packet loss = 0%");
        f.put("pd_nagios_object", "host");
        assertThat(post(FORM + "; charset=UTF-8", encode(f)).statusCode()).isEqualTo(200);
    }

    @Test
    void readsABodyWithoutContentTypeAsAForm() {
        assertThat(bench.post(PATH, null, encode(serviceProblem()).getBytes(StandardCharsets.UTF_8)).statusCode())
                .isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "text/plain", "multipart/form-data; boundary=x"})
    void rejectsABodyThatIsNotFormEncodedWith415(String contentType) {
        HttpResponse<String> response = post(contentType, encode(serviceProblem()));
        IngestBench.assertAnswer(response, 415, """
                {"status":"unsupported media type","message":"Event object format is unrecognized",
                 "errors":["Content-Type must be application/x-www-form-urlencoded"]}""");
        assertThat(bench.listener.events()).containsExactly("rejected " + PATH + " unsupported_media_type");
    }

    @Test
    void rejectsAFormWithoutAnyRequiredField() {
        bench.assertInvalid(post(FORM, "SERVICEDESC=HTTP"),
                "'CONTACTPAGER' is missing or blank",
                "'NOTIFICATIONTYPE' is missing or blank",
                "'pd_nagios_object' is missing or blank",
                "'HOSTNAME' is missing or blank");
        assertThat(bench.listener.events()).containsExactly("rejected " + PATH + " invalid");
    }

    @Test
    void rejectsAContactPagerThatIsNot32Characters() {
        Map<String, String> f = serviceProblem();
        f.put("CONTACTPAGER", "555-1234");
        bench.assertInvalid(post(FORM, encode(f)), "Length of 'CONTACTPAGER' is incorrect (should be 32 characters)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Service", "hostgroup", "svc"})
    void rejectsAnObjectTypeOtherThanHostOrService(String object) {
        Map<String, String> f = serviceProblem();
        f.put("pd_nagios_object", object);
        bench.assertInvalid(post(FORM, encode(f)), "'pd_nagios_object' is invalid (must be one of: host service)");
    }

    @Test
    void rejectsBlankHostnameAndNotificationType() {
        Map<String, String> f = serviceProblem();
        f.put("HOSTNAME", " ");
        f.put("NOTIFICATIONTYPE", "");
        bench.assertInvalid(post(FORM, encode(f)), "'NOTIFICATIONTYPE' is missing or blank",
                "'HOSTNAME' is missing or blank");
    }

    @Test
    void rejectsAnEmptyForm() {
        bench.assertInvalid(post(FORM, ""),
                "'CONTACTPAGER' is missing or blank",
                "'NOTIFICATIONTYPE' is missing or blank",
                "'pd_nagios_object' is missing or blank",
                "'HOSTNAME' is missing or blank");
    }

    @Test
    void rejectsABrokenPercentEscapeAsMalformed() {
        bench.assertUnrecognized(post(FORM, encode(serviceProblem()) + "&SERVICEOUTPUT=100%"), "Form body is malformed");
        assertThat(bench.listener.events()).containsExactly("rejected " + PATH + " malformed");
    }

    @Test
    void rejectsAFormThatIsNotUtf8AsMalformed() {
        byte[] body = (encode(serviceProblem()) + "&X=").getBytes(StandardCharsets.UTF_8);
        byte[] latin1 = new byte[body.length + 1];
        System.arraycopy(body, 0, latin1, 0, body.length);
        latin1[body.length] = (byte) 0xE9;
        bench.assertUnrecognized(bench.post(PATH, FORM, latin1), "Form body is malformed");
    }

    @Test
    void answersAQueueFullNagiosRequestWith403SayingRetryLater() {
        try (IngestBench full = IngestBench.withQueueMax(0)) {
            HttpResponse<String> response = full.post(PATH, FORM,
                    encode(serviceProblem()).getBytes(StandardCharsets.UTF_8));
            assertThat(response.statusCode()).isEqualTo(403);
            // pagerduty_nagios.pl keeps a 4xx event for a later flush only when the body says "retry later"
            assertThat(response.body()).contains("retry later");
            assertThat(response.headers().firstValue("Retry-After")).hasValue("30");
        }
    }
}
