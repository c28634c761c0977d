package io.pdaltagent.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The webhook poller's section: {@code PDAGENTD_API_TOKEN} and {@code PDAGENTD_WEBHOOK_DEST_URL}
 * (both turn it on), the REST API's URL, the polling interval, which log entries and services, the
 * webhook's format, config and signing secret, and the activity store. Every setting is read and
 * checked even while the poller is off: a bad value is never ignored, and the configuration file's
 * unknown-key check knows each of them.
 */
final class WebhookSettings {
    static final String DEFAULT_API_BASE_URL = "https://api.pagerduty.com";
    static final long DEFAULT_POLLING_INTERVAL_SECONDS = 10;
    static final long DEFAULT_KEEP_ACTIVITY_SECONDS = 30L * 24 * 3600;
    /** An hour: less would forget entries the next polls still return. */
    private static final long MIN_KEEP_ACTIVITY_SECONDS = 3600;
    /** The very first poll forwards the last ten minutes: recent activity, not a flood of history. */
    static final long DEFAULT_WEBHOOK_LOOKBACK_SECONDS = 600;
    /** A dead poller's lease runs out within this; another agent takes over at its next poll. */
    static final long DEFAULT_WEBHOOK_LEASE_SECONDS = 30;
    private static final long MIN_WEBHOOK_LEASE_SECONDS = 3;
    /** Longest token accepted; PagerDuty's are 20 (API keys) to a few hundred characters (OAuth). */
    static final int MAX_TOKEN_LENGTH = 4096;
    /** Services in PDAGENTD_WEBHOOK_SERVICES_LIST; a query of more than this would be a mistake. */
    private static final int MAX_SERVICES = 10_000;
    private static final int MAX_CONFIG_JSON_BYTES = 64 * 1024;
    private static final String TOKEN = "PDAGENTD_API_TOKEN";
    private static final String DEST = "PDAGENTD_WEBHOOK_DEST_URL";

    private WebhookSettings() {
    }

