package io.pdaltagent.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What a test of {@code pd-nagios}, {@code pd-zabbix} or {@code pd-sensu} needs: a submitter that
 * records the events and answers as the agent would, the captured stdout and stderr, and the fixed
 * agent id and time that PagerDuty Agent's own tests wrote as {@code SOME_ID} / {@code SOME_TIME}.
 */
final class IntegrationRecorder implements PdIntegration.Submitter {
    /** The agent id the tests pass, as pdagent-integrations' fixtures spell it after {@code fix_events}. */
    static final String AGENT_ID = "SOME_ID";
    static final long NOW = Instant.parse("2024-05-01T10:00:00.789Z").toEpochMilli();
    /** {@link #NOW} as PagerDuty Agent's {@code utcnow_isoformat} wrote it. */
    static final String QUEUED_AT = "2024-05-01T10:00:00Z";

    final List<OutboundEvent> events = new ArrayList<>();
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
    private AgentClient.Result answer;

    /** The agent's answer to every event from now on; null (the default) accepts with the event's key. */
    IntegrationRecorder answer(AgentClient.Result result) {
        this.answer = result;
        return this;
    }

    @Override
    public AgentClient.Result submit(OutboundEvent event) {
        events.add(event);
        return answer != null ? answer : new AgentClient.Result.Accepted(200, event.dedupKey());
    }

    /** The body of the only event submitted. */
    String onlyBody() {
        if (events.size() != 1) {
            throw new AssertionError("expected one event, got " + events.size() + "; stderr: " + err());
        }
        return events.get(0).body();
    }

    String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    /** A fixture from pdagent-integrations with its placeholders filled in as these tests run. */
    static String fixture(String text) {
        return text.strip().replace("SOME_TIME", QUEUED_AT);
    }
}
