package io.pdaltagent.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.admin.QueueAdmin;
import io.pdaltagent.queue.StoreUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard on the admin listener (never on the ingest ports):
 *
 * <pre>
 * GET  /dashboard                 the page (or the login form when the agent has an admin token)
 * POST /dashboard/login           form token=… (a token or the password) → session cookie (HttpOnly,
 *                                 SameSite=Strict, Secure over TLS), 303 to /dashboard; 429 after too many failures
 * POST /dashboard/logout          ends the session
 * GET  /dashboard/assets/app.js|app.css
 * GET  /dashboard/api/overview[?minutes=N] | dead[?ref=R] | suppressed | config     JSON, see {@link DashboardData}
 * GET  /dashboard/api/keys[?sort=pending|dead|succeeded|key&filter=T&dead=1&offset=N&limit=N]   one window of the keys table
 * POST /dashboard/api/retry | purge   {"ref":R}, {"all":true} or {"seqs":[N...]} → {"retried"|"purged":N}
 * </pre>
 *
 * <p><b>Checks</b>, in order: a request from this host must be addressed to localhost or a loopback
 * IP (DNS rebinding); one from another host is refused unless the agent has an admin token; the API
 * needs a live session ({@link DashboardAuth}); a change (every POST) needs a same-origin
 * {@code Origin} (when sent) and {@code Sec-Fetch-Site} (when sent), the session's CSRF token in
 * {@code X-CSRF-Token} (login: none yet, so only the origin checks), and the ADMIN role. Every answer
 * carries a strict Content-Security-Policy (scripts and styles from this listener only).
 *
 * <p>Threads: Jetty's admin pool, where blocking is allowed (API calls read the store).
 */
