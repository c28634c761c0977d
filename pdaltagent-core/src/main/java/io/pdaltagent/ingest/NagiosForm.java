package io.pdaltagent.ingest;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The form-encoded body that pagerduty_nagios.pl and pagerduty_icinga.pl post: Nagios macros
 * without their {@code NAGIOS_} / {@code ICINGA_} prefix, plus {@code pd_nagios_object}. The form
 * is checked here and stored as the client's bytes; the field names are case-sensitive, as the
 * scripts send them.
 */
final class NagiosForm {
    static final String MEDIA_TYPE = "application/x-www-form-urlencoded";

    private NagiosForm() {
    }

    /** True when the request's Content-Type (null when absent) may carry a Nagios form. */
    static boolean acceptsContentType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return true; // a bare POST from a shell script; read it as the form it almost surely is
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
        return type.toLowerCase(Locale.ROOT).equals(MEDIA_TYPE);
    }

    /**
     * Decodes a form body; the first of repeated fields wins.
     *
     * @return the fields, or null when the body is no well-formed form (bad UTF-8 or a bad escape)
     */
    static Map<String, String> parse(byte[] body) {
        if (!Json.isStrictUtf8(body, 0, body.length)) {
            return null;
        }
        Map<String, String> fields = new HashMap<>();
        String text = new String(body, StandardCharsets.UTF_8);
        try {
            for (String pair : text.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                fields.putIfAbsent(name, value);
            }
        } catch (IllegalArgumentException e) {
            return null; // a '%' not followed by two hex digits
        }
        return fields;
    }

    /** Every problem PagerDuty's Nagios endpoint would see in the form; empty when it is fine. */
    static List<String> problems(Map<String, String> form) {
        List<String> errors = new ArrayList<>();
        String pager = form.get("CONTACTPAGER");
        if (pager == null || pager.isBlank()) {
            errors.add("'CONTACTPAGER' is missing or blank");
        } else if (EventValidator.length(pager) != EventValidator.ROUTING_KEY_LENGTH) {
            errors.add("Length of 'CONTACTPAGER' is incorrect (should be "
                    + EventValidator.ROUTING_KEY_LENGTH + " characters)");
        }
        if (isBlank(form.get("NOTIFICATIONTYPE"))) {
            errors.add("'NOTIFICATIONTYPE' is missing or blank");
        }
        String object = form.get("pd_nagios_object");
        if (isBlank(object)) {
            errors.add("'pd_nagios_object' is missing or blank");
        } else if (!object.equals("host") && !object.equals("service")) {
            errors.add("'pd_nagios_object' is invalid (must be one of: host service)");
        }
        if (isBlank(form.get("HOSTNAME"))) {
            errors.add("'HOSTNAME' is missing or blank");
        }
        return errors;
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
