package io.pdaltagent.ingest;

import static io.pdaltagent.ingest.IngestBench.KEY;
import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.queue.QueuedItem;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bodies shaped like those of the tools that post to PagerDuty (pagerduty-api.md §6) are accepted
 * as they are and answered as those tools expect.
 */
class RealClientBodiesTest {
    private static final String GROUP_KEY_SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private IngestBench bench;

    @BeforeEach
    void start() {
        bench = IngestBench.start();
    }

    @AfterEach
    void stop() {
        bench.close();
    }

    @Test
    void acceptsAnAlertmanagerV2TriggerAndResolveWithItsHashedDedupKey() {
        String trigger = """
                {"routing_key":"%s","event_action":"trigger","dedup_key":"%s",
                 "payload":{"summary":"[FIRING:1] HighLatency api (critical)","source":"Alertmanager",
                   "severity":"error","class":"","component":"","group":"",
                   "custom_details":{"firing":"Labels:\\n - alertname = HighLatency\\n","num_firing":"1",
                                     "num_resolved":"0","resolved":""}},
                 "client":"Alertmanager","client_url":"http://am.example:9093/#/alerts?receiver=pd",
                 "images":[],"links":[]}""".formatted(KEY, GROUP_KEY_SHA256);
        HttpRequest.Builder request = bench.request("/v2/enqueue")
                .header("Content-Type", "application/json")
                .header("User-Agent", "Alertmanager/0.27.0")
                .POST(HttpRequest.BodyPublishers.ofString(trigger));

        IngestBench.assertAnswer(bench.send(request), 202, """
                {"status":"success","message":"Event processed","dedup_key":"%s"}""".formatted(GROUP_KEY_SHA256));
        QueuedItem item = bench.onlyItem();
        assertThat(item.body()).isEqualTo(trigger.getBytes(StandardCharsets.UTF_8));
        assertThat(item.dedupKey()).isEqualTo(GROUP_KEY_SHA256);

        HttpResponse<String> resolve = bench.postJson("/v2/enqueue", trigger.replace("\"trigger\"", "\"resolve\""));
        assertThat(resolve.statusCode()).isEqualTo(202);
    }

