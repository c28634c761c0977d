package io.pdaltagent.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pdaltagent.config.ConfigException;
import io.pdaltagent.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each condition and action of the rules file, its validation messages, and hot reload. */
class RulesTest {
    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    private static final String KEY = "0123456789abcdef0123456789abcdef";
    private static final String OTHER_KEY = "fedcba9876543210fedcba9876543210";

    static ObjectNode event(String summary, String source, String severity) throws Exception {
        return (ObjectNode) MAPPER.readTree("""
                {"routing_key":"%s","event_action":"trigger","dedup_key":"d1",
                 "payload":{"summary":"%s","source":"%s","severity":"%s","custom_details":{"host":"db01","n":3}}}"""
                .formatted(KEY, summary, source, severity));
    }

    static TransformEvent run(String yaml, ObjectNode event, Instant now, List<String> trace) throws Exception {
        RuleSet rs = RulesFile.parse("test.yaml", yaml.getBytes(StandardCharsets.UTF_8));
        TransformEvent te = new TransformEvent(event, TransformEvent.Kind.V2, KEY);
        rs.apply(te, now, new ConcurrentHashMap<>(), trace);
        return te;
    }

    static TransformEvent run(String yaml, ObjectNode event) throws Exception {
        return run(yaml, event, Instant.parse("2026-01-01T00:00:00Z"), null);
    }

    @Test
    void setsRemovesRenamesAndSetsSeverityWhenTheConditionHolds() throws Exception {
        ObjectNode e = event("disk full on db01", "db01", "critical");
        TransformEvent te = run("""
                rules:
                  - name: db
                    when: "event.payload.source.startsWith('db') && event.payload.custom_details.n > 2"
                    actions:
                      - set: {field: payload.custom_details.team, value: dba}
                      - remove: payload.custom_details.n
                      - rename: {from: payload.custom_details.host, to: payload.custom_details.hostname}
                      - severity: warning
                """, e);
        assertThat(te.changed()).isTrue();
        assertThat(e.at("/payload/custom_details/team").textValue()).isEqualTo("dba");
        assertThat(e.at("/payload/custom_details").has("n")).isFalse();
        assertThat(e.at("/payload/custom_details/hostname").textValue()).isEqualTo("db01");
        assertThat(e.at("/payload/custom_details").has("host")).isFalse();
        assertThat(e.at("/payload/severity").textValue()).isEqualTo("warning");
    }

    @Test
    void leavesTheEventAloneWhenTheConditionDoesNotHold() throws Exception {
        ObjectNode e = event("disk full", "web01", "critical");
        TransformEvent te = run("""
                rules:
                  - name: db
                    when: "event.payload.source == 'db01'"
                    actions: [suppress]
                """, e);
        assertThat(te.changed()).isFalse();
        assertThat(te.suppressedBy()).isNull();
    }

    @Test
    void extractsARegexCaptureIntoAField() throws Exception {
        ObjectNode e = event("CPU high host=web-7 region=eu", "mon", "error");
        run("""
                rules:
                  - name: host
                    actions:
                      - extract: {from: payload.summary, regex: 'host=(\\S+)', to: payload.custom_details.host}
                """, e);
        assertThat(e.at("/payload/custom_details/host").textValue()).isEqualTo("web-7");
    }

    @Test
    void routesToAnotherKeySuppressesNamingTheRuleAndStops() throws Exception {
        ObjectNode e = event("noise", "test-box", "info");
        TransformEvent te = run("""
                rules:
                  - name: reroute
                    when: "event.payload.severity == 'info'"
                    actions: [{route: %s}]
                  - name: stopper
                    when: "event.payload.source == 'never'"
                    actions: [stop]
                  - name: drop-tests
                    when: "event.payload.source.startsWith('test-')"
                    actions: [suppress]
                  - name: after
                    actions: [{set: {field: payload.custom_details.seen, value: true}}]
                """.formatted(OTHER_KEY), e);
        assertThat(te.routingKey()).isEqualTo(OTHER_KEY);
        assertThat(te.suppressedBy()).isEqualTo("drop-tests");
        assertThat(e.at("/payload/custom_details").has("seen")).as("no rule after a suppression").isFalse();

        ObjectNode e2 = event("x", "a", "info");
        run("""
                rules:
                  - name: first
                    actions: [stop]
                  - name: second
                    actions: [{set: {field: payload.custom_details.seen, value: true}}]
                """, e2);
        assertThat(e2.at("/payload/custom_details").has("seen")).as("stop ends the rules").isFalse();
    }

    @Test
    void countsAConditionThatCannotBeEvaluatedAsAFailureAndGoesOn() throws Exception {
        ObjectNode e = event("x", "a", "info");
        RuleSet rs = RulesFile.parse("t", """
                rules:
                  - name: missing-field
                    when: "event.payload.nope == 'x'"
                    actions: [suppress]
                  - name: next
                    when: "has(event.payload.nope) || event.payload.severity == 'info'"
                    actions: [{severity: critical}]
                """.getBytes(StandardCharsets.UTF_8));
        Map<String, RuleStats> stats = new ConcurrentHashMap<>();
        TransformEvent te = new TransformEvent(e, TransformEvent.Kind.V2, KEY);
        rs.apply(te, Instant.EPOCH, stats, null);
        assertThat(te.suppressedBy()).isNull();
        assertThat(stats.get("missing-field").failed()).isEqualTo(1);
        assertThat(stats.get("next").matched()).isEqualTo(1);
        assertThat(e.at("/payload/severity").textValue()).isEqualTo("critical");
    }

