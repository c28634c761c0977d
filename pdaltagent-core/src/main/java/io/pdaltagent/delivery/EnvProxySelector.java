package io.pdaltagent.delivery;

import java.io.IOException;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ProxySelector} configured from {@code HTTPS_PROXY}, {@code HTTP_PROXY} and
 * {@code NO_PROXY}, read the way curl and Python requests read them, for every outbound call of the
 * agent ({@code HttpClient.newBuilder().proxy(selector).authenticator(selector.authenticator())}).
 *
 * <ul>
 *   <li>{@code https_proxy} / {@code HTTPS_PROXY} serve {@code https://} (and {@code wss://}) URLs,
 *       {@code http_proxy} / {@code HTTP_PROXY} serve {@code http://} (and {@code ws://}) URLs. The
 *       lower-case name wins when both are set, as in curl, even when it is empty (then no proxy
 *       is used).</li>
 *   <li>A proxy is {@code http://host:port}, {@code host:port} or either with {@code user:password@}
 *       (percent-encoded characters are decoded). Without a port, 80 is used, as Python does (curl
 *       would use 1080). Java's HTTP client speaks only plain HTTP to a proxy, so {@code https://}
 *       (TLS to the proxy) and {@code socks*://} proxies are refused rather than silently misused.</li>
 *   <li>{@code no_proxy} / {@code NO_PROXY}: comma- (or space-) separated entries; {@code *} alone
 *       bypasses the proxy for everything. An entry is a host name or domain ({@code example.com}
 *       and {@code .example.com} both match {@code example.com} and every sub-domain; a leading
 *       {@code *.} is read as {@code .}), an IP address, or a CIDR range ({@code 10.0.0.0/8},
 *       {@code fd00::/8}); an entry may end in {@code :port} ({@code [v6]:port} for IPv6) to match
 *       only that port. Names match case-insensitively; IP entries match only URLs whose host is a
 *       literal address (names are never resolved, as in curl).</li>
 * </ul>
 *
 * <p>A value that does not parse throws {@link IllegalArgumentException} naming the variable.
 * Passwords never appear in {@link #toString()}, in exceptions or in logs. Immutable and
 * thread-safe.
 */
public final class EnvProxySelector extends ProxySelector {
    private static final Logger LOG = LoggerFactory.getLogger(EnvProxySelector.class);
    private static final List<Proxy> DIRECT = List.of(Proxy.NO_PROXY);
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://");
    /** The JDK property listing auth schemes refused for HTTPS tunnels; "Basic" by default. */
    static final String TUNNELING_DISABLED_SCHEMES = "jdk.http.auth.tunneling.disabledSchemes";

    private final ProxyEndpoint httpsProxy;
    private final ProxyEndpoint httpProxy;
    private final List<NoProxyRule> noProxy;
    private final boolean bypassAll;
    private final String noProxyText;

    private EnvProxySelector(ProxyEndpoint httpsProxy, ProxyEndpoint httpProxy, List<NoProxyRule> noProxy, boolean bypassAll,
            String noProxyText) {
        this.httpsProxy = httpsProxy;
        this.httpProxy = httpProxy;
        this.noProxy = noProxy;
        this.bypassAll = bypassAll;
        this.noProxyText = noProxyText;
    }

    /**
     * Reads {@code https_proxy}, {@code HTTPS_PROXY}, {@code http_proxy}, {@code HTTP_PROXY},
     * {@code no_proxy} and {@code NO_PROXY} from {@code env} (typically {@code System.getenv()}).
     *
     * @throws IllegalArgumentException naming the variable whose value does not parse
     */
    public static EnvProxySelector fromEnv(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        ProxyEndpoint https = proxy(env, "https_proxy", "HTTPS_PROXY");
        ProxyEndpoint http = proxy(env, "http_proxy", "HTTP_PROXY");
        String noProxyVar = pick(env, "no_proxy", "NO_PROXY");
        String noProxyValue = noProxyVar == null ? "" : env.get(noProxyVar).trim();
        List<NoProxyRule> rules = new ArrayList<>();
        boolean all = false;
        for (String entry : noProxyValue.split("[,\\s]+")) {
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.equals("*")) {
                all = true;
                continue;
            }
            rules.add(NoProxyRule.parse(noProxyVar, entry));
        }
        return new EnvProxySelector(https, http, List.copyOf(rules), all, noProxyValue);
    }

    /** A selector that never uses a proxy. */
    public static EnvProxySelector direct() {
        return new EnvProxySelector(null, null, List.of(), false, "");
    }

    @Override
    public List<Proxy> select(URI uri) {
        Objects.requireNonNull(uri, "uri");
        ProxyEndpoint proxy = proxyForScheme(uri.getScheme());
        String host = uri.getHost();
        if (proxy == null || host == null || bypasses(host, portOf(uri))) {
            return DIRECT;
        }
        return List.of(proxy.toProxy());
    }

    @Override
    public void connectFailed(URI uri, SocketAddress proxyAddress, IOException failure) {
        LOG.debug("Connecting to {}://{} through proxy {} failed: {}", uri.getScheme(), uri.getAuthority() == null ? uri.getHost()
                : stripUserInfo(uri.getAuthority()), proxyAddress, failure.toString());
    }

    /**
     * True when {@code NO_PROXY} says to connect to this host directly. {@code port} -1 matches
     * only entries without a port.
     */
    public boolean bypasses(String host, int port) {
        if (bypassAll) {
            return true;
        }
        String h = normaliseHost(host);
        InetAddress literal = IpLiteral.parse(h);
        for (NoProxyRule rule : noProxy) {
            if (rule.matches(h, literal, port)) {
                return true;
            }
        }
        return false;
    }

    /** The proxy for {@code https://} URLs, if one is configured. */
    public Optional<ProxyEndpoint> httpsProxy() {
        return Optional.ofNullable(httpsProxy);
    }

    /** The proxy for {@code http://} URLs, if one is configured. */
    public Optional<ProxyEndpoint> httpProxy() {
        return Optional.ofNullable(httpProxy);
    }

    /** True when no proxy is configured at all: every call goes direct. */
    public boolean isDirect() {
        return httpsProxy == null && httpProxy == null;
    }

    /**
     * An {@link Authenticator} that answers only proxy challenges ({@code RequestorType.PROXY}),
     * with the credentials of the configured proxy at the requesting host and port; null (no
     * credentials) for servers and for unknown proxies.
     *
     * <p>Note: by default the JDK refuses Basic authentication on HTTPS tunnels ({@code CONNECT}):
     * the client then sees the proxy's 407 as the answer. Call {@link #allowBasicAuthOnTunnels()}
     * before the first HTTP client is created when {@link #needsBasicAuthOnTunnels()}. Wrong
     * credentials make Java's client fail with an {@code IOException} ("too many authentication
     * attempts") after a few tries. Plain-HTTP proxying is not affected.
     */
    public Authenticator authenticator() {
        return new ProxyAuthenticator(this);
    }

    /** True when the {@code https://} proxy has credentials, so HTTPS tunnels need Basic authentication. */
    public boolean needsBasicAuthOnTunnels() {
        return httpsProxy != null && httpsProxy.hasCredentials();
    }

    /**
     * Lets Java's HTTP client answer a proxy's Basic challenge on HTTPS tunnels, which the JDK
     * disables by default ({@code jdk.http.auth.tunneling.disabledSchemes=Basic}). JVM-wide; takes
     * effect only when called before the first HTTP client is created; a value set explicitly on
     * the command line is left alone.
     *
     * @return true when the property was changed
     */
    public static boolean allowBasicAuthOnTunnels() {
        if (System.getProperty(TUNNELING_DISABLED_SCHEMES) != null) {
            return false;
        }
        System.setProperty(TUNNELING_DISABLED_SCHEMES, "");
        return true;
    }

    /** Same as {@code selector.authenticator()}. */
    public static Authenticator authenticator(EnvProxySelector selector) {
        return selector.authenticator();
    }

    /** The credentials for a proxy at this host and port, if it is one of ours and has them. */
    public Optional<PasswordAuthentication> proxyCredentials(String host, int port) {
        for (ProxyEndpoint p : new ProxyEndpoint[] {httpsProxy, httpProxy}) {
            if (p != null && p.hasCredentials() && p.port() == port && p.host().equalsIgnoreCase(normaliseHost(host))) {
                return Optional.of(new PasswordAuthentication(p.username(), p.password().toCharArray()));
            }
        }
        return Optional.empty();
    }

    /** Masked: {@code EnvProxySelector[https=http://user:****@proxy:3128, http=none, no_proxy=...]}. */
    @Override
    public String toString() {
        return "EnvProxySelector[https=" + (httpsProxy == null ? "none" : httpsProxy) + ", http="
                + (httpProxy == null ? "none" : httpProxy) + ", no_proxy=" + (noProxyText.isEmpty() ? "none" : noProxyText) + "]";
    }

    private ProxyEndpoint proxyForScheme(String scheme) {
        if (scheme == null) {
            return null;
        }
        return switch (scheme.toLowerCase(Locale.ROOT)) {
            case "https", "wss" -> httpsProxy;
            case "http", "ws" -> httpProxy;
            default -> null;
        };
    }

    private static int portOf(URI uri) {
        if (uri.getPort() != -1) {
            return uri.getPort();
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "https", "wss" -> 443;
            case "http", "ws" -> 80;
            default -> -1;
        };
    }

    /** Lower case, no brackets around an IPv6 literal, no trailing dot. */
    static String normaliseHost(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        while (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }

    private static String stripUserInfo(String authority) {
        int at = authority.lastIndexOf('@');
        return at < 0 ? authority : authority.substring(at + 1);
    }

    /**
     * The variable to read: the lower-case one when present (even empty: curl then uses no proxy),
     * else the upper-case one; null when neither holds a value.
     */
    private static String pick(Map<String, String> env, String lower, String upper) {
        String variable = env.containsKey(lower) ? lower : env.containsKey(upper) ? upper : null;
        return variable == null || env.get(variable) == null || env.get(variable).isBlank() ? null : variable;
    }

    private static ProxyEndpoint proxy(Map<String, String> env, String lower, String upper) {
        String variable = pick(env, lower, upper);
        return variable == null ? null : ProxyEndpoint.parse(variable, env.get(variable).trim());
    }

    // ------------------------------------------------------------------ value types

    /**
     * One proxy: where it is and, optionally, the credentials to give it. {@link #toString()} masks
     * the password.
     *
     * @param variable the environment variable it came from, for messages
     * @param host     host name or IP literal (IPv6 without brackets)
     * @param port     port
     * @param username user name, or null
     * @param password password, or null
     */
    public record ProxyEndpoint(String variable, String host, int port, String username, String password) {

        static ProxyEndpoint parse(String variable, String value) {
            String v = value;
            String lower = v.toLowerCase(Locale.ROOT);
            if (SCHEME.matcher(v).find()) {
                if (lower.startsWith("https://")) {
                    throw bad(variable, "https:// proxies (TLS to the proxy) are not supported by Java's HTTP client; use http://");
                }
                if (!lower.startsWith("http://")) {
                    throw bad(variable, "only http:// proxies are supported, not " + v.substring(0, v.indexOf("://") + 3));
                }
                v = v.substring("http://".length());
            }
            String user = null;
            String pass = null;
            int at = v.lastIndexOf('@');
            int slash = indexOfAny(v, at + 1, "/?#");
            if (slash >= 0) {
                v = v.substring(0, slash);
            }
            if (at >= 0) {
                String userInfo = v.substring(0, at);
                v = v.substring(at + 1);
                int colon = userInfo.indexOf(':');
                user = decode(variable, colon < 0 ? userInfo : userInfo.substring(0, colon));
                pass = colon < 0 ? "" : decode(variable, userInfo.substring(colon + 1));
                if (user.isEmpty()) {
                    throw bad(variable, "empty user name before '@'");
                }
            }
            HostPort hp = HostPort.parse(variable, v, 80);
            return new ProxyEndpoint(variable, hp.host(), hp.port(), user, pass);
        }

        public boolean hasCredentials() {
            return username != null;
        }

        /** A {@code java.net.Proxy}; the address is left unresolved so DNS is asked at connect time. */
        public Proxy toProxy() {
            return new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(host, port));
        }

        /** {@code http://user:****@host:port}, the password never shown. */
        @Override
        public String toString() {
            String h = host.contains(":") ? "[" + host + "]" : host;
            return "http://" + (username == null ? "" : username + ":****@") + h + ":" + port;
        }

        private static String decode(String variable, String s) {
            try {
                return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw bad(variable, "bad percent-encoding in the user name or password");
            }
        }

        private static int indexOfAny(String s, int from, String chars) {
            for (int i = from; i < s.length(); i++) {
                if (chars.indexOf(s.charAt(i)) >= 0) {
                    return i;
                }
            }
            return -1;
        }
    }

    /** A host and port parsed from {@code host}, {@code host:port}, {@code [v6]}, {@code [v6]:port} or a bare IPv6 literal. */
    private record HostPort(String host, int port) {
        static HostPort parse(String variable, String s, int defaultPort) {
            String host;
            String port = null;
            if (s.startsWith("[")) {
                int close = s.indexOf(']');
                if (close < 0) {
                    throw bad(variable, "unclosed '[' in '" + s + "'");
                }
                host = s.substring(1, close);
                String rest = s.substring(close + 1);
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) {
                        throw bad(variable, "unexpected '" + rest + "' after ']'");
                    }
                    port = rest.substring(1);
                }
                if (IpLiteral.parse(host) == null) {
                    throw bad(variable, "'" + host + "' is not an IPv6 address");
                }
            } else {
                int colon = s.indexOf(':');
                if (colon >= 0 && colon == s.lastIndexOf(':')) {
                    host = s.substring(0, colon);
                    port = s.substring(colon + 1);
                } else {
                    host = s; // no port, or a bare IPv6 literal
                    if (colon >= 0 && IpLiteral.parse(host) == null) {
                        throw bad(variable, "'" + s + "' is neither host:port nor an IPv6 address");
                    }
                }
            }
            host = normaliseHost(host);
            if (host.isEmpty()) {
                throw bad(variable, "no host in '" + s + "'");
            }
            if (!host.matches("[a-z0-9._:%-]+")) {
                throw bad(variable, "'" + host + "' is not a host name");
            }
            return new HostPort(host, port == null ? defaultPort : portNumber(variable, port));
        }
    }

    private static int portNumber(String variable, String text) {
        try {
            int p = Integer.parseInt(text);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(variable, "'" + text + "' is not a port number (1-65535)");
    }

    private static IllegalArgumentException bad(String variable, String why) {
        return new IllegalArgumentException(variable + ": " + why);
    }

    /** One {@code NO_PROXY} entry. */
    private record NoProxyRule(String domain, InetAddress network, int prefixBits, int port) {

        static NoProxyRule parse(String variable, String raw) {
            String entry = raw.trim();
            if (entry.startsWith("*.")) {
                entry = entry.substring(1);
            }
            int slash = entry.indexOf('/');
            if (slash >= 0) {
                return cidr(variable, entry, slash);
            }
            String dotless = entry.startsWith(".") ? entry.substring(1) : entry;
            HostPort hp = HostPort.parse(variable, dotless, -1);
            InetAddress ip = IpLiteral.parse(hp.host());
            if (ip != null) {
                return new NoProxyRule(null, ip, ip.getAddress().length * 8, hp.port());
            }
            return new NoProxyRule(hp.host(), null, 0, hp.port());
        }

        private static NoProxyRule cidr(String variable, String entry, int slash) {
            String address = entry.substring(0, slash);
            if (address.startsWith("[") && address.endsWith("]")) {
                address = address.substring(1, address.length() - 1);
            }
            InetAddress ip = IpLiteral.parse(address);
            if (ip == null) {
                throw bad(variable, "'" + entry + "' is not a CIDR range: '" + address + "' is not an IP address");
            }
            int max = ip.getAddress().length * 8;
            int bits;
            try {
                bits = Integer.parseInt(entry.substring(slash + 1));
            } catch (NumberFormatException e) {
                bits = -1;
            }
            if (bits < 0 || bits > max) {
                throw bad(variable, "'" + entry + "' is not a CIDR range: the prefix must be 0-" + max);
            }
            return new NoProxyRule(null, ip, bits, -1);
        }

        boolean matches(String host, InetAddress hostIp, int hostPort) {
            if (port != -1 && port != hostPort) {
                return false;
            }
            if (domain != null) {
                return host.equals(domain) || host.endsWith("." + domain);
            }
            return hostIp != null && IpLiteral.inRange(hostIp, network, prefixBits);
        }
    }

    /** IP literals without DNS: {@code InetAddress.getByName} is only called on strings that are literals. */
    private static final class IpLiteral {
        private static final Pattern V4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
        private static final Pattern V6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

        private IpLiteral() {
        }

        /** The address when {@code s} is an IPv4 or IPv6 literal, else null. Never resolves a name. */
        static InetAddress parse(String s) {
            String t = s;
            int zone = t.indexOf('%');
            if (zone >= 0) {
                t = t.substring(0, zone);
            }
            if (V4.matcher(t).matches()) {
                for (String octet : t.split("\\.")) {
                    if (Integer.parseInt(octet) > 255) {
                        return null;
                    }
                }
            } else if (!V6.matcher(t).matches()) {
                return null;
            }
            try {
                return InetAddress.getByName(t);
            } catch (IOException notALiteral) {
                return null;
            }
        }

        static boolean inRange(InetAddress address, InetAddress network, int prefixBits) {
            byte[] a = address.getAddress();
            byte[] n = network.getAddress();
            if (a.length != n.length) {
                return false; // IPv4 vs IPv6 (Java already reads ::ffff:a.b.c.d as IPv4)
            }
            int full = prefixBits / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != n[i]) {
                    return false;
                }
            }
            int rest = prefixBits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xFF << (8 - rest) & 0xFF;
            return (a[full] & mask) == (n[full] & mask);
        }
    }

    /** Gives proxy credentials to proxy challenges only. */
    private static final class ProxyAuthenticator extends Authenticator {
        private final EnvProxySelector selector;

        ProxyAuthenticator(EnvProxySelector selector) {
            this.selector = selector;
        }

        @Override
        protected PasswordAuthentication getPasswordAuthentication() {
            if (getRequestorType() != RequestorType.PROXY) {
                return null;
            }
            String host = getRequestingHost();
            if (host == null && getRequestingSite() != null) {
                host = getRequestingSite().getHostAddress();
            }
            return host == null ? null : selector.proxyCredentials(host, getRequestingPort()).orElse(null);
        }
    }
}
