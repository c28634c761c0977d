package io.pdaltagent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pdaltagent.testing.AgentProcess;
import io.pdaltagent.testing.EventEndpoint;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ReceivedEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launchers {@code bin/pd-nagios}, {@code bin/pd-zabbix} and {@code bin/pd-sensu}, run as a
 * monitoring system runs them, against {@code bin/pdagentd} delivering to a fake PagerDuty: what
 * arrives at PagerDuty is the Events API v1 event PagerDuty Agent would have sent, on the v1 path.
 */
@Timeout(300)
class IntegrationsIT {
    static final String NAGIOS_KEY = "nagios00000000000000000000000000";
    static final String ZABBIX_KEY = "zabbix00000000000000000000000000";
    static final String SENSU_KEY = "sensu000000000000000000000000000";
    static final String V1_PATH = "/generic/2010-04-15/create_event.json";

    @TempDir
    static Path dir;

    static FakePagerDuty pagerDuty;
    static AgentProcess agent;

    @BeforeAll
    static void startAgent() throws IOException {
        pagerDuty = FakePagerDuty.builder().start();
        agent = new AgentProcess(Map.of(
                "PDAGENTD_DATA_DIR", dir.resolve("data").toString(),
                "PDAGENTD_EVENTS_BASE_URL", pagerDuty.baseUrl()), dir.resolve("agent.log")).startAndAwaitHealthy();
    }

    @AfterAll
    static void stopAgent() throws InterruptedException {
        if (agent != null) {
            agent.close();
        }
        if (pagerDuty != null) {
            pagerDuty.close();
        }
    }

