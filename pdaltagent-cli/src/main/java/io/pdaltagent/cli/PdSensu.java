package io.pdaltagent.cli;

import io.pdaltagent.common.Args;
import io.pdaltagent.cli.PdIntegrationArgs.Option;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * {@code pd-sensu}: queues a Sensu check result read from stdin, as PagerDuty Agent's
 * {@code pd-sensu} from PagerDuty/pdagent-integrations ({@code bin/pd-sensu}) did. Sensu runs it as
 * a pipe handler ({@code conf.d/sensu_pagerduty_handler.json}: {@code pd-sensu -k KEY}).
 *
 * <ul>
 *   <li>{@code -k/--integration-key KEY} (required), {@code -i/--incident-key KEY}.</li>
 *   <li>Event type from the result's {@code action}: {@code create} → trigger, {@code resolve} →
 *       resolve, anything else (e.g. {@code flapping}) → trigger.</li>
 *   <li>Incident key: {@code -i}, else {@code <client.name>/<check.name>} when the result has
 *       {@code client} and {@code check}, else its {@code id}. Description
 *       {@code <incident key> : <check.output>}, cut to 1024 characters.</li>
 *   <li>{@code details}: the whole check result.</li>
 *   <li>Prints nothing; exit 0 when queued. A bad flag: argparse's usage, exit 2. Input that is no
 *       JSON, or lacks {@code action}, {@code check.output} or a key source: exit 1 (the script
 *       logged the error and died with a Python traceback).</li>
 * </ul>
 */
public final class PdSensu {
    static final String PROG = "pd-sensu";

    /** bin/pd-sensu {@code parse_args}. */
    static final PdIntegrationArgs PARSER = new PdIntegrationArgs(PROG, "Enqueue an event from Sensu to PagerDuty.",
            List.of(
                    Option.required("-k", "--integration-key", "INTEGRATION_KEY", "PagerDuty Sensu integration key"),
                    Option.optional("-i", "--incident-key", "INCIDENT_KEY",
                            "Specifies a custom incident key for deduplication")));

    private PdSensu() {
    }

    public static void main(String[] args) {
        PdIntegration.Submitter submitter = new PdIntegration.ClientSubmitter(AgentClient.fromEnv(System.getenv()));
        int code = run(args, System.in, System.out, System.err, submitter, System.currentTimeMillis(), PdIntegration.agentId());
        System.out.flush();
        System.exit(code);
    }

    /** Runs the command; returns the exit code. */
    static int run(String[] args, InputStream in, PrintStream out, PrintStream err, PdIntegration.Submitter submitter,
            long nowMillis, String agentId) {
        Args a;
        try {
            a = PARSER.parse(args);
        } catch (PdIntegrationArgs.Help h) {
            out.print(PARSER.help());
            return 0;
        } catch (CliException e) {
            return PdIntegration.usageError(PARSER, e.getMessage(), err);
        }
        String input;
        try {
            input = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return PdIntegration.fail(PROG, "cannot read the check result from stdin: " + e.getMessage(), err);
        }
        Map<String, Object> event;
        try {
            event = event(a.last("--integration-key"), a.last("--incident-key"), input,
                    PdIntegration.agentContext(agentId, PROG, nowMillis));
        } catch (IllegalArgumentException e) {
            return PdIntegration.fail(PROG, e.getMessage(), err);
        }
        String incidentKey = (String) event.get("incident_key");
        return PdIntegration.deliver(PROG, submitter, event, incidentKey.isEmpty() ? null : incidentKey, null, out, err);
    }

    /**
     * The event bin/pd-sensu queued ({@code SensuEvent}).
     *
     * @param givenIncidentKey {@code -i}, or null
     * @throws IllegalArgumentException when the input is no JSON or lacks a field the event needs
     */
    static Map<String, Object> event(String integrationKey, String givenIncidentKey, String checkResult,
            Map<String, Object> agent) {
        Object parsed;
        try {
            parsed = Json.parse(checkResult);
        } catch (IllegalArgumentException e) {
            // bin/pd-sensu logged "Invalid JSON (length %d) or unknown error in pd-sensu" and re-raised
            throw new IllegalArgumentException("Invalid JSON (length " + checkResult.length() + ") on stdin: "
                    + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> details)) {
            throw new IllegalArgumentException("the check result on stdin is a JSON " + Json.typeName(parsed)
                    + ", not an object");
        }
        if (!details.containsKey("action")) {
            throw new IllegalArgumentException("the check result has no 'action'");
        }
        Object action = details.get("action");
        String eventType = "resolve".equals(action) ? "resolve" : "trigger";
        String incidentKey;
        if (givenIncidentKey != null) {
            incidentKey = givenIncidentKey;
        } else if (details.containsKey("client") && details.containsKey("check")) {
            incidentKey = PdIntegration.pyStr(member(details, "client", "name")) + "/"
                    + PdIntegration.pyStr(member(details, "check", "name"));
        } else if (details.containsKey("id")) {
            incidentKey = PdIntegration.pyStr(details.get("id"));
        } else {
            throw new IllegalArgumentException("the check result has neither 'client' and 'check' nor 'id' for the incident key");
        }
        String description = incidentKey + " : " + PdIntegration.pyStr(member(details, "check", "output"));
        return PdIntegration.v1Event(integrationKey, eventType, incidentKey,
                PdIntegration.truncate(description, PdIntegration.MAX_DESCRIPTION_LEN), "", "", details, agent);
    }

    /** {@code details[outer][inner]}, failing where Python raised a KeyError or TypeError. */
    private static Object member(Map<?, ?> details, String outer, String inner) {
        if (!(details.get(outer) instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("the check result's '" + outer + "' is missing or not an object");
        }
        if (!m.containsKey(inner)) {
            throw new IllegalArgumentException("the check result has no '" + outer + "." + inner + "'");
        }
        return m.get(inner);
    }
}
