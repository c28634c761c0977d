package io.pdaltagent.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * What {@code pd-nagios}, {@code pd-zabbix} and {@code pd-sensu} share: the event PagerDuty Agent
 * queued for them, and how the outcome of handing it to the agent becomes output and an exit code.
 *
 * <p><b>The event.</b> PagerDuty Agent's {@code queue_event} ({@code pdagent/pdagentutil.py},
 * {@code _build_event_json_str}) stored an Events API v1 object — {@code service_key},
 * {@code event_type}, {@code incident_key}, {@code description}, {@code client},
 * {@code client_url}, {@code details} and an {@code agent} object {@code {agent_id, queued_by,
 * queued_at}} — serialised with sorted keys, and its sender ({@code pdagent/sendevent.py}) POSTed
 * that text unchanged to {@code https://events.pagerduty.com/generic/2010-04-15/create_event.json}
 * because it contains {@code service_key}. The commands here build the same object and post it to
 * the agent on that same path, so PagerDuty receives what it received from PagerDuty Agent.
 *
 * <p>Stateless. {@link #deliver} and the error helpers print; {@link #agentId()} reads the host name;
 * the rest are pure functions.
 * Like pd-send, these commands start once per notification, often hundreds at once: the code on
 * their path uses no lambdas, method references or streams, whose bootstrapping costs start-up time.
 */
final class PdIntegration {
    /** The Events API v1 path PagerDuty Agent sent every integration event to. */
    static final String V1_PATH = "/generic/2010-04-15/create_event.json";
    /**
     * PagerDuty Agent's {@code MAX_DESCRIPTION_LEN}, which {@code bin/pd-zabbix} and
     * {@code bin/pd-sensu} (22dda19) import from {@code pdagent.constants} and cut their descriptions
     * to: PagerDuty's v1 limit, which the agent enforces at ingest.
     */
    static final int MAX_DESCRIPTION_LEN = 1024;

    /** Hands an event to the agent: {@link AgentClient#submit} in production, a recorder in tests. */
    @FunctionalInterface
    interface Submitter {
        AgentClient.Result submit(OutboundEvent event) throws CliException;
    }

    private PdIntegration() {
    }

    /**
     * The v1 event as PagerDuty Agent's {@code _build_event_json_str} made it: every key present
     * (the integrations always passed {@code ""} for client and client URL), keys sorted at every
     * level as {@code json.dumps(..., sort_keys=True)} wrote them.
     */
    static Map<String, Object> v1Event(String serviceKey, String eventType, String incidentKey, String description,
            String client, String clientUrl, Object details, Map<String, Object> agent) {
        Map<String, Object> event = new TreeMap<>();
        event.put("service_key", serviceKey);
        event.put("event_type", eventType);
        event.put("details", sortKeys(details));
        event.put("incident_key", incidentKey);
        event.put("description", description);
        event.put("client", client);
        event.put("client_url", clientUrl);
        event.put("agent", sortKeys(agent));
        return event;
    }

    /**
     * PagerDuty Agent's agent context: {@code queued_by} names the command, {@code queued_at} is UTC
     * to the second ({@code %Y-%m-%dT%H:%M:%SZ}), {@code agent_id} identifies this host's agent.
     */
    static Map<String, Object> agentContext(String agentId, String queuedBy, long nowMillis) {
        Map<String, Object> agent = new TreeMap<>();
        agent.put("agent_id", agentId);
        agent.put("queued_by", queuedBy);
        agent.put("queued_at", utcTimestamp(Math.floorDiv(nowMillis, 1000L)));
        return agent;
    }

    /**
     * {@code YYYY-MM-DDTHH:MM:SSZ} for seconds since the epoch, computed here rather than with
     * java.time, whose formatter takes longer to initialise than the rest of a run (civil-from-days,
     * H. Hinnant's algorithm; proleptic Gregorian calendar, years 0 to 9999).
     */
    static String utcTimestamp(long epochSecond) {
        long days = Math.floorDiv(epochSecond, 86_400L);
        long secs = Math.floorMod(epochSecond, 86_400L);
        long z = days + 719_468L;
        long era = Math.floorDiv(z, 146_097L);
        long doe = z - era * 146_097L;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long day = doy - (153 * mp + 2) / 5 + 1;
        long month = mp < 10 ? mp + 3 : mp - 9;
        long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
        StringBuilder b = new StringBuilder(20);
        pad(b, year, 4).append('-');
        pad(b, month, 2).append('-');
        pad(b, day, 2).append('T');
        pad(b, secs / 3600, 2).append(':');
        pad(b, secs / 60 % 60, 2).append(':');
        pad(b, secs % 60, 2).append('Z');
        return b.toString();
    }

    private static StringBuilder pad(StringBuilder b, long v, int width) {
        String digits = Long.toString(v);
        for (int i = digits.length(); i < width; i++) {
            b.append('0');
        }
        return b.append(digits);
    }

    /**
     * A stable id of this host's agent, in the place of PagerDuty Agent's per-install
     * {@code agent_id} UUID: UUID-shaped, derived from the host name (two FNV-1a hashes; no
     * MessageDigest to load), so it needs no state and is the same for every run on the host.
     */
    static String agentId() {
        String host = hostName();
        long hi = fnv1a(host, 0xcbf29ce484222325L);
        long lo = fnv1a(host, 0x84222325cbf29ce4L);
        hi = (hi & ~0xf000L) | 0x8000L; // version 8: custom
        lo = (lo & 0x3fffffffffffffffL) | 0x8000000000000000L; // IETF variant
        return new UUID(hi, lo).toString();
    }

    private static long fnv1a(String s, long basis) {
        long h = basis;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static String hostName() {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!h.isEmpty()) {
                return h;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: ask the JDK
        }
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.strip();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /**
     * Hands the event to the agent and turns the outcome into output and an exit code: 0 when the
     * agent took it or it was spooled on this host, 1 when the agent refused it or nothing could
     * store it.
     *
     * @param successPrefix printed on {@code out} before the incident key the agent answered with
     *     (or the event's own) on success, e.g. {@code "Event processed. Incident Key: "}; null for
     *     no output
     */
    static int deliver(String prog, Submitter submitter, Map<String, Object> event, String incidentKey,
            String successPrefix, PrintStream out, PrintStream err) {
        AgentClient.Result result;
        try {
            result = submitter.submit(OutboundEvent.json(V1_PATH, Json.write(event), incidentKey));
        } catch (CliException e) {
            err.println(prog + ": " + e.getMessage());
            return e.exitCode();
        }
        String key;
        if (result instanceof AgentClient.Result.Accepted a) {
            key = a.dedupKey();
        } else if (result instanceof AgentClient.Result.Spooled s) {
            // stored on this host: the agent sends it when it runs, a success as PagerDuty Agent's own
            // on-disk queue was; the note on stderr tells an operator that the agent is down
            err.println(prog + ": the agent is not reachable; the event was queued in " + s.file()
                    + " and is sent when the agent runs");
            key = s.dedupKey();
        } else {
            AgentClient.Result.Rejected r = (AgentClient.Result.Rejected) result;
            err.println(prog + ": the agent refused the event (" + r.status() + "): " + r.message());
            return CliException.FAILURE;
        }
        if (successPrefix != null) {
            out.println(successPrefix + (key != null ? key : incidentKey));
        }
        return 0;
    }

    /** The production {@link Submitter}: a named class rather than a method reference, for start-up time. */
    static final class ClientSubmitter implements Submitter {
        private final AgentClient client;

        ClientSubmitter(AgentClient client) {
            this.client = client;
        }

        @Override
        public AgentClient.Result submit(OutboundEvent event) throws CliException {
            return client.submit(event);
        }
    }

    /** Prints {@code <prog>: error: <message>} for a failure that Python ended with a traceback; exit 1. */
    static int fail(String prog, String message, PrintStream err) {
        err.println(prog + ": error: " + CliException.oneLine(message));
        return CliException.FAILURE;
    }

    /** Prints argparse's usage and error lines; exit 2. */
    static int usageError(PdIntegrationArgs parser, String message, PrintStream err) {
        err.println(parser.usage());
        err.println(parser.prog() + ": error: " + CliException.oneLine(message));
        return CliException.USAGE;
    }

    /** A copy of a JSON value tree with the keys of every object sorted, as {@code sort_keys=True}. */
    static Object sortKeys(Object value) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> sorted = new TreeMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sorted.put(String.valueOf(e.getKey()), sortKeys(e.getValue()));
            }
            return sorted;
        }
        if (value instanceof List<?> l) {
            List<Object> copy = new ArrayList<>(l.size());
            for (Object o : l) {
                copy.add(sortKeys(o));
            }
            return copy;
        }
        return value;
    }

    /** The first {@code max} characters (code points, as Python 3 slices), without splitting a pair. */
    static String truncate(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int end = s.offsetByCodePoints(0, Math.min(max, s.codePointCount(0, s.length())));
        return s.substring(0, end);
    }

    /** Python's {@code str.strip()}: removes what {@code str.isspace()} calls white space from both ends. */
    static String pyStrip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isPySpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isPySpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean isPySpace(char c) {
        return (c >= '\t' && c <= '\r') || (c >= '\u001c' && c <= ' ') || c == '\u0085' || c == '\u00a0'
                || c == '\u1680' || (c >= '\u2000' && c <= '\u200a') || c == '\u2028' || c == '\u2029'
                || c == '\u202f' || c == '\u205f' || c == '\u3000';
    }

    /**
     * Python's {@code '%s' % value} for a value read from JSON: strings as they are, {@code True} /
     * {@code False}, {@code None}, numbers in their JSON spelling; objects and arrays as JSON.
     */
    static String pyStr(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Boolean b) {
            return b ? "True" : "False";
        }
        return Json.write(value);
    }
}
