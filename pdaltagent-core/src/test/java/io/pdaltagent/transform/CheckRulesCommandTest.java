package io.pdaltagent.transform;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.testing.ManualClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckRulesCommandTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    private Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = CheckRulesCommand.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), new ManualClock(Instant.parse("2026-06-01T21:00:00Z")));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void validatesAFileAndShowsWhatItsRulesDoToAnEvent() throws Exception {
        Path rules = Files.writeString(dir.resolve("rules.yaml"), """
                rules:
                  - name: quiet-db
                    when: "event.payload.source == 'db01'"
                    actions:
                      - severity: warning
                      - set: {field: payload.custom_details.team, value: dba}
                maintenance_windows:
                  - name: upgrade
                    when: "event.payload.source == 'db02'"
                    start: 2026-06-01T22:00
                    end: 2026-06-02T02:00
                    timezone: Europe/Berlin
                """);
        Run valid = run(rules.toString());
        assertThat(valid.code()).isZero();
        assertThat(valid.out()).contains("valid, 1 rule(s), 1 maintenance window(s)", "rule quiet-db: when",
                "severity warning", "window upgrade: from 2026-06-01T22:00 to 2026-06-02T02:00 (Europe/Berlin)");

        Path db01 = Files.writeString(dir.resolve("e1.json"), """
                {"routing_key":"0123456789abcdef0123456789abcdef","event_action":"trigger",
                 "payload":{"summary":"s","source":"db01","severity":"critical"}}""");
        Run changed = run(rules.toString(), db01.toString());
        assertThat(changed.code()).isZero();
        assertThat(changed.out()).contains("rule quiet-db matched", "Result: changed", "\"severity\" : \"warning\"",
                "\"team\" : \"dba\"", "maintenance window upgrade is open but did not match");

        Path db02 = Files.writeString(dir.resolve("e2.json"), """
                {"routing_key":"0123456789abcdef0123456789abcdef","event_action":"trigger",
                 "payload":{"summary":"s","source":"db02","severity":"critical"}}""");
        assertThat(run(rules.toString(), db02.toString()).out()).contains("Result: suppressed by upgrade");
    }

    @Test
    void aBadFileExitsOneWithEveryProblemNamingTheRuleAndField() throws Exception {
        Path rules = Files.writeString(dir.resolve("bad.yaml"), """
                rules:
                  - name: a
                    when: "event.payload.severity ="
                    actions: [{severity: loud}]
                """);
        Run r = run(rules.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("refused, 2 problem(s)", "rule 'a': field 'when':", "rule 'a': field 'actions[0]'");
        assertThat(run().code()).isEqualTo(2);
    }
}
