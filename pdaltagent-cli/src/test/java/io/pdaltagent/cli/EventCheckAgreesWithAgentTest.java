package io.pdaltagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.ingest.Intake;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * pd-send's local checks ({@link EventCheck}) and the agent's validator (through its one intake
 * path, {@link Intake#validationErrors}) agree on every rule: for every combination of values of
 * every checked field on every typed path, both report the same problems in the same order. A
 * rule added on one side only fails here.
 */
class EventCheckAgreesWithAgentTest {
    private static final String KEY = "0123456789abcdef0123456789abcdef";
    /** Values a field may take: absent, JSON null, blank, the wrong types, good, too long. */
    private static final String ABSENT = "<absent>";
    private static final List<String> ANY = List.of(ABSENT, "null", "\"\"", "\"  \"", "42", "true", "{}", "[]");

    private static List<String> strings(String... good) {
        List<String> l = new ArrayList<>(ANY);
        for (String g : good) {
            l.add("\"" + g + "\"");
        }
        return l;
    }

    private static String tooLong(int n) {
        return "x".repeat(n);
    }

    @Test
    void v2AlertEventsGetTheSameProblemsFromPdSendAndTheAgent() {
        int cases = 0;
        for (String key : strings(KEY, "short", "R" + KEY.substring(1))) {
            for (String action : strings("trigger", "acknowledge", "resolve", "Trigger")) {
                for (String dedup : strings("d-1", tooLong(256))) {
                    for (String payload : payloads()) {
                        Map<String, String> f = new LinkedHashMap<>();
                        f.put("routing_key", key);
                        f.put("event_action", action);
                        f.put("dedup_key", dedup);
                        f.put("payload", payload);
                        agree(EventCheck.V2_PATH, object(f));
                        cases++;
                    }
                }
            }
        }
        assertThat(cases).isGreaterThan(1000);
    }

    @Test
    void changeEventsGetTheSameProblemsFromPdSendAndTheAgent() {
        for (String key : strings(KEY, "short", "R" + KEY.substring(1))) {
            for (String payload : payloads()) {
                Map<String, String> f = new LinkedHashMap<>();
                f.put("routing_key", key);
                f.put("payload", payload);
                agree(EventCheck.CHANGE_PATH, object(f));
            }
        }
    }

    @Test
    void v1EventsGetTheSameProblemsFromPdSendAndTheAgent() {
        for (String key : strings(KEY, "short")) {
            for (String type : strings("trigger", "acknowledge", "resolve", "resolved")) {
                for (String incident : strings("i-1", tooLong(256))) {
                    for (String description : strings("disk full", tooLong(1025))) {
                        Map<String, String> f = new LinkedHashMap<>();
                        f.put("service_key", key);
                        f.put("event_type", type);
                        f.put("incident_key", incident);
                        f.put("description", description);
                        agree(EventCheck.V1_PATH, object(f));
                    }
                }
            }
        }
    }

    private static List<String> payloads() {
        List<String> p = new ArrayList<>(List.of(ABSENT, "null", "42", "\"text\"", "[]", "{}"));
        for (String summary : List.of(ABSENT, "\"\"", "7", "\"s\"", "\"" + tooLong(1025) + "\"", "\"" + "é".repeat(1024) + "\"")) {
            for (String source : List.of(ABSENT, "\" \"", "\"db01\"", "false")) {
                for (String severity : List.of(ABSENT, "\"critical\"", "\"info\"", "\"fatal\"", "3")) {
                    Map<String, String> f = new LinkedHashMap<>();
                    f.put("summary", summary);
                    f.put("source", source);
                    f.put("severity", severity);
                    p.add(object(f));
                }
            }
        }
        return p;
    }

    private static String object(Map<String, String> fields) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, String> e : fields.entrySet()) {
            if (e.getValue().equals(ABSENT)) {
                continue;
            }
            b.append(b.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":").append(e.getValue());
        }
        return b.append('}').toString();
    }

    private static void agree(String path, String body) {
        List<String> cli = EventCheck.problems(path, Json.parseObject(body));
        List<String> agent = Intake.validationErrors(path, body.getBytes(StandardCharsets.UTF_8));
        assertThat(cli).as("pd-send's checks of %s on %s", body, path).isEqualTo(agent);
    }
}
