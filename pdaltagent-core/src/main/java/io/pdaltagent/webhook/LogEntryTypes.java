package io.pdaltagent.webhook;

import java.util.Map;

/**
 * Which log entries become webhooks, and under which event type. The table (also in the README):
 *
 * <pre>
 * log entry type                  V3 event_type               V2 event               forwarded
 * trigger_log_entry               incident.triggered          incident.trigger       always
 * acknowledge_log_entry           incident.acknowledged       incident.acknowledge   always
 * unacknowledge_log_entry         incident.unacknowledged     incident.unacknowledge always
 * resolve_log_entry               incident.resolved           incident.resolve       always
 * assign_log_entry                incident.reassigned         incident.assign        always
 * escalate_log_entry              incident.escalated          incident.escalate      always
 * delegate_log_entry              incident.delegated          incident.delegate      always
 * annotate_log_entry              incident.annotated          incident.annotate      always
 * priority_change_log_entry       incident.priority_updated   incident.priority_change   with PDAGENTD_GET_ALL_LOG_ENTRIES
 * responder_request_log_entry     incident.responder.added    incident.responder_request with PDAGENTD_GET_ALL_LOG_ENTRIES
 * any other {@code <name>_log_entry}    incident.{@code <name>}            incident.{@code <name>}        with PDAGENTD_GET_ALL_LOG_ENTRIES
 * </pre>
 * The last row's V3 names (e.g. {@code incident.notify}) are not PagerDuty V3 types: PagerDuty
 * sends no webhook for those entries. Stateless.
 */
public final class LogEntryTypes {
    /** log entry type → {V3 event type, V2 event}; the lifecycle entries PagerDuty's own webhooks cover. */
    private static final Map<String, String[]> LIFECYCLE = Map.of(
            "trigger_log_entry", new String[] {"incident.triggered", "incident.trigger"},
            "acknowledge_log_entry", new String[] {"incident.acknowledged", "incident.acknowledge"},
            "unacknowledge_log_entry", new String[] {"incident.unacknowledged", "incident.unacknowledge"},
            "resolve_log_entry", new String[] {"incident.resolved", "incident.resolve"},
            "assign_log_entry", new String[] {"incident.reassigned", "incident.assign"},
            "escalate_log_entry", new String[] {"incident.escalated", "incident.escalate"},
            "delegate_log_entry", new String[] {"incident.delegated", "incident.delegate"},
            "annotate_log_entry", new String[] {"incident.annotated", "incident.annotate"});
    private static final Map<String, String[]> OTHERS = Map.of(
            "priority_change_log_entry", new String[] {"incident.priority_updated", "incident.priority_change"},
            "responder_request_log_entry", new String[] {"incident.responder.added", "incident.responder_request"});
    private static final String SUFFIX = "_log_entry";

    private LogEntryTypes() {
    }

    /** Whether an entry of this type is forwarded under the given switch. */
    public static boolean forwarded(String type, boolean allLogEntries) {
        if (type == null || !type.endsWith(SUFFIX) || type.length() == SUFFIX.length()) {
            return false;
        }
        return LIFECYCLE.containsKey(type) || allLogEntries;
    }

    public static String v3EventType(String type) {
        return names(type)[0];
    }

    public static String v2Event(String type) {
        return names(type)[1];
    }

    private static String[] names(String type) {
        String[] n = LIFECYCLE.get(type);
        if (n == null) {
            n = OTHERS.get(type);
        }
        if (n == null) {
            String stem = type.endsWith(SUFFIX) ? type.substring(0, type.length() - SUFFIX.length()) : type;
            n = new String[] {"incident." + stem, "incident." + stem};
        }
        return n;
    }
}