    /** The poller's settings, or null when it is off (no API token and no destination). */
    static AgentConfig.WebhookConfig read(ConfigReader r) {
        String token = r.string(TOKEN, null);
        String dest = r.string(DEST, null);
        URI api = r.url("PDAGENTD_API_BASE_URL", DEFAULT_API_BASE_URL);
        // validated like the other URLs, but kept exactly as given: a receiver's trailing slash matters
        r.url(DEST, null);
        Duration interval = r.seconds("PDAGENTD_POLLING_INTERVAL_SECONDS", DEFAULT_POLLING_INTERVAL_SECONDS, 1);
        boolean all = r.bool("PDAGENTD_GET_ALL_LOG_ENTRIES", false);
        Duration keep = r.seconds("PDAGENTD_KEEP_ACTIVITY_SECONDS", DEFAULT_KEEP_ACTIVITY_SECONDS, MIN_KEEP_ACTIVITY_SECONDS);
        List<String> services = services(r);
        String configJson = jsonObject(r, "PDAGENTD_WEBHOOK_CONFIG_JSON");
        String format = r.string("PDAGENTD_WEBHOOK_FORMAT", AgentConfig.WebhookConfig.V3).toLowerCase(Locale.ROOT);
        if (!format.equals(AgentConfig.WebhookConfig.V3) && !format.equals(AgentConfig.WebhookConfig.V2)) {
            throw r.bad("PDAGENTD_WEBHOOK_FORMAT", "'" + format + "' is neither v3 nor v2");
        }
        String secret = r.string("PDAGENTD_WEBHOOK_SECRET", null);
        if (secret != null && secret.length() > MAX_TOKEN_LENGTH) {
            throw r.bad("PDAGENTD_WEBHOOK_SECRET", "longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        String db = r.string("PDAGENTD_ACTIVITY_DB_URL", null);
        if (db != null && !db.startsWith("jdbc:postgresql://")) {
            throw r.bad("PDAGENTD_ACTIVITY_DB_URL", "a shared activity store is a jdbc:postgresql:// URL");
        }
        Duration lookBack = r.seconds("PDAGENTD_WEBHOOK_LOOKBACK_SECONDS", DEFAULT_WEBHOOK_LOOKBACK_SECONDS, 0);
        if (lookBack.compareTo(keep) > 0) {
            throw r.bad("PDAGENTD_WEBHOOK_LOOKBACK_SECONDS", "must not exceed PDAGENTD_KEEP_ACTIVITY_SECONDS (" + keep.toSeconds() + ")");
        }
        Duration lease = r.seconds("PDAGENTD_WEBHOOK_LEASE_SECONDS", DEFAULT_WEBHOOK_LEASE_SECONDS, MIN_WEBHOOK_LEASE_SECONDS);
        if (token == null && dest == null) {
            return null;
        }
        if (token == null) {
            throw r.bad(DEST, "is set but " + TOKEN + " is not: the webhook poller needs both");
        }
        if (dest == null) {
            throw r.bad(TOKEN, "is set but " + DEST + " is not: the webhook poller needs both");
        }
        return new AgentConfig.WebhookConfig(api, authorization(r, token), URI.create(dest), interval, all, keep, services,
                configJson, format, secret, db, lookBack, lease);
    }

    /**
     * The Authorization header for a token: {@code Bearer …} (OAuth) and {@code Token token=…} are
     * used as given; a bare token is an API key, sent as {@code Token token=<key>}.
     */
    private static String authorization(ConfigReader r, String token) {
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw r.bad(TOKEN, "longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw r.bad(TOKEN, "contains a character that cannot go in an HTTP header");
            }
        }
        String lower = token.toLowerCase(Locale.ROOT);
        if (lower.equals("bearer") || lower.equals("token") || lower.equals("token token=")) {
            throw r.bad(TOKEN, "'" + token + "' has no token after it");
        }
        if (lower.startsWith("bearer ") || lower.startsWith("token token=")) {
            if (token.substring(token.indexOf(lower.startsWith("bearer ") ? ' ' : '=') + 1).isBlank()) {
                throw r.bad(TOKEN, "the token after '" + token.trim() + "' is empty");
            }
            return token;
        }
        if (token.contains(" ")) {
            throw r.bad(TOKEN, "a token has no spaces; use 'Bearer <token>' or 'Token token=<key>'");
        }
        return "Token token=" + token;
    }

    /** A JSON array of service ids (in the file also a YAML list); empty when unset. */
    private static List<String> services(ConfigReader r) {
        String name = "PDAGENTD_WEBHOOK_SERVICES_LIST";
        String v = r.json(name);
        if (v == null) {
            return List.of();
        }
        JsonNode n;
        try {
            n = r.parse(name, v);
        } catch (ConfigException e) {
            throw r.bad(name, "not JSON; give an array of service ids, e.g. [\"PABC123\"]");
        }
        if (!n.isArray()) {
            throw r.bad(name, "not a JSON array of service ids, e.g. [\"PABC123\"]");
        }
        if (n.size() > MAX_SERVICES) {
            throw r.bad(name, "more than " + MAX_SERVICES + " services");
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual() || e.asText().isBlank()) {
                throw r.bad(name, "every element must be a service id string, not " + e);
            }
            ids.add(e.asText().trim());
        }
        return ids;
    }

    /** A JSON object (in the file also a YAML mapping), as compact JSON text; null when unset. */
    private static String jsonObject(ConfigReader r, String name) {
        String v = r.json(name);
        if (v == null) {
            return null;
        }
        if (v.length() > MAX_CONFIG_JSON_BYTES) {
            throw r.bad(name, "longer than " + MAX_CONFIG_JSON_BYTES + " characters");
        }
        JsonNode n = r.parse(name, v);
        if (!n.isObject()) {
            throw r.bad(name, "not a JSON object");
        }
        return n.toString();
    }
}
