package io.pdaltagent.cli;

import static io.pdaltagent.cli.IntegrationRecorder.AGENT_ID;
import static io.pdaltagent.cli.IntegrationRecorder.NOW;
import static io.pdaltagent.cli.IntegrationRecorder.fixture;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * pd-zabbix builds the event PagerDuty Agent's pd-zabbix queued, byte for byte.
 *
 * <p>Sources in PagerDuty/pdagent-integrations: {@code bin/pd-zabbix} (b515e87 and 22dda19: body
 * parsing, incident key, description, {@code MAX_DESCRIPTION_LEN}); {@code pdagenttestinteg/test_10_zabbix.sh}
 * and its fixtures {@code test_10_zabbix.pdq1.txt} (74cb1d3) and {@code .pdq2.txt} (fa3beaf, which added
 * the empty {@code client} / {@code client_url} of pdagent 1.4's {@code queue_event}); merged pull
 * requests #26 (an "Escalation cancelled" trigger becomes a resolve), #32 ({@code url} line) and #37
 * ({@code incident_key} line), whose behaviour PagerDuty's go-pdagent port pins in
 * {@code cmd/integrations/zabbix/zabbix_enqueue_test.go}.
 */
class PdZabbixTest {
    static final String TRIGGER_BODY = """
            name:Zabbix server: just restarted
            id:13502
            status:PROBLEM
            hostname:Zabbix server
            ip:127.0.0.1
            value:1
            event_id:70
            severity:High""";

    private final IntegrationRecorder rec = new IntegrationRecorder();

    private int run(String... args) {
        return PdZabbix.run(args, rec.err, rec, NOW, AGENT_ID);
    }

    @Test
    void aTriggerIsTheOriginalFixtureAndPrintsNothing() {
        // test_10_zabbix.sh test_zabbix_trigger; test_10_zabbix.pdq1.txt (74cb1d3) with pdagent 1.4's client fields
        int code = run("DUMMY_SERVICE_KEY", "trigger", TRIGGER_BODY);

        assertThat(code).isZero();
        assertThat(rec.onlyBody()).isEqualTo(fixture("""
                {"agent":{"agent_id":"SOME_ID","queued_at":"SOME_TIME","queued_by":"pd-zabbix"},"client":"","client_url":"",\
                "description":"Zabbix server: just restarted : PROBLEM for Zabbix server","details":{"event_id":"70",\
                "hostname":"Zabbix server","id":"13502","ip":"127.0.0.1","name":"Zabbix server: just restarted",\
                "severity":"High","status":"PROBLEM","value":"1"},"event_type":"trigger",\
                "incident_key":"13502-Zabbix server","service_key":"DUMMY_SERVICE_KEY"}
                """));
        assertThat(rec.events.get(0).path()).isEqualTo("/generic/2010-04-15/create_event.json");
        assertThat(rec.events.get(0).dedupKey()).isEqualTo("13502-Zabbix server");
        assertThat(rec.out()).isEmpty();
        assertThat(rec.err()).isEmpty();
    }

    @Test
    void aResolveIsTheOriginalFixture() {
        // test_10_zabbix.sh test_zabbix_resolve; test_10_zabbix.pdq2.txt (fa3beaf)
        int code = run("DUMMY_SERVICE_KEY", "resolve", """
                name:Zabbix server: just restarted
                id:13502
                status:OK
                hostname:Zabbix server
                ip:127.0.0.1
                value:0
                event_id:126
                severity:High""");

        assertThat(code).isZero();
        assertThat(rec.onlyBody()).isEqualTo(fixture("""
                {"agent":{"agent_id":"SOME_ID","queued_at":"SOME_TIME","queued_by":"pd-zabbix"},"client":"","client_url":"",\
                "description":"Zabbix server: just restarted : OK for Zabbix server","details":{"event_id":"126",\
                "hostname":"Zabbix server","id":"13502","ip":"127.0.0.1","name":"Zabbix server: just restarted",\
                "severity":"High","status":"OK","value":"0"},"event_type":"resolve","incident_key":"13502-Zabbix server",\
                "service_key":"DUMMY_SERVICE_KEY"}
                """));
    }

    @Test
    void aTriggerWithEscalationCancelledBecomesAResolveOfTheSameIncident() {
        // pull request #26; go-pdagent zabbix_enqueue_test.go "resolvingIncidentWithNote". Zabbix appends
        // "NOTE: Escalation cancelled: ..." to the message when the host, trigger or action was disabled
        int code = run("KEY", "trigger", TRIGGER_BODY + "\nNOTE: Escalation cancelled: host \"Zabbix server\" disabled.");

        assertThat(code).isZero();
        assertThat(rec.onlyBody()).contains("\"event_type\":\"resolve\"", "\"incident_key\":\"13502-Zabbix server\"",
                "\"NOTE\":\" Escalation cancelled: host \\\"Zabbix server\\\" disabled."
                        + " (converted from trigger to resolve by pdagent integration)\"");
    }

    @Test
    void onlyATriggerIsConvertedByTheEscalationNote() {
        run("KEY", "acknowledge", TRIGGER_BODY + "\nNOTE:Escalation cancelled");

        assertThat(rec.onlyBody()).contains("\"event_type\":\"acknowledge\"", "\"NOTE\":\"Escalation cancelled\"");
    }

    @Test
    void theSubjectIsTheEventTypeAsItIs() {
        // bin/pd-zabbix _parse_zabbix_subject returns the subject unchanged
        run("KEY", "acknowledge", TRIGGER_BODY);

        assertThat(rec.onlyBody()).contains("\"event_type\":\"acknowledge\"");
    }

    @Test
    void aUrlLineSetsClientAndClientUrl() {
        // pull request #32; go-pdagent "setClientAndClientUrl"
        run("KEY", "trigger", TRIGGER_BODY + "\nurl:https://zabbix.example.net/tr_events.php?triggerid=13502");

        assertThat(rec.onlyBody()).contains(
                "\"client\":\"Zabbix\",\"client_url\":\"https://zabbix.example.net/tr_events.php?triggerid=13502\"");
    }

    @Test
    void anIncidentKeyLineReplacesTheDefaultKey() {
        // pull request #37; go-pdagent "providedDedupKey": no id line needed then
        run("KEY", "resolve", "name:n\nincident_key:db01-disk\nstatus:OK\nhostname:db01");

        assertThat(rec.onlyBody()).contains("\"incident_key\":\"db01-disk\"", "\"description\":\"n : OK for db01\"");
    }

    @Test
    void linesAreStrippedButValuesKeepTheirSpacesAfterTheColon() {
        // _parse_zabbix_body: line.strip().split(':', 1) over body.strip().split('\n')
        run("KEY", "trigger", "\r\n  name: Disk full \r\n\tid:7\r\nstatus:PROBLEM\r\nhostname:db01\r\n\n");

        assertThat(rec.onlyBody()).contains("\"description\":\" Disk full : PROBLEM for db01\"",
                "\"incident_key\":\"7-db01\"", "\"name\":\" Disk full\"");
    }

    @Test
    void theDescriptionIsCutTo1024Characters() {
        // bin/pd-zabbix (22dda19): description[:MAX_DESCRIPTION_LEN]
        String name = "x".repeat(2000);
        run("KEY", "trigger", "name:" + name + "\nid:1\nstatus:PROBLEM\nhostname:h");

        assertThat(rec.onlyBody()).contains("\"description\":\"" + "x".repeat(1024) + "\"");
    }

    @Test
    void aBodyLineWithoutAColonFailsWithExitCodeOne() {
        // _parse_zabbix_body: dict() of a one-element split raises ValueError: traceback, exit 1
        // (pull request #30, which would have tolerated such lines, was closed unmerged)
        int code = run("KEY", "trigger", TRIGGER_BODY + "\nsecond line of a name");

        assertThat(code).isEqualTo(1);
        assertThat(rec.events).isEmpty();
        assertThat(rec.err()).isEqualTo(
                "pd-zabbix: error: line 9 of the message body is not key:value: 'second line of a name'\n");
    }

    @Test
    void aMissingLineFailsWithExitCodeOne() {
        // details["id"], details["hostname"], details["name"], details["status"]: KeyError, exit 1
        int code = run("KEY", "trigger", "name:n\nstatus:PROBLEM\nhostname:h");

        assertThat(code).isEqualTo(1);
        assertThat(rec.err()).isEqualTo("pd-zabbix: error: the message body has no 'id:' line\n");
        assertThat(rec.events).isEmpty();
    }

    @Test
    void fewerThanThreeArgumentsFailWithExitCodeOne() {
        // sys.argv[3]: IndexError, exit 1
        int code = run("KEY", "trigger");

        assertThat(code).isEqualTo(1);
        assertThat(rec.err()).isEqualTo("pd-zabbix: error: expected 3 arguments: SERVICE_KEY SUBJECT BODY (got 2)\n");
        assertThat(rec.events).isEmpty();
    }

    @Test
    void anEventTheAgentRefusesFailsWithExitCodeOne() {
        rec.answer(new AgentClient.Result.Rejected(400, "event_type is invalid (must be one of: trigger acknowledge resolve)"));

        int code = run("KEY", "PROBLEM", TRIGGER_BODY);

        assertThat(code).isEqualTo(1);
        assertThat(rec.err()).isEqualTo("pd-zabbix: the agent refused the event (400): "
                + "event_type is invalid (must be one of: trigger acknowledge resolve)\n");
    }
}
