package io.pdaltagent.dashboard;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who a dashboard request is: browser sessions made by logging in with a token (or, when the agent
 * has no admin token, handed to any page load from this host), each with its own CSRF token.
 *
 * <pre>
 * token presented          role
 * PDAGENTD_ADMIN_TOKEN     ADMIN (sees everything, may retry and purge)
 * PDAGENTD_ADMIN_READ_TOKEN READ (sees everything, changes refused)
 * none, no admin token     ADMIN (loopback only: the listener refuses other hosts without a token)
 * anything else            refused
 * </pre>
 *
 * Sessions live {@link #SESSION_TTL} from login, at most {@link #MAX_SESSIONS} at once; both ids
 * are 256 random bits, compared in constant time where a secret is compared.
 *
 * <p>Threads: any admin listener thread; sessions sit in a concurrent map.
 */
public final class DashboardAuth {
    /** A working day: an operator logs in once a shift. */
    public static final Duration SESSION_TTL = Duration.ofHours(12);
    /** Far above the handful of operators of one agent; bounds memory against a login flood. */
    public static final int MAX_SESSIONS = 1_000;
    private static final int ID_BYTES = 32;

    public enum Role {
        ADMIN, READ;

        public boolean mayChange() {
            return this == ADMIN;
        }
    }

    /** One browser session; {@code csrf} goes into the page and must come back on every change. */
    public record Session(String id, Role role, String csrf, Instant expires) {
    }

    private final byte[] adminToken;
    private final byte[] readToken;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    /** @param adminTokenOrNull {@code PDAGENTD_ADMIN_TOKEN}; @param readTokenOrNull {@code PDAGENTD_ADMIN_READ_TOKEN} */
    public DashboardAuth(String adminTokenOrNull, String readTokenOrNull, Clock clock) {
        this.adminToken = bytes(adminTokenOrNull);
        this.readToken = bytes(readTokenOrNull);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** True when a page load needs a login first (the agent has an admin token). */
    public boolean loginRequired() {
        return adminToken != null;
    }

    /** The role a presented token gives, or null when it is neither token. */
    public Role roleFor(String presented) {
        if (presented == null || presented.isEmpty()) {
            return null;
        }
        byte[] given = presented.getBytes(StandardCharsets.UTF_8);
        if (adminToken != null && MessageDigest.isEqual(given, adminToken)) {
            return Role.ADMIN;
        }
        if (readToken != null && MessageDigest.isEqual(given, readToken)) {
            return Role.READ;
        }
        return null;
    }

    /** A new session, or null when {@link #MAX_SESSIONS} live sessions exist already. */
    public Session open(Role role) {
        Objects.requireNonNull(role, "role");
        if (sessions.size() >= MAX_SESSIONS) {
            dropExpired();
        }
        if (sessions.size() >= MAX_SESSIONS) {
            return null;
        }
        Session s = new Session(randomId(), role, randomId(), clock.instant().plus(SESSION_TTL));
        sessions.put(s.id(), s);
        return s;
    }

    /** The live session with this id, or null (unknown, expired or null id). */
    public Session find(String idOrNull) {
        if (idOrNull == null) {
            return null;
        }
        Session s = sessions.get(idOrNull);
        if (s == null) {
            return null;
        }
        if (!clock.instant().isBefore(s.expires())) {
            sessions.remove(idOrNull);
            return null;
        }
        return s;
    }

    public void close(String idOrNull) {
        if (idOrNull != null) {
            sessions.remove(idOrNull);
        }
    }

    /** True when {@code presented} is the session's CSRF token. */
    public static boolean csrfMatches(Session session, String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                session.csrf().getBytes(StandardCharsets.UTF_8));
    }

    int liveSessions() {
        return sessions.size();
    }

    private void dropExpired() {
        Instant now = clock.instant();
        for (Iterator<Session> it = sessions.values().iterator(); it.hasNext(); ) {
            if (!now.isBefore(it.next().expires())) {
                it.remove();
            }
        }
    }

    private String randomId() {
        byte[] b = new byte[ID_BYTES];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
