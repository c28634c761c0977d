package io.pdaltagent.admin;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Request;

/**
 * The admin listener's two request checks that do not depend on the route: the bearer token
 * ({@code Authorization: Bearer TOKEN}, compared in constant time) and the same-origin rule for the
 * {@code Origin} header. Stateless; thread-safe.
 */
final class AdminToken {
    private static final String BEARER = "bearer ";

    private AdminToken() {
    }

    /** True when the request carries {@code Authorization: Bearer <token>}. */
    static boolean presented(Request request, byte[] token) {
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (auth == null || auth.length() <= BEARER.length()
                || !auth.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
            return false;
        }
        byte[] given = auth.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token);
    }

    /**
     * True when {@code origin} names the request's own scheme, host and port: a page this listener
     * served itself. {@code null} origins ("null", opaque) and anything that does not parse are not.
     */
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
        HttpURI u = request.getHttpURI();
        String scheme = request.isSecure() ? "https" : "http";
        if (!scheme.equalsIgnoreCase(o.getScheme()) || u.getHost() == null || !u.getHost().equalsIgnoreCase(o.getHost())) {
            return false;
        }
        int defaultPort = scheme.equals("https") ? 443 : 80;
        int originPort = o.getPort() == -1 ? defaultPort : o.getPort();
        int requestPort = u.getPort() <= 0 ? defaultPort : u.getPort();
        return originPort == requestPort;
    }
}
