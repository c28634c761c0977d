package io.pdaltagent.cli;

import static io.pdaltagent.cli.IntegrationRecorder.AGENT_ID;
import static io.pdaltagent.cli.IntegrationRecorder.NOW;
import static io.pdaltagent.cli.IntegrationRecorder.fixture;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * pd-nagios builds the event PagerDuty Agent's pd-nagios queued, byte for byte.
 *
 * <p>Sources, all in PagerDuty/pdagent-integrations: {@code bin/pd-nagios} at 2185388 (the script),
 * {@code pdagenttestinteg/test_20_nagios.sh} at e9f3b9c (the command lines) and its fixtures
 * {@code test_20_nagios.{service,host}.{trigger,resolve}.txt} at e9f3b9c / fa3beaf (the queued JSON,
 * agent id and time replaced by {@code SOME_ID} / {@code SOME_TIME} by the script's {@code fix_events}).
 */
class PdNagiosTest {
    private final IntegrationRecorder rec = new IntegrationRecorder();

    private int run(String... args) {
        return PdNagios.run(args, rec.out, rec.err, rec, NOW, AGENT_ID);
    }

    @Test
    void serviceProblemIsTheTriggerOfTheOriginalFixture() {
        // test_20_nagios.sh (e9f3b9c) test_service_trigger
        int code = run("-k", "DUMMY_SERVICE_KEY", "-t", "PROBLEM", "-n", "service", "-f", "HOSTNAME=service.test.local",
                "-f", "SERVICEDESC=service=test-service", "-f", "SERVICESTATE=critical");

        assertThat(code).isZero();
        // test_20_nagios.service.trigger.txt (e9f3b9c): a value keeps every '=' after the first
        assertThat(rec.onlyBody()).isEqualTo(fixture("""
                {"agent":{"agent_id":"SOME_ID","queued_at":"SOME_TIME","queued_by":"pd-nagios"},"client":"","client_url":"",\
                "description":"SERVICEDESC=service=test-service; SERVICESTATE=critical; HOSTNAME=service.test.local",\
                "details":{"HOSTNAME":"service.test.local","SERVICEDESC":"service=test-service","SERVICESTATE":"critical",\
                "pd_nagios_object":"service"},"event_type":"trigger",\
                "incident_key":"event_source=service;host_name=service.test.local;service_desc=service=test-service",\
                "service_key":"DUMMY_SERVICE_KEY"}
                """));
        assertThat(rec.events.get(0).path()).isEqualTo("/generic/2010-04-15/create_event.json");
        assertThat(rec.events.get(0).contentType()).isEqualTo("application/json");
        assertThat(rec.events.get(0).dedupKey())
                .isEqualTo("event_source=service;host_name=service.test.local;service_desc=service=test-service");
        // bin/pd-nagios main: print("Event processed. Incident Key:", incident_key)
        assertThat(rec.out()).isEqualTo(
                "Event processed. Incident Key: event_source=service;host_name=service.test.local;service_desc=service=test-service\n");
        assertThat(rec.err()).isEmpty();
    }

    @Test
    void serviceRecoveryIsTheResolveOfTheOriginalFixture() {
        // test_20_nagios.sh (e9f3b9c) test_service_resolve; test_20_nagios.service.resolve.txt (e9f3b9c)
        int code = run("-k", "DUMMY_SERVICE_KEY", "-t", "RECOVERY", "-n", "service", "-f", "HOSTNAME=service.test.local",
                "-f", "SERVICEDESC=service=test-service", "-f", "SERVICESTATE=critical");

        assertThat(code).isZero();
        assertThat(rec.onlyBody()).isEqualTo(fixture("""
                {"agent":{"agent_id":"SOME_ID","queued_at":"SOME_TIME","queued_by":"pd-nagios"},"client":"","client_url":"",\
                "description":"SERVICEDESC=service=test-service; SERVICESTATE=critical; HOSTNAME=service.test.local",\
                "details":{"HOSTNAME":"service.test.local","SERVICEDESC":"service=test-service","SERVICESTATE":"critical",\
                "pd_nagios_object":"service"},"event_type":"resolve",\
                "incident_key":"event_source=service;host_name=service.test.local;service_desc=service=test-service",\
                "service_key":"DUMMY_SERVICE_KEY"}
                """));
    }

    @Test
    void hostProblemAndRecoveryAreTheOriginalFixtures() {
        // test_20_nagios.sh (e9f3b9c) test_host_trigger / test_host_resolve;
        // test_20_nagios.host.trigger.txt and .host.resolve.txt (fa3beaf)
        assertThat(run("-k", "DUMMY_SERVICE_KEY", "-t", "PROBLEM", "-n", "host", "-f", "HOSTNAME=host.test.local",
                "-f", "HOSTSTATE=critical")).isZero();
        assertThat(run("-k", "DUMMY_SERVICE_KEY", "-t", "RECOVERY", "-n", "host", "-f", "HOSTNAME=host.test.local",
                "-f", "HOSTSTATE=critical")).isZero();

        assertThat(rec.events).extracting(OutboundEvent::body).containsExactly(fixture("""
                {"agent":{"agent_id":"SOME_ID","queued_at":"SOME_TIME","queued_by":"pd-nagios"},"client":"","client_url":"",\
                "description":"HOSTNAME=host.test.local; HOSTSTATE=critical","details":{"HOSTNAME":"host.test.local",\
                "HOSTSTATE":"critical","pd_nagios_object":"host"},"event_type":"trigger",\
                "incident_key":"event_source=host;host_name=host.test.local","service_key":"DUMMY_SERVICE_KEY"}
                """), fixture("""
                {"agent":{"agent_id":"SOME_ID","queued_at":"SOME_TIME","queued_by":"pd-nagios"},"client":"","client_url":"",\
                "description":"HOSTNAME=host.test.local; HOSTSTATE=critical","details":{"HOSTNAME":"host.test.local",\
                "HOSTSTATE":"critical","pd_nagios_object":"host"},"event_type":"resolve",\
                "incident_key":"event_source=host;host_name=host.test.local","service_key":"DUMMY_SERVICE_KEY"}
                """));
    }

    @Test
    void acknowledgementIsAnAcknowledgeAndEveryFieldGoesIntoTheDetails() {
        // bin/pd-nagios _pagerduty_event_type: ACKNOWLEDGEMENT -> acknowledge; the fields of
        // pagerduty_nagios.cfg's notify-host-by-pagerduty all land in details
        int code = run("-n", "host", "-k", "KEY", "-t", "ACKNOWLEDGEMENT", "-f", "HOSTNAME=db01", "-f", "HOSTSTATE=DOWN",
                "-f", "HOSTDISPLAYNAME=Database 1", "-f", "HOSTPROBLEMID=42");

        assertThat(code).isZero();
        assertThat(rec.onlyBody()).isEqualTo(fixture("""
                {"agent":{"agent_id":"SOME_ID","queued_at":"SOME_TIME","queued_by":"pd-nagios"},"client":"","client_url":"",\
                "description":"HOSTNAME=db01; HOSTSTATE=DOWN","details":{"HOSTDISPLAYNAME":"Database 1","HOSTNAME":"db01",\
                "HOSTPROBLEMID":"42","HOSTSTATE":"DOWN","pd_nagios_object":"host"},"event_type":"acknowledge",\
                "incident_key":"event_source=host;host_name=db01","service_key":"KEY"}
                """));
    }

    @Test
    void anIncidentKeyGivenWithDashIReplacesTheDefaultOne() {
        // bin/pd-nagios _incident_key: the given key when there is one
        run("-n", "service", "-k", "KEY", "-t", "PROBLEM", "-i", "my-key", "-f", "HOSTNAME=h", "-f", "SERVICEDESC=s",
                "-f", "SERVICESTATE=CRITICAL");

        assertThat(rec.onlyBody()).contains("\"incident_key\":\"my-key\"");
        assertThat(rec.out()).isEqualTo("Event processed. Incident Key: my-key\n");
    }

    @Test
    void theLastValueOfARepeatedFieldWinsAndPdNagiosObjectCannotBeOverridden() {
        // bin/pd-nagios: dict(f.split("=", 1) for f in fields), then pd_nagios_object appended last
        run("-n", "host", "-k", "KEY", "-t", "PROBLEM", "-f", "HOSTNAME=a", "-f", "HOSTNAME=b", "-f", "HOSTSTATE=",
                "-f", "pd_nagios_object=service");

        assertThat(rec.onlyBody()).contains("\"details\":{\"HOSTNAME\":\"b\",\"HOSTSTATE\":\"\",\"pd_nagios_object\":\"host\"}",
                "\"description\":\"HOSTNAME=b; HOSTSTATE=\"");
    }

    @Test
    void flagsAreAcceptedInEverySpellingArgparseAccepted() {
        int code = run("--notification-type=service", "--service-key", "KEY", "-tPROBLEM", "--incident=K", "--field",
                "HOSTNAME=h", "-fSERVICEDESC=s", "--fie=SERVICESTATE=OK");

        assertThat(code).isZero();
        assertThat(rec.onlyBody()).contains("\"service_key\":\"KEY\"", "\"incident_key\":\"K\"", "\"SERVICESTATE\":\"OK\"");
    }

    @Test
    void clientAndClientUrlOfTheIcinga2SampleAreAccepted() {
        // conf.d/pagerduty-icinga2.conf (07132c9) passes -c NodeName -u https://NodeName/icingaweb2
        run("-n", "host", "-k", "KEY", "-t", "PROBLEM", "-c", "icinga1", "-u", "https://icinga1/icingaweb2",
                "-f", "HOSTNAME=h", "-f", "HOSTSTATE=DOWN");

        assertThat(rec.onlyBody()).contains("\"client\":\"icinga1\",\"client_url\":\"https://icinga1/icingaweb2\"");
    }

    @Test
    void otherNotificationTypesAreAnArgparseInvalidChoice() {
        // bin/pd-nagios: -t has choices=["PROBLEM", "ACKNOWLEDGEMENT", "RECOVERY"]; argparse exits 2
        for (String type : new String[] {"FLAPPINGSTART", "DOWNTIMESTART", "CUSTOM", "problem"}) {
            IntegrationRecorder r = new IntegrationRecorder();
            int code = PdNagios.run(new String[] {"-n", "host", "-k", "KEY", "-t", type, "-f", "HOSTNAME=h",
                    "-f", "HOSTSTATE=UP"}, r.out, r.err, r, NOW, AGENT_ID);

            assertThat(code).as(type).isEqualTo(2);
            assertThat(r.events).isEmpty();
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).startsWith("usage: pd-nagios [-h] -k SERVICE_KEY -t {PROBLEM,ACKNOWLEDGEMENT,RECOVERY}")
                    .endsWith("pd-nagios: error: argument -t/--event-type: invalid choice: '" + type
                            + "' (choose from 'PROBLEM', 'ACKNOWLEDGEMENT', 'RECOVERY')\n");
        }
    }

    @Test
    void missingRequiredFlagsAreAUsageError() {
        int code = run("-k", "KEY");

        assertThat(code).isEqualTo(2);
        assertThat(rec.err()).endsWith(
                "pd-nagios: error: the following arguments are required: -t/--event-type, -n/--notification-type\n");
        assertThat(rec.events).isEmpty();
    }

    @Test
    void missingNagiosFieldsAreAUsageErrorNamingTheRequiredOnes() {
        // bin/pd-nagios _check_required_fields + parser.error(...)
        int service = run("-n", "service", "-k", "KEY", "-t", "PROBLEM", "-f", "HOSTNAME=h", "-f", "SERVICESTATE=OK");
        assertThat(service).isEqualTo(2);
        assertThat(rec.err()).endsWith(
                "pd-nagios: error: Missing fields for type 'service'.  HOSTNAME, SERVICEDESC, SERVICESTATE required\n");

        IntegrationRecorder r = new IntegrationRecorder();
        int host = PdNagios.run(new String[] {"-n", "host", "-k", "KEY", "-t", "RECOVERY", "-i", "given",
                "-f", "HOSTNAME=h"}, r.out, r.err, r, NOW, AGENT_ID);
        assertThat(host).isEqualTo(2);
        assertThat(r.err()).endsWith("pd-nagios: error: Missing fields for type 'host'.  HOSTNAME, HOSTSTATE required\n");
        assertThat(rec.events).isEmpty();
        assertThat(r.events).isEmpty();
    }

    @Test
    void aFieldWithoutAnEqualsSignFailsWithExitCodeOne() {
        // bin/pd-nagios parse_fields: dict() raises ValueError outside the try: a traceback, exit 1
        int code = run("-n", "host", "-k", "KEY", "-t", "PROBLEM", "-f", "HOSTNAME", "-f", "HOSTSTATE=UP");

        assertThat(code).isEqualTo(1);
        assertThat(rec.err()).isEqualTo("pd-nagios: error: field 'HOSTNAME' is not KEY=VALUE\n");
        assertThat(rec.events).isEmpty();
    }

    @Test
    void helpGoesToStdoutWithExitCodeZero() {
        int code = run("-h");

        assertThat(code).isZero();
        assertThat(rec.out()).startsWith("usage: pd-nagios [-h] -k SERVICE_KEY").contains("-f FIELDS, --field FIELDS");
        assertThat(rec.events).isEmpty();
    }

    @Test
    void anEventTheAgentRefusesFailsWithItsReason() {
        rec.answer(new AgentClient.Result.Rejected(400, "Service key is the wrong length (should be 32 characters)"));

        int code = run("-n", "host", "-k", "KEY", "-t", "PROBLEM", "-f", "HOSTNAME=h", "-f", "HOSTSTATE=DOWN");

        assertThat(code).isEqualTo(1);
        assertThat(rec.out()).isEmpty();
        assertThat(rec.err()).isEqualTo("pd-nagios: the agent refused the event (400): "
                + "Service key is the wrong length (should be 32 characters)\n");
    }

    @Test
    void anEventSpooledWhileTheAgentIsDownIsASuccess() {
        rec.answer(new AgentClient.Result.Spooled(Path.of("/var/lib/pdaltagent/spool/1.event"),
                "event_source=host;host_name=h"));

        int code = run("-n", "host", "-k", "KEY", "-t", "PROBLEM", "-f", "HOSTNAME=h", "-f", "HOSTSTATE=DOWN");

        assertThat(code).isZero();
        assertThat(rec.out()).isEqualTo("Event processed. Incident Key: event_source=host;host_name=h\n");
        assertThat(rec.err()).contains("not reachable", "/var/lib/pdaltagent/spool/1.event");
    }

    @Test
    void aFailureToQueueExitsWithTheFailuresCode() {
        PdIntegration.Submitter broken = e -> {
            throw new CliException("cannot queue the event: the agent is not reachable and /var/lib/pdaltagent/spool is not writable");
        };

        int code = PdNagios.run(new String[] {"-n", "host", "-k", "KEY", "-t", "PROBLEM", "-f", "HOSTNAME=h",
                "-f", "HOSTSTATE=DOWN"}, rec.out, rec.err, broken, NOW, AGENT_ID);

        assertThat(code).isEqualTo(1);
        assertThat(rec.out()).isEmpty();
        assertThat(rec.err()).startsWith("pd-nagios: cannot queue the event");
    }
}