public final class DashboardHandler extends Handler.Abstract {
    public static final String PREFIX = "/dashboard";
    public static final String COOKIE = "pdagent_session";
    public static final String CSRF_HEADER = "X-CSRF-Token";
    /** A login form is a few hundred bytes; an action naming every shown dead event a few KB. */
    static final int MAX_REQUEST_BYTES = 32 * 1024;
    static final int DEFAULT_MINUTES = 180;
    /** Keys rows in an answer that names no limit: a few screens (the page names its own). */
    static final int DEFAULT_KEYS_LIMIT = 100;
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    private static final Logger LOG = LoggerFactory.getLogger(DashboardHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DashboardData data;
    private final DashboardAuth auth;
    private final String version;
    private final String pageTemplate;
    private final String loginTemplate;
    private final byte[] appJs;
    private final byte[] appCss;

    public DashboardHandler(DashboardData data, DashboardAuth auth, String version) {
        this.data = Objects.requireNonNull(data, "data");
        this.auth = Objects.requireNonNull(auth, "auth");
        this.version = Objects.requireNonNull(version, "version");
        this.pageTemplate = new String(resource("index.html"), StandardCharsets.UTF_8);
        this.loginTemplate = new String(resource("login.html"), StandardCharsets.UTF_8);
        this.appJs = resource("app.js");
        this.appCss = resource("app.css");
    }

    private static byte[] resource(String name) {
        try (InputStream in = DashboardHandler.class.getResourceAsStream("/dashboard/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks /dashboard/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        if (!path.equals(PREFIX) && !path.startsWith(PREFIX + "/")) {
            return false;
        }
        response.getHeaders().put("Content-Security-Policy", CSP);
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        // same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on the login form
        response.getHeaders().put("Referrer-Policy", "same-origin");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        try {
            String refusal = refusal(request);
            if (refusal != null) {
                throw new QueueAdmin.AdminException(403, refusal);
            }
            route(path.substring(PREFIX.length()), request, response, callback);
        } catch (QueueAdmin.AdminException e) {
            json(response, callback, e.status(), error(e.getMessage()));
        } catch (StoreUnavailableException e) {
            json(response, callback, 503, error(e.getMessage()));
        } catch (RuntimeException e) {
            LOG.warn("dashboard request {} {} failed", request.getMethod(), path, e);
            json(response, callback, 500, error(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        return true;
    }

    private void route(String sub, Request request, Response response, Callback callback) {
        String method = request.getMethod();
        switch (sub) {
            case "", "/" -> {
                allow(method, HttpMethod.GET, response);
                page(request, response, callback);
            }
            case "/login" -> {
                allow(method, HttpMethod.POST, response);
                login(request, response, callback);
            }
            case "/logout" -> {
                allow(method, HttpMethod.POST, response);
                DashboardAuth.Session s = changeSession(request, false);
                auth.close(s.id());
                response.getHeaders().add(HttpHeader.SET_COOKIE, COOKIE + "=; Path=" + PREFIX
                        + "; HttpOnly; SameSite=Strict" + secure(request) + "; Max-Age=0");
                json(response, callback, 200, Map.of("status", "ok"));
            }
            case "/assets/app.js" -> asset(method, response, callback, "text/javascript; charset=utf-8", appJs);
            case "/assets/app.css" -> asset(method, response, callback, "text/css; charset=utf-8", appCss);
            case "/api/overview" -> {
                allow(method, HttpMethod.GET, response);
                readSession(request);
                json(response, callback, 200, data.overview(minutes(request)));
            }
            case "/api/keys" -> {
                allow(method, HttpMethod.GET, response);
                readSession(request);
                json(response, callback, 200, data.keys(keysQuery(request)));
            }
            case "/api/dead" -> {
                allow(method, HttpMethod.GET, response);
                readSession(request);
                json(response, callback, 200, data.dead(Request.extractQueryParameters(request).getValue("ref")));
            }
            case "/api/suppressed" -> {
                allow(method, HttpMethod.GET, response);
                readSession(request);
                json(response, callback, 200, data.suppressed());
            }
            case "/api/config" -> {
                allow(method, HttpMethod.GET, response);
                readSession(request);
                json(response, callback, 200, data.config());
            }
            case "/api/retry", "/api/purge" -> {
                allow(method, HttpMethod.POST, response);
                changeSession(request, true);
                DashboardData.Target target = target(jsonBody(request));
                boolean retry = sub.equals("/api/retry");
                int n = retry ? data.retry(target) : data.purge(target);
                LOG.info("dashboard: {} dead event(s) of {} {}", n, target, retry ? "set up for retry" : "purged");
                json(response, callback, 200, Map.of(retry ? "retried" : "purged", n));
            }
            default -> throw new QueueAdmin.AdminException(404, "no such dashboard path: " + PREFIX + sub);
        }
    }

    private void page(Request request, Response response, Callback callback) {
        DashboardAuth.Session s = auth.find(cookie(request));
        if (s == null && auth.loginRequired()) {
            html(response, callback, 200, loginPage(request, ""));
            return;
        }
        if (s == null) {
            s = openSession(request, response, DashboardAuth.Role.ADMIN);
        }
        String page = pageTemplate.replace("{{CSRF}}", s.csrf())
                .replace("{{ROLE}}", s.role().name().toLowerCase(java.util.Locale.ROOT))
                .replace("{{VERSION}}", escape(version))
                .replace("{{LOGOUT}}", auth.loginRequired() ? "" : "hidden");
        html(response, callback, 200, page);
    }

    private void login(Request request, Response response, Callback callback) {
        checkOrigin(request);
        String secret = formField(readBody(request), "token");
        switch (auth.login(secret, source(request))) {
            case DashboardAuth.Login.Throttled t -> {
                LOG.warn("dashboard: a login was refused unchecked after too many failed logins");
                response.getHeaders().put(HttpHeader.RETRY_AFTER, t.retryAfter().getSeconds());
                html(response, callback, 429, loginPage(request, "Too many failed logins; try again in "
                        + Math.max(1, (t.retryAfter().getSeconds() + 59) / 60) + " min."));
            }
            case DashboardAuth.Login.Refused r -> {
                LOG.info("dashboard: a login with a wrong {} was refused", auth.passwordLogin() ? "password or token" : "token");
                html(response, callback, 401, loginPage(request, auth.passwordLogin()
                        ? "That is neither this agent's dashboard password nor one of its tokens."
                        : "That token is not this agent's admin or read-only token."));
            }
            case DashboardAuth.Login.Accepted a -> {
                openSession(request, response, a.role());
                LOG.info("dashboard: {} login", a.role() == DashboardAuth.Role.ADMIN ? "an admin" : "a read-only");
                response.setStatus(303);
                response.getHeaders().put(HttpHeader.LOCATION, PREFIX);
                response.write(true, ByteBuffer.allocate(0), callback);
            }
        }
    }

    /** The remote IP address, the unit the failed-login limit counts in. */
    private static String source(Request request) {
        return request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress isa
                && isa.getAddress() != null ? isa.getAddress().getHostAddress() : "unknown";
    }

    private DashboardAuth.Session openSession(Request request, Response response, DashboardAuth.Role role) {
        DashboardAuth.Session s = auth.open(role);
        if (s == null) {
            throw new QueueAdmin.AdminException(503, "too many dashboard sessions; try again later");
        }
        response.getHeaders().add(HttpHeader.SET_COOKIE, COOKIE + "=" + s.id() + "; Path=" + PREFIX
                + "; HttpOnly; SameSite=Strict" + secure(request) + "; Max-Age=" + DashboardAuth.SESSION_TTL.getSeconds());
        return s;
    }

    /** The cookie attribute {@code Secure} when the page came over TLS, so it never travels in clear. */
    private static String secure(Request request) {
        return request.isSecure() ? "; Secure" : "";
    }

    private String loginPage(Request request, String message) {
        return loginTemplate.replace("{{MESSAGE}}", escape(message)).replace("{{VERSION}}", escape(version))
                .replace("{{LABEL}}", auth.passwordLogin() ? "Password, admin token or read-only token"
                        : "Admin token or read-only token");
    }

    private DashboardAuth.Session readSession(Request request) {
        DashboardAuth.Session s = auth.find(cookie(request));
        if (s == null) {
            throw new QueueAdmin.AdminException(401, "log in to the dashboard first (" + PREFIX + ")");
        }
        return s;
    }

    /** The session of a change, after the origin, CSRF and (when {@code needsAdmin}) role checks. */
    private DashboardAuth.Session changeSession(Request request, boolean needsAdmin) {
        checkOrigin(request);
        DashboardAuth.Session s = readSession(request);
        if (!DashboardAuth.csrfMatches(s, request.getHeaders().get(CSRF_HEADER))) {
            throw new QueueAdmin.AdminException(403, "a change needs the page's CSRF token in " + CSRF_HEADER);
        }
        if (needsAdmin && !s.role().mayChange()) {
            throw new QueueAdmin.AdminException(403, "this session logged in with the read-only token; changes need "
                    + "PDAGENTD_ADMIN_TOKEN");
        }
        return s;
    }

    private static void checkOrigin(Request request) {
        String site = request.getHeaders().get("Sec-Fetch-Site");
        if (site != null && !site.equalsIgnoreCase("same-origin") && !site.equalsIgnoreCase("none")) {
            throw new QueueAdmin.AdminException(403, "changes are accepted only from this dashboard's own pages "
                    + "(Sec-Fetch-Site: " + site + ")");
        }
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin != null && !sameOrigin(origin, request)) {
            throw new QueueAdmin.AdminException(403, "changes are accepted only from this dashboard's own pages "
                    + "(Origin " + origin + ")");
        }
    }

    /** Why a request is refused whatever its session, or null; the same rule as the queue admin API. */
    private String refusal(Request request) {
        boolean loopback = request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress isa
                && isa.getAddress() != null && isa.getAddress().isLoopbackAddress();
        if (!loopback) {
            return auth.loginRequired() ? null : "the dashboard answers only this host when the agent has no admin token";
        }
        String host = request.getHttpURI().getHost();
        if (!QueueAdmin.isLocalHostName(host)) {
            return "the dashboard answers requests from this host only when addressed to localhost or a loopback "
                    + "address, not '" + host + "'";
        }
        return null;
    }

    static boolean sameOrigin(String origin, Request request) {
        URI o;
        try {
            o = new URI(origin.trim());
        } catch (URISyntaxException e) {
            return false;
        }
        if (o.getScheme() == null || o.getHost() == null) {
            return false;
        }
        String scheme = request.isSecure() ? "https" : "http";
        String host = request.getHttpURI().getHost();
        if (!scheme.equalsIgnoreCase(o.getScheme()) || host == null || !host.equalsIgnoreCase(o.getHost())) {
            return false;
        }
        int defaultPort = scheme.equals("https") ? 443 : 80;
        int originPort = o.getPort() == -1 ? defaultPort : o.getPort();
        int requestPort = request.getHttpURI().getPort() <= 0 ? defaultPort : request.getHttpURI().getPort();
        return originPort == requestPort;
    }

    private static String cookie(Request request) {
        for (HttpCookie c : Request.getCookies(request)) {
            if (COOKIE.equals(c.getName())) {
                return c.getValue();
            }
        }
        return null;
    }

    private static int minutes(Request request) {
        String v = Request.extractQueryParameters(request).getValue("minutes");
        if (v == null) {
            return DEFAULT_MINUTES;
        }
        int m;
        try {
            m = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new QueueAdmin.AdminException(400, "'minutes' must be a whole number, not '" + v + "'");
        }
        if (m < 1 || m > MinuteHistory.MINUTES) {
            throw new QueueAdmin.AdminException(400, "'minutes' must be from 1 to " + MinuteHistory.MINUTES);
        }
        return m;
    }

    /** The keys window asked for; a bad parameter is a 400 that names it. */
    static KeyTable.Query keysQuery(Request request) {
        org.eclipse.jetty.util.Fields p = Request.extractQueryParameters(request);
        String sort = p.getValue("sort");
        String dead = p.getValue("dead");
        if (dead != null && !dead.equals("0") && !dead.equals("1")) {
            throw new QueueAdmin.AdminException(400, "'dead' must be 0 or 1, not '" + dead + "'");
        }
        try {
            return new KeyTable.Query(sort == null ? KeyTable.Sort.PENDING : KeyTable.Sort.of(sort), p.getValue("filter"),
                    "1".equals(dead), whole(p.getValue("offset"), "offset", 0), whole(p.getValue("limit"), "limit", DEFAULT_KEYS_LIMIT));
        } catch (IllegalArgumentException e) {
            throw new QueueAdmin.AdminException(400, e.getMessage());
        }
    }

    private static int whole(String v, String name, int dflt) {
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new QueueAdmin.AdminException(400, "'" + name + "' must be a whole number, not '" + v + "'");
        }
    }

    /** {@code {"ref":R}}, {@code {"all":true}} or {@code {"seqs":[N,...]}}: exactly one; anything else is a 400. */
    static DashboardData.Target target(JsonNode b) {
        JsonNode ref = b.get("ref");
        JsonNode all = b.get("all");
        JsonNode seqs = b.get("seqs");
        boolean everything = all != null && all.isBoolean() && all.booleanValue();
        boolean hasRef = ref != null && ref.isTextual() && !ref.textValue().isBlank();
        boolean hasSeqs = seqs != null && !seqs.isNull();
        if ((everything ? 1 : 0) + (hasRef ? 1 : 0) + (hasSeqs ? 1 : 0) != 1) {
            throw new QueueAdmin.AdminException(400, "name one key ({\"ref\":R}), every key ({\"all\":true}) or events "
                    + "({\"seqs\":[N,...]})");
        }
        if (hasSeqs) {
            return new DashboardData.Target.Events(QueueAdmin.seqs(seqs));
        }
        return hasRef ? new DashboardData.Target.Key(ref.textValue()) : new DashboardData.Target.All();
    }

    private static byte[] readBody(Request request) {
        byte[] bytes;
        try (InputStream in = Request.asInputStream(request)) {
            bytes = in.readNBytes(MAX_REQUEST_BYTES + 1);
        } catch (IOException e) {
            throw new QueueAdmin.AdminException(400, "could not read the request body: " + e.getMessage());
        }
        if (bytes.length > MAX_REQUEST_BYTES) {
            throw new QueueAdmin.AdminException(413, "the request body is over " + MAX_REQUEST_BYTES + " bytes");
        }
        return bytes;
    }

    private static JsonNode jsonBody(Request request) {
        byte[] bytes = readBody(request);
        JsonNode n;
        try {
            n = bytes.length == 0 ? null : JSON.readTree(bytes);
        } catch (IOException e) {
            throw new QueueAdmin.AdminException(400, "the request body is not JSON");
        }
        if (n == null || !n.isObject()) {
            throw new QueueAdmin.AdminException(400, "the request body must be a JSON object");
        }
        return n;
    }

    static String formField(byte[] body, String name) {
        String text = new String(body, StandardCharsets.UTF_8);
        for (String pair : text.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            if (URLDecoder.decode(k, StandardCharsets.UTF_8).equals(name)) {
                try {
                    return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new QueueAdmin.AdminException(400, "the login form is not URL-encoded");
                }
            }
        }
        return null;
    }

    private static void asset(String method, Response response, Callback callback, String type, byte[] body) {
        allow(method, HttpMethod.GET, response);
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    private static void allow(String method, HttpMethod allowed, Response response) {
        if (!allowed.is(method)) {
            response.getHeaders().put(HttpHeader.ALLOW, allowed.asString());
            throw new QueueAdmin.AdminException(405, "method not allowed; use " + allowed.asString());
        }
    }

    private static void html(Response response, Callback callback, int status, String page) {
        byte[] b = page.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, b.length);
        response.write(true, ByteBuffer.wrap(b), callback);
    }

    private static void json(Response response, Callback callback, int status, Map<String, Object> body) {
        byte[] b;
        try {
            b = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("maps of strings, numbers and lists always serialize", e);
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, b.length);
        response.write(true, ByteBuffer.wrap(b), callback);
    }

    private static Map<String, Object> error(String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", "error");
        m.put("error", message);
        return m;
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
