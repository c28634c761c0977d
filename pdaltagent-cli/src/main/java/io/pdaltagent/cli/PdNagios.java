package io.pdaltagent.cli;

import io.pdaltagent.common.Args;
import io.pdaltagent.cli.PdIntegrationArgs.Option;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code pd-nagios}: queues a Nagios (or Icinga) host or service notification, as PagerDuty
 * Agent's {@code pd-nagios} from PagerDuty/pdagent-integrations ({@code bin/pd-nagios}) did.
 *
 * <pre>
 * pd-nagios -n service -k KEY -t PROBLEM -f HOSTNAME=web1 -f SERVICEDESC=disk -f SERVICESTATE=CRITICAL
 * Event processed. Incident Key: event_source=service;host_name=web1;service_desc=disk
 * </pre>
 *
 * <ul>
 *   <li>{@code -n service|host} (required), {@code -k KEY} (required), {@code -t
 *       PROBLEM|ACKNOWLEDGEMENT|RECOVERY} (required; trigger, acknowledge, resolve), {@code -i KEY}
 *       (incident key), {@code -f KEY=VALUE} (repeatable; split at the first {@code =}).
 *       {@code -c CLIENT} and {@code -u CLIENT_URL} are accepted too (see {@link #PARSER}).</li>
 *   <li>Any other notification type (FLAPPINGSTART, DOWNTIMESTART, CUSTOM...) is an argparse
 *       "invalid choice": usage on stderr, exit 2, nothing queued. PagerDuty's sample configurations
 *       never send them ({@code service_notification_options w,u,c,r}, Icinga 2 {@code types = [
 *       Problem, Acknowledgement, Recovery ]}).</li>
 *   <li>Required fields: {@code HOSTNAME, HOSTSTATE} for a host, {@code HOSTNAME, SERVICEDESC,
 *       SERVICESTATE} for a service, else {@code Missing fields for type 'service'.  ... required},
 *       exit 2.</li>
 *   <li>The event: v1, {@code details} = the fields plus {@code pd_nagios_object} = the object type;
 *       {@code description} = {@code SERVICEDESC=..; SERVICESTATE=..; HOSTNAME=..} or
 *       {@code HOSTNAME=..; HOSTSTATE=..}; incident key {@code event_source=service;host_name=..;service_desc=..}
 *       or {@code event_source=host;host_name=..} unless {@code -i} gives one.</li>
 *   <li>Success: {@code Event processed. Incident Key: <key>} on stdout, exit 0.</li>
 * </ul>
 */
public final class PdNagios {
    static final String PROG = "pd-nagios";
    static final String HOST_NAME = "HOSTNAME";
    static final String HOST_STATE = "HOSTSTATE";
    static final String SERVICE_DESCRIPTION = "SERVICEDESC";
    static final String SERVICE_STATE = "SERVICESTATE";

    /** bin/pd-nagios REQUIRED_FIELDS, in the order its error message is meant to list them. */
    static final Map<String, List<String>> REQUIRED_FIELDS = Map.of(
            "host", List.of(HOST_NAME, HOST_STATE),
            "service", List.of(HOST_NAME, SERVICE_DESCRIPTION, SERVICE_STATE));

    /** bin/pd-nagios {@code _pagerduty_event_type}. */
    static final Map<String, String> EVENT_TYPES = Map.of(
            "PROBLEM", "trigger",
            "ACKNOWLEDGEMENT", "acknowledge",
            "RECOVERY", "resolve");

    /**
     * bin/pd-nagios {@code build_queue_arg_parser}, flag for flag. {@code -c/--client} and
     * {@code -u/--client-url} come from PagerDuty's Icinga 2 sample ({@code conf.d/pagerduty-icinga2.conf})
     * and its pull request #34, which the released script never merged (it would refuse them): they
     * are accepted here so that that sample works, and change nothing for anyone else.
     */
    static final PdIntegrationArgs PARSER = new PdIntegrationArgs(PROG, "Enqueue an event from Nagios to PagerDuty.",
            List.of(
                    Option.required("-k", "--service-key", "SERVICE_KEY", "Service API Key"),
                    Option.choice("-t", "--event-type", List.of("PROBLEM", "ACKNOWLEDGEMENT", "RECOVERY"), "Event type"),
                    Option.optional("-i", "--incident-key", "INCIDENT_KEY", "Incident Key"),
                    Option.optional("-f", "--field", "FIELDS", "Add given KEY=VALUE pair to the event details"),
                    Option.choice("-n", "--notification-type", List.of("service", "host"),
                            "Nagios notification type (host or service)"),
                    Option.optional("-c", "--client", "CLIENT", "Name of the monitoring client (trigger only)"),
                    Option.optional("-u", "--client-url", "CLIENT_URL", "URL of the monitoring client (trigger only)")));

    private PdNagios() {
    }

    public static void main(String[] args) {
        PdIntegration.Submitter submitter = new PdIntegration.ClientSubmitter(AgentClient.fromEnv(System.getenv()));
        int code = run(args, System.out, System.err, submitter, System.currentTimeMillis(), PdIntegration.agentId());
        System.out.flush();
        System.exit(code);
    }

    /** Runs the command; returns the exit code. */
    static int run(String[] args, PrintStream out, PrintStream err, PdIntegration.Submitter submitter, long nowMillis,
            String agentId) {
        Args a;
        try {
            a = PARSER.parse(args);
        } catch (PdIntegrationArgs.Help h) {
            out.print(PARSER.help());
            return 0;
        } catch (CliException e) {
            return PdIntegration.usageError(PARSER, e.getMessage(), err);
        }
        Map<String, String> fields;
        try {
            fields = parseFields(a.all("--field"));
        } catch (IllegalArgumentException e) {
            // bin/pd-nagios parse_fields: dict() of a pair without '=' raised a ValueError: a traceback, exit 1
            return PdIntegration.fail(PROG, e.getMessage(), err);
        }
        String objectType = a.last("--notification-type");
        String missing = missingFields(objectType, fields);
        if (missing != null) {
            // bin/pd-nagios main: the ValueError of _check_required_fields goes to parser.error: exit 2
            return PdIntegration.usageError(PARSER, missing, err);
        }
        String givenKey = a.last("--incident-key");
        String incidentKey = givenKey != null ? givenKey : incidentKey(objectType, fields);
        Map<String, Object> event = event(a.last("--service-key"), a.last("--event-type"), objectType, fields,
                incidentKey, orEmpty(a.last("--client")), orEmpty(a.last("--client-url")),
                PdIntegration.agentContext(agentId, PROG, nowMillis));
        // bin/pd-nagios main: print("Event processed. Incident Key:", incident_key)
        return PdIntegration.deliver(PROG, submitter, event, incidentKey.isEmpty() ? null : incidentKey,
                "Event processed. Incident Key: ", out, err);
    }

    /**
     * The event bin/pd-nagios queued ({@code NagiosEvent.enqueue}): v1, client and client URL empty
     * unless given.
     */
    static Map<String, Object> event(String serviceKey, String notificationType, String objectType,
            Map<String, String> fields, String incidentKey, String client, String clientUrl, Map<String, Object> agent) {
        Map<String, Object> details = new LinkedHashMap<>(fields);
        details.put("pd_nagios_object", objectType);
        return PdIntegration.v1Event(serviceKey, EVENT_TYPES.get(notificationType), incidentKey,
                description(objectType, fields), client, clientUrl, details, agent);
    }

    /** bin/pd-nagios {@code parse_fields}: {@code KEY=VALUE} split at the first {@code =}; the last of a key wins. */
    static Map<String, String> parseFields(List<String> given) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String f : given) {
            int eq = f.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("field '" + f + "' is not KEY=VALUE");
            }
            fields.put(f.substring(0, eq), f.substring(eq + 1));
        }
        return fields;
    }

    /** bin/pd-nagios {@code _check_required_fields}: the error message, or null when all are there. */
    static String missingFields(String objectType, Map<String, String> fields) {
        List<String> required = REQUIRED_FIELDS.get(objectType);
        if (fields.keySet().containsAll(required)) {
            return null;
        }
        return "Missing fields for type '" + objectType + "'.  " + String.join(", ", required) + " required";
    }

    /** bin/pd-nagios {@code _incident_key} when no {@code -i} is given. */
    static String incidentKey(String objectType, Map<String, String> fields) {
        if (objectType.equals("service")) {
            return "event_source=service;host_name=" + fields.get(HOST_NAME) + ";service_desc="
                    + fields.get(SERVICE_DESCRIPTION);
        }
        return "event_source=host;host_name=" + fields.get(HOST_NAME);
    }

    /** bin/pd-nagios {@code _event_description}: {@code FIELD=value} pairs joined with {@code "; "}. */
    static String description(String objectType, Map<String, String> fields) {
        List<String> names = objectType.equals("service")
                ? List.of(SERVICE_DESCRIPTION, SERVICE_STATE, HOST_NAME)
                : List.of(HOST_NAME, HOST_STATE);
        StringBuilder b = new StringBuilder();
        for (String name : names) {
            if (b.length() > 0) {
                b.append("; ");
            }
            b.append(name).append('=').append(fields.get(name));
        }
        return b.toString();
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
