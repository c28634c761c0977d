package io.pdaltagent.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code pd-zabbix}: queues a Zabbix alert, as PagerDuty Agent's {@code pd-zabbix} from
 * PagerDuty/pdagent-integrations ({@code bin/pd-zabbix}) did. Zabbix runs it as an alert script
 * with {@code {ALERT.SENDTO} {ALERT.SUBJECT} {ALERT.MESSAGE}}:
 *
 * <pre>
 * pd-zabbix KEY trigger 'name:Disk full
 * id:13502
 * status:PROBLEM
 * hostname:db01
 * ...'
 * </pre>
 *
 * <ul>
 *   <li>Arguments: the service key, the subject, which is the v1 event type as it is
 *       ({@code trigger}, {@code acknowledge}, {@code resolve}), and the body: {@code key:value}
 *       lines, split at the first {@code :}, each line stripped of white space (values keep the
 *       spaces after the colon).</li>
 *   <li>Incident key {@code <id>-<hostname>}, or the body's {@code incident_key} line when there
 *       is one (pull request #37). Description {@code <name> : <status> for <hostname>}, cut to
 *       1024 characters.</li>
 *   <li>A {@code trigger} whose {@code NOTE} line contains {@code Escalation cancelled} (what Zabbix
 *       sends when the host, trigger or action was disabled) becomes a {@code resolve}, and the note
 *       gets {@code " (converted from trigger to resolve by pdagent integration)"} (pull request #26).</li>
 *   <li>A {@code url} line sets {@code client} {@code Zabbix} and {@code client_url} (pull request #32).</li>
 *   <li>Prints nothing; exit 0 when queued. Fewer than three arguments, a body line without
 *       {@code :}, or a missing {@code id}, {@code hostname}, {@code name} or {@code status}: exit 1
 *       (the script died with a Python traceback).</li>
 * </ul>
 */
public final class PdZabbix {
    static final String PROG = "pd-zabbix";
    static final String ESCALATION_CANCELLED = "Escalation cancelled";
    static final String CONVERTED_NOTE = " (converted from trigger to resolve by pdagent integration)";

    private PdZabbix() {
    }

    public static void main(String[] args) {
        PdIntegration.Submitter submitter = new PdIntegration.ClientSubmitter(AgentClient.fromEnv(System.getenv()));
        int code = run(args, System.err, submitter, System.currentTimeMillis(), PdIntegration.agentId());
        System.exit(code);
    }

    /** Runs the command; returns the exit code. */
    static int run(String[] args, PrintStream err, PdIntegration.Submitter submitter, long nowMillis, String agentId) {
        if (args.length < 3) {
            // bin/pd-zabbix read sys.argv[1..3]: an IndexError, exit 1
            return PdIntegration.fail(PROG, "expected 3 arguments: SERVICE_KEY SUBJECT BODY (got " + args.length + ")", err);
        }
        Map<String, Object> event;
        try {
            event = event(args[0], args[1], parseBody(args[2]), PdIntegration.agentContext(agentId, PROG, nowMillis));
        } catch (IllegalArgumentException e) {
            return PdIntegration.fail(PROG, e.getMessage(), err);
        }
        String incidentKey = (String) event.get("incident_key");
        return PdIntegration.deliver(PROG, submitter, event, incidentKey.isEmpty() ? null : incidentKey, null, err, err);
    }

    /**
     * The event bin/pd-zabbix queued from its three arguments.
     *
     * @throws IllegalArgumentException when the body lacks a line the event needs
     */
    static Map<String, Object> event(String serviceKey, String subject, Map<String, String> details,
            Map<String, Object> agent) {
        String eventType = subject;
        String note = details.get("NOTE");
        if (eventType.equals("trigger") && note != null && note.contains(ESCALATION_CANCELLED)) {
            // Zabbix still runs the action when the host, trigger or action was disabled: resolve instead
            eventType = "resolve";
            details.put("NOTE", note + CONVERTED_NOTE);
        }
        String incidentKey = details.containsKey("incident_key")
                ? details.get("incident_key")
                : required(details, "id") + "-" + required(details, "hostname");
        String description = required(details, "name") + " : " + required(details, "status") + " for "
                + required(details, "hostname");
        String url = details.get("url");
        boolean hasUrl = url != null && !url.isEmpty();
        return PdIntegration.v1Event(serviceKey, eventType, incidentKey,
                PdIntegration.truncate(description, PdIntegration.MAX_DESCRIPTION_LEN),
                hasUrl ? "Zabbix" : "", hasUrl ? url : "", details, agent);
    }

    /**
     * bin/pd-zabbix {@code _parse_zabbix_body}: {@code dict(line.strip().split(':', 1) for line in
     * body.strip().split('\n'))}; the last of a repeated key wins.
     *
     * @throws IllegalArgumentException for a line without {@code :} (Python's ValueError)
     */
    static Map<String, String> parseBody(String body) {
        Map<String, String> details = new LinkedHashMap<>();
        String[] lines = PdIntegration.pyStrip(body).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = PdIntegration.pyStrip(lines[i]);
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("line " + (i + 1) + " of the message body is not key:value: '"
                        + PdIntegration.truncate(line, 80) + "'");
            }
            details.put(line.substring(0, colon), line.substring(colon + 1));
        }
        return details;
    }

    private static String required(Map<String, String> details, String key) {
        String v = details.get(key);
        if (v == null) {
            throw new IllegalArgumentException("the message body has no '" + key + ":' line");
        }
        return v;
    }
}