    @Test
    void aNagiosServiceProblemThenRecoveryTriggerAndResolveOneIncident() throws Exception {
        Run problem = run("pd-nagios", null, "-n", "service", "-k", NAGIOS_KEY, "-t", "PROBLEM",
                "-f", "SERVICEDESC=HTTP", "-f", "SERVICESTATE=CRITICAL", "-f", "HOSTNAME=web01",
                "-f", "SERVICEOUTPUT=HTTP CRITICAL: HTTP/1.1 503 - 0.002 second response time");
        Run recovery = run("pd-nagios", null, "-n", "service", "-k", NAGIOS_KEY, "-t", "RECOVERY",
                "-f", "SERVICEDESC=HTTP", "-f", "SERVICESTATE=OK", "-f", "HOSTNAME=web01",
                "-f", "SERVICEOUTPUT=HTTP OK: HTTP/1.1 200 OK");

        String key = "event_source=service;host_name=web01;service_desc=HTTP";
        assertThat(problem.exitCode).as(problem.toString()).isZero();
        assertThat(problem.stdout).isEqualTo("Event processed. Incident Key: " + key + "\n");
        assertThat(recovery.exitCode).as(recovery.toString()).isZero();
        assertThat(recovery.stdout).isEqualTo("Event processed. Incident Key: " + key + "\n");

        List<ReceivedEvent> received = awaitReceived(NAGIOS_KEY, key, 2);
        assertThat(received).extracting(ReceivedEvent::path).containsOnly(V1_PATH);
        assertThat(received).extracting(ReceivedEvent::endpoint).containsOnly(EventEndpoint.EVENTS_V1);
        assertThat(received).extracting(ReceivedEvent::eventAction).containsExactly("trigger", "resolve");
        JsonNode trigger = received.get(0).json();
        assertThat(trigger.get("description").asText()).isEqualTo("SERVICEDESC=HTTP; SERVICESTATE=CRITICAL; HOSTNAME=web01");
        assertThat(trigger.get("details").get("SERVICEOUTPUT").asText()).startsWith("HTTP CRITICAL");
        assertThat(trigger.get("details").get("pd_nagios_object").asText()).isEqualTo("service");
        assertThat(trigger.get("agent").get("queued_by").asText()).isEqualTo("pd-nagios");
        assertThat(trigger.get("agent").get("queued_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(received.get(1).json().get("details").get("SERVICESTATE").asText()).isEqualTo("OK");
    }

    @Test
    void aNagiosHostAcknowledgementAcknowledgesTheHostIncident() throws Exception {
        Run ack = run("pd-nagios", null, "-n", "host", "-k", NAGIOS_KEY, "-t", "ACKNOWLEDGEMENT",
                "-f", "HOSTNAME=db01", "-f", "HOSTSTATE=DOWN", "-f", "HOSTPROBLEMID=42");

        assertThat(ack.exitCode).as(ack.toString()).isZero();
        assertThat(ack.stdout).isEqualTo("Event processed. Incident Key: event_source=host;host_name=db01\n");
        ReceivedEvent event = awaitReceived(NAGIOS_KEY, "event_source=host;host_name=db01", 1).get(0);
        assertThat(event.eventAction()).isEqualTo("acknowledge");
        assertThat(event.path()).isEqualTo(V1_PATH);
        assertThat(event.json().get("description").asText()).isEqualTo("HOSTNAME=db01; HOSTSTATE=DOWN");
    }

    @Test
    void aNagiosFlappingNotificationIsRefusedAndSendsNothing() throws Exception {
        Run flapping = run("pd-nagios", null, "-n", "host", "-k", NAGIOS_KEY, "-t", "FLAPPINGSTART",
                "-f", "HOSTNAME=flappy", "-f", "HOSTSTATE=UP");

        assertThat(flapping.exitCode).isEqualTo(2);
        assertThat(flapping.stderr).contains("pd-nagios: error: argument -t/--event-type: invalid choice: 'FLAPPINGSTART'");
        assertThat(flapping.stdout).isEmpty();
    }

    @Test
    void aZabbixTriggerThenAnEscalationCancelledTriggerResolveTheIncident() throws Exception {
        String body = """
                name:Free disk space is less than 20% on volume /
                id:13491
                status:PROBLEM
                hostname:zabbix-db
                ip:10.0.0.7
                value:1
                event_id:4217
                severity:Warning""";
        Run trigger = run("pd-zabbix", null, ZABBIX_KEY, "trigger", body);
        // what Zabbix sends when the host was disabled while the problem was open
        Run cancelled = run("pd-zabbix", null, ZABBIX_KEY, "trigger",
                body + "\nNOTE: Escalation cancelled: host \"zabbix-db\" disabled.");

        assertThat(trigger.exitCode).as(trigger.toString()).isZero();
        assertThat(trigger.stdout).isEmpty();
        assertThat(cancelled.exitCode).as(cancelled.toString()).isZero();
        assertThat(cancelled.stdout).isEmpty();
        List<ReceivedEvent> received = awaitReceived(ZABBIX_KEY, "13491-zabbix-db", 2);
        assertThat(received).extracting(ReceivedEvent::eventAction).containsExactly("trigger", "resolve");
        assertThat(received).extracting(ReceivedEvent::path).containsOnly(V1_PATH);
        assertThat(received.get(0).json().get("description").asText())
                .isEqualTo("Free disk space is less than 20% on volume / : PROBLEM for zabbix-db");
        assertThat(received.get(1).json().get("details").get("NOTE").asText())
                .endsWith("disabled. (converted from trigger to resolve by pdagent integration)");
    }

    @Test
    void aSensuCheckResultOnStdinTriggersAnIncident() throws Exception {
        String checkResult = """
                {"id":"2b1e2f3c-7a5d-4c3b-9f5e-6a1d2c3b4a5f","action":"create","occurrences":1,
                 "client":{"name":"app01","address":"10.0.0.9","subscriptions":["production"],"timestamp":1714557600},
                 "check":{"name":"check_disk","command":"check-disk-usage.rb -w 80 -c 90","status":2,
                          "output":"CheckDisk CRITICAL: / 93% bytes usage","issued":1714557600,"handlers":["pagerduty"]}}
                """;
        Run sensu = run("pd-sensu", checkResult, "-k", SENSU_KEY);

        assertThat(sensu.exitCode).as(sensu.toString()).isZero();
        assertThat(sensu.stdout).isEmpty();
        ReceivedEvent event = awaitReceived(SENSU_KEY, "app01/check_disk", 1).get(0);
        assertThat(event.eventAction()).isEqualTo("trigger");
        assertThat(event.path()).isEqualTo(V1_PATH);
        JsonNode json = event.json();
        assertThat(json.get("description").asText()).isEqualTo("app01/check_disk : CheckDisk CRITICAL: / 93% bytes usage");
        assertThat(json.get("details").get("check").get("status").asInt()).isEqualTo(2);
        assertThat(json.get("agent").get("queued_by").asText()).isEqualTo("pd-sensu");
    }

    private static List<ReceivedEvent> awaitReceived(String routingKey, String incidentKey, int count) {
        await().atMost(Duration.ofSeconds(30)).until(() -> ofIncident(routingKey, incidentKey).size() >= count);
        return ofIncident(routingKey, incidentKey);
    }

    private static List<ReceivedEvent> ofIncident(String routingKey, String incidentKey) {
        List<ReceivedEvent> list = new ArrayList<>();
        for (ReceivedEvent e : pagerDuty.accepted(routingKey)) {
            if (incidentKey.equals(e.dedupKey())) {
                list.add(e);
            }
        }
        return list;
    }

    /** One run of a launcher. */
    record Run(int exitCode, String stdout, String stderr) {
    }

    /** Runs {@code bin/<command>} with the agent's URL in its environment, as a monitoring system would. */
    static Run run(String command, String stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(AgentProcess.projectRoot().resolve("bin").resolve(command).toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PDSEND_EVENTS_BASE_URL", agent.baseUrl());
        pb.environment().put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        Path out = Files.createTempFile(dir, command, ".out");
        Path err = Files.createTempFile(dir, command, ".err");
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish within 120 s");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