    @Test
    void acceptsAnAlertmanagerV1EventWithEmptyEventActionAndNullPayload() {
        String body = """
                {"service_key":"%s","event_type":"trigger","incident_key":"%s",
                 "description":"[FIRING:1] HighLatency api","event_action":"","payload":null,
                 "details":{"firing":"...","num_firing":"1","num_resolved":"0","resolved":""},
                 "client":"Alertmanager","client_url":"http://am.example:9093/#/alerts","images":null,"links":null}"""
                .formatted(KEY, GROUP_KEY_SHA256);

        IngestBench.assertAnswer(bench.postJson("/generic/2010-04-15/create_event.json", body), 200, """
                {"status":"success","message":"Event processed","incident_key":"%s"}""".formatted(GROUP_KEY_SHA256));
        assertThat(bench.onlyItem().body()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void acceptsAGrafanaTriggerWithItsExternalUrlLink() {
        String body = """
                {"routing_key":"%s","dedup_key":"%s","event_action":"trigger",
                 "payload":{"summary":"[FIRING:1] CPU high","source":"grafana-0","severity":"critical",
                   "class":"default","component":"Grafana","group":"default",
                   "custom_details":{"firing":"Value: A=97","num_firing":"1","num_resolved":"0","resolved":""}},
                 "images":[{"src":"https://grafana.example/render/d-solo/x.png"}],
                 "links":[{"href":"https://grafana.example/","text":"External URL"}],
                 "client":"Grafana","client_url":"https://grafana.example/"}""".formatted(KEY, GROUP_KEY_SHA256);

        assertThat(bench.postJson("/v2/enqueue", body).statusCode()).isEqualTo(202);
    }

    @Test
    void acceptsZabbixTriggerAndAcknowledgeWithNumericStringDedupKey() {
        String trigger = """
                {"routing_key":"%s","event_action":"trigger","dedup_key":"28735",
                 "payload":{"summary":"Zabbix agent is not available","source":"web01 : 10.0.0.5",
                   "severity":"warning","custom_details":{"Event date":"2024.05.01","Event time":"10:00:00",
                   "Trigger description":"","Trigger opdata":"","Event tags":"scope:availability",
                   "Event host":"web01","Event value":"1"}},
                 "client":"Zabbix","client_url":"https://zabbix.example/zabbix/",
                 "links":[{"href":"https://zabbix.example/zabbix/tr_events.php?triggerid=1&eventid=28735",
                           "text":"Event link"}]}""".formatted(KEY);
        HttpResponse<String> response = bench.postJson("/v2/enqueue", trigger);
        IngestBench.assertAnswer(response, 202, """
                {"status":"success","message":"Event processed","dedup_key":"28735"}""");
        // Zabbix requires 202 and status "success", and shows errors[0] otherwise

        HttpResponse<String> ack = bench.postJson("/v2/enqueue", """
                {"routing_key":"%s","event_action":"acknowledge","dedup_key":"28735"}""".formatted(KEY));
        assertThat(ack.statusCode()).isEqualTo(202);
    }

    @Test
    void acceptsPdjsEventsSentAsJsonWithCharset() {
        String trigger = """
                {"routing_key":"%s","event_action":"trigger",
                 "payload":{"summary":"Build failed","source":"ci","severity":"error"}}""".formatted(KEY);
        HttpRequest.Builder request = bench.request("/v2/enqueue")
                .header("Content-Type", "application/json; charset=utf-8")
                .header("User-Agent", "pdjs/2.0.0 (v18.0.0/linux)")
                .POST(HttpRequest.BodyPublishers.ofString(trigger));

        HttpResponse<String> response = bench.send(request);

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(IngestBench.json(response.body()).get("dedup_key").asText()).isNotBlank();

        HttpResponse<String> change = bench.post("/v2/change/enqueue", "application/json; charset=utf-8", """
                {"routing_key":"%s","payload":{"summary":"Deployed v1.2.3","source":"ci",
                 "timestamp":"2024-05-01T10:00:00.000Z","custom_details":{"build":"123"}},
                 "links":[{"href":"https://ci.example/123","text":"Build"}]}""".formatted(KEY)
                .getBytes(StandardCharsets.UTF_8));
        IngestBench.assertAnswer(change, 202, """
                {"status":"success","message":"Change event processed"}""");
    }

    @Test
    void acceptsPagerDutyAgentEventsWithTheAgentObjectOnV1AndV2() {
        String v1 = """
                {"service_key":"%s","event_type":"trigger","description":"Disk full",
                 "incident_key":"event_source=service;host_name=web01;service_desc=disk",
                 "details":{"pd_nagios_object":"service","HOSTNAME":"web01"},
                 "agent":{"agent_id":"8d5b0c3e-5d4c-4a3b-9d7c-1e2f3a4b5c6d","queued_by":"pd-nagios",
                          "queued_at":"2024-05-01T10:00:00Z"}}""".formatted(KEY);
        IngestBench.assertAnswer(bench.postJson("/generic/2010-04-15/create_event.json", v1), 200, """
                {"status":"success","message":"Event processed",
                 "incident_key":"event_source=service;host_name=web01;service_desc=disk"}""");

        String v2 = """
                {"routing_key":"%s","event_action":"trigger","dedup_key":"pd-send-1",
                 "payload":{"summary":"Disk full","source":"web01","severity":"critical"},
                 "agent":{"agent_id":"8d5b0c3e","queued_by":"pd-send","queued_at":"2024-05-01T10:00:00Z"}}"""
                .replace("%s", "fedcba9876543210fedcba9876543210");
        assertThat(bench.postJson("/v2/enqueue", v2).statusCode()).isEqualTo(202);

        assertThat(bench.claimAll()).extracting(i -> IngestBench.json(i.body()).get("agent").get("queued_by").asText())
                .containsExactlyInAnyOrder("pd-nagios", "pd-send");
    }

    @Test
    void acceptsAGoPagerDutyChangeEventWithTheExactAnswerOfItsFixture() {
        String body = """
                {"routing_key":"%s","payload":{"summary":"Build Success - Increase snapshot create timeout to 30 seconds",
                 "source":"Test runner","timestamp":"2020-07-17T08:42:58.315+0000",
                 "custom_details":{"build_state":"passed","build_number":"2","run_time":"1236s"}},
                 "links":[{"href":"https://acme.pagerduty.dev/build/2","text":"View more details in Acme!"}]}"""
                .formatted(KEY);
        HttpRequest.Builder request = bench.request("/v2/change/enqueue")
                .header("Content-Type", "application/json")
                .header("User-Agent", "go-pagerduty/1.8.0")
                .POST(HttpRequest.BodyPublishers.ofString(body));

        IngestBench.assertAnswer(bench.send(request), 202, """
                {"message":"Change event processed","status":"success"}""");
        QueuedItem item = bench.onlyItem();
        assertThat(item.destination().target()).isEqualTo("/v2/change/enqueue");
        assertThat(item.dedupKey()).isNull();
    }
}
