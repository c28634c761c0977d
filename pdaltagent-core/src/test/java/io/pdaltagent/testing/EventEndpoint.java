package io.pdaltagent.testing;

/**
 * The PagerDuty events-host paths that {@link FakePagerDuty} serves, and how each one carries its
 * routing key. See {@code docs/pagerduty-api.md} sections 1-3.
 */
public enum EventEndpoint {
    /** {@code POST /v2/enqueue}: JSON alert event, {@code routing_key} in the body, 202 on success. */
    EVENTS_V2(true, 202),
    /** {@code POST /v2/change/enqueue}: JSON change event, {@code routing_key} in the body, 202. */
    CHANGE_EVENTS(true, 202),
    /** {@code POST /generic/2010-04-15/create_event.json}: v1 JSON, {@code service_key}, 200. */
    EVENTS_V1(true, 200),
    /** {@code POST /integration/{key}/enqueue}: any body, key in the path, 202 (UNCONFIRMED). */
    INTEGRATION(false, 202),
    /** {@code POST /x-ere/{key}}: global ruleset, any JSON, key in the path, 202 (UNCONFIRMED). */
    RULESET(false, 202),
    /** {@code POST /nagios/2010-04-15/create_event}: form-encoded, key in CONTACTPAGER, 200. */
    NAGIOS(false, 200),
    /** Any other path: answered 404. */
    UNKNOWN(false, 404);

    private static final String INTEGRATION_PREFIX = "/integration/";
    private static final String RULESET_PREFIX = "/x-ere/";

    private final boolean requiresJson;
    private final int successStatus;

    EventEndpoint(boolean requiresJson, int successStatus) {
        this.requiresJson = requiresJson;
        this.successStatus = successStatus;
    }

    /** The endpoint a request path belongs to. */
    public static EventEndpoint of(String path) {
        if (path == null) {
            return UNKNOWN;
        }
        switch (path) {
            case "/v2/enqueue":
                return EVENTS_V2;
            case "/v2/change/enqueue":
                return CHANGE_EVENTS;
            case "/generic/2010-04-15/create_event.json":
                return EVENTS_V1;
            case "/nagios/2010-04-15/create_event":
                return NAGIOS;
            default:
                break;
        }
        if (path.startsWith(INTEGRATION_PREFIX) && path.endsWith("/enqueue")
                && path.length() > INTEGRATION_PREFIX.length() + "/enqueue".length()
                && path.indexOf('/', INTEGRATION_PREFIX.length()) == path.length() - "/enqueue".length()) {
            return INTEGRATION;
        }
        if (path.startsWith(RULESET_PREFIX) && path.length() > RULESET_PREFIX.length()
                && path.indexOf('/', RULESET_PREFIX.length()) < 0) {
            return RULESET;
        }
        return UNKNOWN;
    }

    /** The routing key carried in the path ({@code /integration/{key}/enqueue}, {@code /x-ere/{key}}), or null. */
    String keyInPath(String path) {
        return switch (this) {
            case INTEGRATION -> path.substring(INTEGRATION_PREFIX.length(), path.length() - "/enqueue".length());
            case RULESET -> path.substring(RULESET_PREFIX.length());
            default -> null;
        };
    }

    /** True when PagerDuty rejects a body that is not JSON on this path. */
    boolean requiresJson() {
        return requiresJson;
    }

    /** The status PagerDuty answers an accepted event with on this path: 202 on v2, 200 on v1. */
    public int successStatus() {
        return successStatus;
    }
}
