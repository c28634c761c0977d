package io.pdaltagent.cli;

import static io.pdaltagent.cli.IntegrationRecorder.AGENT_ID;
import static io.pdaltagent.cli.IntegrationRecorder.NOW;
import static io.pdaltagent.cli.IntegrationRecorder.QUEUED_AT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * pd-sensu builds the event PagerDuty Agent's pd-sensu queued.
 *
 * <p>Sources in PagerDuty/pdagent-integrations: {@code bin/pd-sensu} (22dda19, the released
 * V1-only script; the V2 variant 5d8dd10 is pull request #33, closed unmerged),
 * {@code pdagenttestinteg/test_30_sensu.sh} (8343fbc: the expected object, built from the input)
 * and its input {@code test_30_sensu.generic.json} (315e581).
 */
class PdSensuTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** test_30_sensu.generic.json (315e581), placeholders to fill. */
    static final String GENERIC = """
            {"client":{"name":"{{clientname}}","address":"127.0.0.1","environment":"development",\
            "subscriptions":["production","client:{{checkname}}"],"socket":{"bind":"127.0.0.1","port":3030},\
            "version":"0.26.5","timestamp":1485537856},"check":{"command":"/etc/sensu/plugins/checkhost.py",\
            "subscribers":["production"],"interval":20,"standalone":true,"handlers":["pagerduty"],"name":"{{checkname}}",\
            "issued":1485537846,"executed":1485537856,"duration":"0.25E-1","output":"{{output}}","status":2,\
            "type":"standard","history":["1"],"total_state_change":1},"occurrences":1,"occurrences_watermark":1,\
            "action":"{{action}}","timestamp":1485537856,"id":"c6ad4f14-5dce-45a0-a4ee-9b0c0631087b",\
            "last_state_change":1485537856,"last_ok":1485537856,"silenced":false,"silenced_by":[]}
            """;

    private final IntegrationRecorder rec = new IntegrationRecorder();

    private int run(String stdin, String... args) {
        return PdSensu.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), rec.out, rec.err, rec,
                NOW, AGENT_ID);
    }

    static String checkResult(String action, String client, String check, String output) {
        return GENERIC.replace("{{action}}", action).replace("{{clientname}}", client).replace("{{checkname}}", check)
                .replace("{{output}}", output);
    }

    /** test_30_sensu.sh test_inout: the expected object, as the script builds it from the input. */
    static JsonNode expected(String input, String eventType, String incidentKey, String description) throws Exception {
        ObjectNode o = MAPPER.createObjectNode();
        o.set("details", MAPPER.readTree(input));
        o.put("incident_key", incidentKey);
        o.put("description", description);
        o.put("service_key", "DUMMY_SERVICE_KEY");
        o.put("event_type", eventType);
        o.put("client", "");
        o.put("client_url", "");
        o.putObject("agent").put("queued_at", QUEUED_AT).put("queued_by", "pd-sensu").put("agent_id", "SOME_ID");
        return o;
    }

    @Test
    void aCreateIsTheTriggerOfTheOriginalTest() throws Exception {
        // test_30_sensu.sh: test_inout 'trigger' 'create' 'DUMMY_CLIENT' 'DUMMY_CHECK' 'SERVERS ON FIRE'
        String input = checkResult("create", "DUMMY_CLIENT", "DUMMY_CHECK", "SERVERS ON FIRE");

        int code = run(input, "-k", "DUMMY_SERVICE_KEY");

        assertThat(code).isZero();
        assertThat(MAPPER.readTree(rec.onlyBody())).isEqualTo(
                expected(input, "trigger", "DUMMY_CLIENT/DUMMY_CHECK", "DUMMY_CLIENT/DUMMY_CHECK : SERVERS ON FIRE"));
        assertThat(rec.events.get(0).path()).isEqualTo("/generic/2010-04-15/create_event.json");
        assertThat(rec.events.get(0).dedupKey()).isEqualTo("DUMMY_CLIENT/DUMMY_CHECK");
        assertThat(rec.out()).isEmpty();
        assertThat(rec.err()).isEmpty();
    }

    @Test
    void aResolveIsTheResolveOfTheOriginalTest() throws Exception {
        // test_30_sensu.sh: test_inout 'resolve' 'resolve' 'DUMMY_CLIENT' 'DUMMY_CHECK' 'SERVERS SMOKIN'
        String input = checkResult("resolve", "DUMMY_CLIENT", "DUMMY_CHECK", "SERVERS SMOKIN");

        assertThat(run(input, "-k", "DUMMY_SERVICE_KEY")).isZero();
        assertThat(MAPPER.readTree(rec.onlyBody())).isEqualTo(
                expected(input, "resolve", "DUMMY_CLIENT/DUMMY_CHECK", "DUMMY_CLIENT/DUMMY_CHECK : SERVERS SMOKIN"));
    }

    @Test
    void theDetailsAreTheCheckResultWithKeysSortedAndNumbersKept() {
        // _build_event_json_str: json.dumps(..., sort_keys=True)
        run(checkResult("create", "c", "k", "o"), "-k", "KEY");

        assertThat(rec.onlyBody()).startsWith("{\"agent\":{").contains(
                "\"details\":{\"action\":\"create\",\"check\":{\"command\":\"/etc/sensu/plugins/checkhost.py\",",
                "\"duration\":\"0.25E-1\"", "\"issued\":1485537846", "\"silenced\":false,\"silenced_by\":[]");
    }

    @Test
    void anyOtherActionIsATrigger() {
        // bin/pd-sensu: event_types = {'resolve':'resolve', 'create':'trigger'}, else 'trigger'
        run(checkResult("flapping", "c", "k", "o"), "-k", "KEY");

        assertThat(rec.onlyBody()).contains("\"event_type\":\"trigger\"");
    }

    @Test
    void aGivenIncidentKeyIsUsedForTheKeyAndTheDescription() {
        run(checkResult("create", "c", "k", "disk 95%"), "-k", "KEY", "-i", "custom");

        assertThat(rec.onlyBody()).contains("\"incident_key\":\"custom\"", "\"description\":\"custom : disk 95%\"");
    }

    @Test
    void withoutAClientTheIdIsTheIncidentKey() {
        // bin/pd-sensu: else self._incident_key = details['id']
        run("{\"action\":\"create\",\"id\":\"abc-123\",\"check\":{\"name\":\"disk\",\"output\":\"full\"}}", "-k", "KEY");

        assertThat(rec.onlyBody()).contains("\"incident_key\":\"abc-123\"", "\"description\":\"abc-123 : full\"");
    }

    @Test
    void theDescriptionIsCutTo1024Characters() {
        // bin/pd-sensu (22dda19): description[:MAX_DESCRIPTION_LEN]
        run(checkResult("create", "c", "k", "y".repeat(3000)), "-k", "KEY");

        assertThat(rec.onlyBody()).contains("\"description\":\"c/k : " + "y".repeat(1024 - 6) + "\"");
    }

    @Test
    void inputThatIsNoJsonFailsWithExitCodeOne() {
        int code = run("not json", "-k", "KEY");

        assertThat(code).isEqualTo(1);
        assertThat(rec.err()).startsWith("pd-sensu: error: Invalid JSON (length 8) on stdin:");
        assertThat(rec.events).isEmpty();
    }

    @Test
    void aCheckResultWithoutActionOrOutputFailsWithExitCodeOne() {
        assertThat(run("{\"client\":{\"name\":\"c\"},\"check\":{\"name\":\"k\",\"output\":\"o\"}}", "-k", "KEY")).isEqualTo(1);
        assertThat(rec.err()).isEqualTo("pd-sensu: error: the check result has no 'action'\n");

        IntegrationRecorder r = new IntegrationRecorder();
        int code = PdSensu.run(new String[] {"-k", "KEY"}, new ByteArrayInputStream(
                "{\"action\":\"create\",\"client\":{\"name\":\"c\"},\"check\":{\"name\":\"k\"}}".getBytes(StandardCharsets.UTF_8)),
                r.out, r.err, r, NOW, AGENT_ID);
        assertThat(code).isEqualTo(1);
        assertThat(r.err()).isEqualTo("pd-sensu: error: the check result has no 'check.output'\n");
        assertThat(rec.events).isEmpty();
        assertThat(r.events).isEmpty();
    }

    @Test
    void aMissingIntegrationKeyIsAUsageError() {
        int code = run(checkResult("create", "c", "k", "o"));

        assertThat(code).isEqualTo(2);
        assertThat(rec.err()).isEqualTo("usage: pd-sensu [-h] -k INTEGRATION_KEY [-i INCIDENT_KEY]\n"
                + "pd-sensu: error: the following arguments are required: -k/--integration-key\n");
        assertThat(rec.events).isEmpty();
    }

    @Test
    void theLongFlagNamesWork() {
        run(checkResult("create", "c", "k", "o"), "--integration-key=KEY", "--incident-key", "ik");

        assertThat(rec.onlyBody()).contains("\"service_key\":\"KEY\"", "\"incident_key\":\"ik\"");
    }
}
