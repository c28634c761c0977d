package io.pdaltagent.ingest;

import java.util.regex.Pattern;

/**
 * The ingest paths, as PagerDuty's events host serves them. Each route knows its template (the
 * label metrics and logs use), the status of a success and of a "queue full" answer, and how its
 * body is read.
 */
enum Route {
    /** Events API v2 alert events. */
    V2_ENQUEUE("/v2/enqueue", 202, 429),
    /** Events API v2 change events. */
    V2_CHANGE("/v2/change/enqueue", 202, 429),
    /** Events API v1 ("generic"); v1 has no 429, its clients treat 403 as "slow down". */
    V1_GENERIC("/generic/2010-04-15/create_event.json", 200, 403),
    /** Per-integration URL: any JSON object, ordered by the key in the path. */
    INTEGRATION("/integration/{key}/enqueue", 202, 429),
    /** Global ruleset (event rules engine) URL: any JSON object, ordered by the key in the path. */
    X_ERE("/x-ere/{key}", 202, 429),
    /** Form-encoded legacy endpoint of pagerduty_nagios.pl and pagerduty_icinga.pl. */
    NAGIOS("/nagios/2010-04-15/create_event", 200, 403);

    /** Longest key accepted in a path (PagerDuty's keys are 32 characters; 255 as for dedup keys). */
    static final int MAX_PATH_KEY_LENGTH = 255;

    /** Unreserved URI characters only: a key with these needs no escaping when delivered. */
    private static final Pattern SAFE_KEY = Pattern.compile("[A-Za-z0-9._~-]+");

    private static final String INTEGRATION_PREFIX = "/integration/";
    private static final String INTEGRATION_SUFFIX = "/enqueue";
    private static final String X_ERE_PREFIX = "/x-ere/";

    private final String template;
    private final int successStatus;
    private final int throttleStatus;

    Route(String template, int successStatus, int throttleStatus) {
        this.template = template;
        this.successStatus = successStatus;
        this.throttleStatus = throttleStatus;
    }

    /** The path as a label: the literal path, or the pattern with {@code {key}}. */
    String template() {
        return template;
    }

    int successStatus() {
        return successStatus;
    }

    /** 429 on the v2-style paths, 403 on the v1 and Nagios paths (what their clients back off on). */
    int throttleStatus() {
        return throttleStatus;
    }

    /** True when the body is a JSON object (all routes but Nagios). */
    boolean isJson() {
        return this != NAGIOS;
    }

    /** True when the ordering key comes from the path. */
    boolean hasPathKey() {
        return this == INTEGRATION || this == X_ERE;
    }

    /**
     * A request path matched to a route.
     *
     * @param pathKey the raw {@code {key}} segment for {@link #INTEGRATION} and {@link #X_ERE}
     *     (possibly empty or unsafe: see {@link #pathKeyProblem}), null for the other routes
     */
    record Match(Route route, String pathKey) {
    }

    /**
     * Matches a raw (still percent-encoded) request path, or returns null when it is no ingest path.
     * A path of the {@code /integration/…/enqueue} or {@code /x-ere/…} shape matches even when its
     * key is empty or malformed, so that the client gets a 400 that names the problem.
     */
    static Match match(String rawPath) {
        if (rawPath == null) {
            return null;
        }
        for (Route r : new Route[] {V2_ENQUEUE, V2_CHANGE, V1_GENERIC, NAGIOS}) {
            if (r.template.equals(rawPath)) {
                return new Match(r, null);
            }
        }
        if (rawPath.startsWith(INTEGRATION_PREFIX) && rawPath.endsWith(INTEGRATION_SUFFIX)
                && rawPath.length() >= INTEGRATION_PREFIX.length() + INTEGRATION_SUFFIX.length()) {
            return new Match(INTEGRATION, rawPath.substring(INTEGRATION_PREFIX.length(),
                    rawPath.length() - INTEGRATION_SUFFIX.length()));
        }
        if (rawPath.startsWith(X_ERE_PREFIX)) {
            return new Match(X_ERE, rawPath.substring(X_ERE_PREFIX.length()));
        }
        return null;
    }

    /** What is wrong with a key taken from the path, or null when it is fine. */
    static String pathKeyProblem(String key) {
        if (key.isEmpty()) {
            return "Key in the path is missing or blank";
        }
        if (key.length() > MAX_PATH_KEY_LENGTH) {
            return "Key in the path is too long (maximum is " + MAX_PATH_KEY_LENGTH + " characters)";
        }
        if (!SAFE_KEY.matcher(key).matches()) {
            return "Key in the path may only contain letters, digits and . _ ~ -";
        }
        return null;
    }
}
