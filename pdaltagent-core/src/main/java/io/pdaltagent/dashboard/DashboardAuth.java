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
 * the password of PDAGENTD_ADMIN_PASSWORD_HASH  ADMIN
 * PDAGENTD_ADMIN_READ_TOKEN READ (sees everything, changes refused)
 * none, no admin token     ADMIN (loopback only: the listener refuses other hosts without a token)
 * anything else            refused
 * </pre>
 *
 * Sessions live {@link #SESSION_TTL} from login, at most {@link #MAX_SESSIONS} at once; both ids
 * are 256 random bits, compared in constant time where a secret is compared. Logins go through
 * {@link #login}: one at a time (a password check costs a third of a second of CPU), each after the
 * {@link LoginThrottle} said the source may try, so no burst of parallel guesses slips past the limit.
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

    /** What a login attempt came to. */
    public sealed interface Login {
        /** The secret was a token or the password: a session of this role may be opened. */
        record Accepted(Role role) implements Login {
        }

        /** Neither token nor the password; counted against the source. */
        record Refused() implements Login {
        }

        /** Too many failures lately: not even checked; try again after {@code retryAfter}. */
        record Throttled(Duration retryAfter) implements Login {
        }
    }

    private final byte[] adminToken;
    private final byte[] readToken;
    private final PasswordHash passwordHash;
    private final LoginThrottle throttle;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    /** @param adminTokenOrNull {@code PDAGENTD_ADMIN_TOKEN}; @param readTokenOrNull {@code PDAGENTD_ADMIN_READ_TOKEN} */
    public DashboardAuth(String adminTokenOrNull, String readTokenOrNull, Clock clock) {
        this(adminTokenOrNull, readTokenOrNull, null, clock);
    }

    /** @param passwordHashOrNull {@code PDAGENTD_ADMIN_PASSWORD_HASH}: its password logs in as ADMIN */
    public DashboardAuth(String adminTokenOrNull, String readTokenOrNull, PasswordHash passwordHashOrNull, Clock clock) {
        this.adminToken = bytes(adminTokenOrNull);
        this.readToken = bytes(readTokenOrNull);
        this.passwordHash = passwordHashOrNull;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.throttle = new LoginThrottle(clock);
    }

    /** True when a page load needs a login first (the agent has an admin token or a password hash). */
    public boolean loginRequired() {
        return adminToken != null || passwordHash != null;
    }

    /** True when the login form takes a password (the agent has a password hash). */
    public boolean passwordLogin() {
        return passwordHash != null;
    }

    /**
     * One login attempt from {@code source} (the remote address): throttled, then checked against
     * the tokens and the password; a refusal is counted. Serialized, see the class comment.
     */
    public synchronized Login login(String presented, String source) {
        Duration wait = throttle.refusal(source);
        if (wait != null) {
            return new Login.Throttled(wait);
        }
        Role role = roleFor(presented);
        if (role == null) {
            throttle.failed(source);
            return new Login.Refused();
        }
        return new Login.Accepted(role);
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
        if (passwordHash != null && passwordHash.matches(presented.toCharArray())) {
            return Role.ADMIN;
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
