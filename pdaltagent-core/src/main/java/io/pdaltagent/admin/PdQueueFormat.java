package io.pdaltagent.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.pdaltagent.queue.DeliveryState;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What {@code pd-queue} prints for people, from {@link QueueAdmin}'s documents. */
final class PdQueueFormat {
    /** PagerDuty Agent's status table: left-aligned key in 35, then three counts right-aligned in 10. */
    static final String STATUS_ROW = "%-35s%10s%10s%10s";
    static final String THROTTLED_FLAG = "  throttled";

    private PdQueueFormat() {
    }

    /**
     * PagerDuty Agent's table, byte for byte, with one addition: a key whose head event is waiting out
     * a retry (PagerDuty down, or throttling) has {@code "  throttled"} after its counts.
     * <pre>
     * Service Key                          Pending   Success  In Error
     * =================================================================
     * key1                                       1         0         0  throttled
     * </pre>
     * "Nothing to report." when the queue holds nothing (for that key).
     */
    static String status(JsonNode doc) {
        JsonNode keys = doc.path("keys");
        if (keys.isEmpty()) {
            return "Nothing to report.\n";
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, STATUS_ROW, "Service Key", "Pending", "Success", "In Error")).append('\n');
        out.append("=".repeat(65)).append('\n');
        for (JsonNode k : keys) {
            out.append(String.format(Locale.ROOT, STATUS_ROW, k.path("key").asText(), k.path("pending").asLong(),
                    k.path("succeeded").asLong(), k.path("dead").asLong()));
            if (k.path("throttled").asBoolean()) {
                out.append(THROTTLED_FLAG);
            }
            out.append('\n');
        }
        return out.toString();
    }

    /** PagerDuty Agent's words. */
    static String retried(JsonNode doc) {
        return doc.path("retried").asLong() + " event(s) set up for retry.\n";
    }

    static String purged(JsonNode doc, DeliveryState state) {
        return doc.path("purged").asLong() + " " + QueueAdmin.stateName(state) + " event(s) purged.\n";
    }

    /**
     * Dead events, one line each, PagerDuty's answer last and in full:
     * <pre>
     * Seq  Service Key  Dedup Key  Attempts  Accepted At           Last Error
     * ====================================================================...
     * 7    key2...      test21            1  2025-03-01T12:00:00Z  HTTP 400: {"status":"invalid event",...}
     * </pre>
     */
    static String dead(JsonNode doc, String keyOrNull) {
        JsonNode events = doc.path("events");
        if (events.isEmpty()) {
            return keyOrNull == null ? "No dead events.\n" : "No dead events for service key " + keyOrNull + ".\n";
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"Seq", "Service Key", "Dedup Key", "Attempts", "Accepted At", "Last Error"});
        for (JsonNode e : events) {
            rows.add(new String[] {e.path("seq").asText(), e.path("key").asText(), text(e.path("dedup_key")),
                    e.path("attempts").asText(), instant(e.path("accepted_at")), text(e.path("last_error"))});
        }
        boolean[] right = {false, false, false, true, false, false};
        int[] width = new int[6];
        for (String[] r : rows) {
            for (int i = 0; i < 5; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int n = 0; n < rows.size(); n++) {
            String[] r = rows.get(n);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < 6; i++) {
                String cell = i < 5 ? pad(r[i], width[i], right[i]) : r[i];
                line.append(cell).append(i < 5 ? "  " : "");
            }
            out.append(line.toString().stripTrailing()).append('\n');
            if (n == 0) {
                int total = 0;
                for (int i = 0; i < 5; i++) {
                    total += width[i] + 2;
                }
                out.append("=".repeat(total + "Last Error".length())).append('\n');
            }
        }
        if (doc.path("more").asBoolean()) {
            out.append("(more dead events than shown: pd-queue list --limit N shows more)\n");
        }
        return out.toString();
    }

    /**
     * Suppressed events: a count per key and suppressor, then the events, as {@link #dead} lists them
     * (the last column names the suppressor).
     */
    static String suppressed(JsonNode doc, String keyOrNull) {
        JsonNode counts = doc.path("counts");
        if (counts.isEmpty()) {
            return keyOrNull == null ? "No suppressed events.\n" : "No suppressed events for service key " + keyOrNull + ".\n";
        }
        int kw = "Service Key".length();
        int bw = "Suppressed By".length();
        for (JsonNode c : counts) {
            kw = Math.max(kw, c.path("key").asText().length());
            bw = Math.max(bw, c.path("by").asText().length());
        }
        StringBuilder out = new StringBuilder();
        out.append(pad("Service Key", kw, false)).append("  ").append(pad("Suppressed By", bw, false)).append("  Count\n");
        out.append("=".repeat(kw + bw + 9)).append('\n');
        for (JsonNode c : counts) {
            out.append(pad(c.path("key").asText(), kw, false)).append("  ").append(pad(c.path("by").asText(), bw, false))
                    .append("  ").append(pad(c.path("count").asText(), 5, true)).append('\n');
        }
        out.append('\n');
        String listing = dead(doc, keyOrNull).replace("Last Error", "Suppressed").replace("more dead events", "more suppressed events")
                .replace("pd-queue list --limit N", "pd-queue suppressed --limit N");
        return out.append(listing).toString();
    }

    /** One event: its fields, PagerDuty's last answer, then the stored body as it will be sent. */
    static String event(JsonNode e) {
        StringBuilder out = new StringBuilder();
        field(out, "Seq", e.path("seq").asText());
        field(out, "State", e.path("state").asText());
        field(out, "Service Key", e.path("key").asText());
        field(out, "Dedup Key", text(e.path("dedup_key")));
        JsonNode dest = e.path("destination");
        field(out, "Destination", dest.path("kind").asText() + " " + dest.path("target").asText());
        field(out, "Accepted At", instant(e.path("accepted_at")));
        field(out, "Attempts", e.path("attempts").asText());
        field(out, "Last Status", e.path("last_status").isNull() ? "-" : e.path("last_status").asText());
        field(out, "Last Error", text(e.path("last_error")));
        field(out, "Content-Type", text(e.path("content_type")));
        out.append('\n');
        String body = e.path("body").isNull() ? "" : e.path("body").asText();
        out.append(body);
        if (!body.endsWith("\n")) {
            out.append('\n');
        }
        return out.toString();
    }

    private static void field(StringBuilder out, String name, String value) {
        out.append(pad(name + ":", 14, false)).append(value).append('\n');
    }

    private static String text(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? "-" : n.asText();
    }

    /** An ISO instant to whole seconds, for reading. */
    private static String instant(JsonNode n) {
        if (!n.isTextual()) {
            return "-";
        }
        try {
            return Instant.parse(n.textValue()).truncatedTo(ChronoUnit.SECONDS).toString();
        } catch (DateTimeParseException e) {
            return n.textValue();
        }
    }

    private static String pad(String s, int width, boolean right) {
        if (s.length() >= width) {
            return s;
        }
        String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }
}