    @Test
    void refusesABadFileWithErrorsThatNameTheRuleAndTheField() {
        assertThatThrownBy(() -> RulesFile.parse("rules.yaml", """
                rules:
                  - name: bad-cel
                    when: "event.payload.severity = 'x'"
                    actions: [suppress]
                  - name: bad-action
                    actions: [{explode: true}]
                  - name: bad-severity
                    actions: [{severity: urgent}]
                  - name: bad-regex
                    actions: [{extract: {from: payload.summary, regex: '(', to: x}}]
                  - name: protected
                    actions: [{set: {field: routing_key, value: x}}]
                  - actions: [stop]
                maintenance_windows:
                  - name: bad-zone
                    start: 2026-01-01T00:00
                    end: 2026-01-02T00:00
                    timezone: Mars/Olympus
                  - name: bad-cron
                    cron: "61 * * * *"
                    duration: 1h
                """.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(RulesFile.InvalidRulesException.class)
                .satisfies(t -> assertThat(((RulesFile.InvalidRulesException) t).problems).anySatisfy(p ->
                                assertThat(p).startsWith("rule 'bad-cel': field 'when':"))
                        .anySatisfy(p -> assertThat(p).startsWith("rule 'bad-action': field 'actions[0]': unknown action 'explode'"))
                        .anySatisfy(p -> assertThat(p).contains("rule 'bad-severity': field 'actions[0]': severity must be one of"))
                        .anySatisfy(p -> assertThat(p).contains("rule 'bad-regex': field 'actions[0]': extract.regex does not compile"))
                        .anySatisfy(p -> assertThat(p).contains("rule 'protected'").contains("route action only"))
                        .anySatisfy(p -> assertThat(p).contains("rule #6: 'name' is required"))
                        .anySatisfy(p -> assertThat(p).contains("maintenance window 'bad-zone': field 'timezone'"))
                        .anySatisfy(p -> assertThat(p).contains("maintenance window 'bad-cron': cron minute 61 is out of range")));
    }

    @Test
    void aFixedWindowSuppressesFromItsStartUntilItsEndInItsTimeZone() throws Exception {
        String yaml = """
                maintenance_windows:
                  - name: db-upgrade
                    when: "event.payload.source == 'db01'"
                    start: 2026-06-01T22:00
                    end: 2026-06-02T02:00
                    timezone: Europe/Berlin
                """;
        // Berlin is UTC+2 in June: open from 20:00Z (inclusive) to 00:00Z (exclusive)
        assertThat(run(yaml, event("x", "db01", "error"), Instant.parse("2026-06-01T19:59:59Z"), null).suppressedBy()).isNull();
        assertThat(run(yaml, event("x", "db01", "error"), Instant.parse("2026-06-01T20:00:00Z"), null).suppressedBy())
                .isEqualTo("db-upgrade");
        assertThat(run(yaml, event("x", "db01", "error"), Instant.parse("2026-06-01T23:59:59Z"), null).suppressedBy())
                .isEqualTo("db-upgrade");
        assertThat(run(yaml, event("x", "db01", "error"), Instant.parse("2026-06-02T00:00:00Z"), null).suppressedBy()).isNull();
        assertThat(run(yaml, event("x", "web01", "error"), Instant.parse("2026-06-01T21:00:00Z"), null).suppressedBy())
                .as("the window's condition does not match").isNull();
    }

    @Test
    void aCronWindowOpensWhenTheScheduleFiresForItsDuration() throws Exception {
        String yaml = """
                maintenance_windows:
                  - name: nightly
                    cron: "0 2 * * MON-FRI"
                    duration: 90m
                    timezone: America/New_York
                """;
        // Wednesday 2026-01-07, New York is UTC-5: open 07:00Z to 08:30Z
        assertThat(open(yaml, "2026-01-07T06:59:00Z")).isFalse();
        assertThat(open(yaml, "2026-01-07T07:00:00Z")).isTrue();
        assertThat(open(yaml, "2026-01-07T08:29:59Z")).isTrue();
        assertThat(open(yaml, "2026-01-07T08:30:00Z")).isFalse();
        // Saturday: no fire
        assertThat(open(yaml, "2026-01-10T07:30:00Z")).isFalse();
    }

    @Test
    void aCronTimeTheSpringForwardSkipsFiresRightAfterTheGapAndARepeatedOneFiresOnce() throws Exception {
        String daily0230 = """
                maintenance_windows:
                  - name: at-0230
                    cron: "30 2 * * *"
                    duration: 1h
                    timezone: America/New_York
                """;
        // 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00Z); 02:30 does not exist: the window opens at 03:00 EDT
        assertThat(open(daily0230, "2026-03-08T06:59:00Z")).isFalse();
        assertThat(open(daily0230, "2026-03-08T07:00:00Z")).isTrue();
        assertThat(open(daily0230, "2026-03-08T07:59:59Z")).isTrue();
        assertThat(open(daily0230, "2026-03-08T08:00:00Z")).isFalse();
        // the day after: 02:30 EDT = 06:30Z
        assertThat(open(daily0230, "2026-03-09T06:30:00Z")).isTrue();

        String daily0130 = """
                maintenance_windows:
                  - name: at-0130
                    cron: "30 1 * * *"
                    duration: 30m
                    timezone: America/New_York
                """;
        // 2026-11-01: 01:30 EDT (05:30Z) happens, then 01:30 EST (06:30Z) again: the window opens once
        assertThat(open(daily0130, "2026-11-01T05:30:00Z")).isTrue();
        assertThat(open(daily0130, "2026-11-01T05:59:59Z")).isTrue();
        assertThat(open(daily0130, "2026-11-01T06:30:00Z")).isFalse();
    }

    private static boolean open(String yaml, String at) throws Exception {
        return run(yaml, event("x", "y", "error"), Instant.parse(at), null).suppressedBy() != null;
    }

    @Test
    void reloadsAChangedFileAndKeepsThePreviousRulesAfterABadEdit(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rules.yaml");
        Files.writeString(file, """
                rules:
                  - name: one
                    actions: [{severity: info}]
                """);
        ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        try (RulesStage stage = new RulesStage(file, clock, Duration.ofMillis(50))) {
            ObjectNode e1 = event("x", "y", "error");
            stage.apply(new TransformEvent(e1, TransformEvent.Kind.V2, KEY));
            assertThat(e1.at("/payload/severity").textValue()).isEqualTo("info");

            Files.writeString(file, """
                    rules:
                      - name: two
                        actions: [{severity: warning}]
                    """);
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
            stage.start();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> stage.reloads() == 1);
            ObjectNode e2 = event("x", "y", "error");
            stage.apply(new TransformEvent(e2, TransformEvent.Kind.V2, KEY));
            assertThat(e2.at("/payload/severity").textValue()).isEqualTo("warning");

            Files.writeString(file, "rules:\n  - name: broken\n    actions: [{severity: loud}]\n");
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));
            // the reloader may see the write and the new modification time apart: refused once or twice
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> stage.reloadFailures() >= 1);
            ObjectNode e3 = event("x", "y", "error");
            stage.apply(new TransformEvent(e3, TransformEvent.Kind.V2, KEY));
            assertThat(e3.at("/payload/severity").textValue()).as("the previous rules stay").isEqualTo("warning");
            assertThat(stage.stats().get("two").matched()).isEqualTo(2);
        }
    }

    @Test
    void loadsAChangeOnlyOnceItHasSettledSoAHalfWrittenFileIsNotLoaded(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rules.yaml");
        Files.writeString(file, "rules:\n  - name: one\n    actions: [{severity: info}]\n");
        try (RulesStage stage = new RulesStage(file, new ManualClock(Instant.EPOCH), Duration.ofHours(1))) {
            Files.writeString(file, ""); // what a reader may see while an editor rewrites the file
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
            assertThat(stage.reloadIfChanged()).as("seen once: not yet").isFalse();
            Files.writeString(file, "rules:\n  - name: two\n    actions: [{severity: warning}]\n");
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));
            assertThat(stage.reloadIfChanged()).as("changed again: not yet").isFalse();
            assertThat(stage.size()).as("the empty state was never in force").isEqualTo(1);
            assertThat(stage.reloadIfChanged()).as("the same at the next check: loaded").isTrue();
            ObjectNode e = event("x", "y", "error");
            stage.apply(new TransformEvent(e, TransformEvent.Kind.V2, KEY));
            assertThat(e.at("/payload/severity").textValue()).isEqualTo("warning");
            assertThat(stage.reloadIfChanged()).isFalse();
        }
    }

    @Test
    void aFileThatDoesNotLoadAtStartStopsTheAgentNamingTheVariable(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rules.yaml");
        Files.writeString(file, "rules:\n  - name: x\n    actions: []\n");
        assertThatThrownBy(() -> new RulesStage(file, new ManualClock(Instant.EPOCH), Duration.ofSeconds(1)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PDAGENTD_RULES_FILE")
                .hasMessageContaining("rule 'x': field 'actions' must be a non-empty list");
    }

    @Test
    void explainsWhatTheRulesDoToAnEvent() throws Exception {
        List<String> trace = new ArrayList<>();
        run("""
                rules:
                  - name: a
                    when: "event.payload.severity == 'error'"
                    actions: [{severity: warning}]
                  - name: b
                    when: "false"
                    actions: [suppress]
                """, event("x", "y", "error"), Instant.EPOCH, trace);
        assertThat(trace).containsExactly("rule a matched", "  severity warning", "rule b did not match");
    }
}
