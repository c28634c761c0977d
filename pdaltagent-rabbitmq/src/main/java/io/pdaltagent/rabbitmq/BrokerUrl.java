package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.ConnectionFactory;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.KeyManagementException;
import javax.net.ssl.SSLContext;

/**
 * A broker URL as users write it: {@code amqp://user:pass@host:port/vhost}, {@code amqps://...}, and
 * Celery's {@code pyamqp://} (the same protocol). Celery's {@code //} at the end means the vhost
 * {@code /}; so does no path at all.
 */
public record BrokerUrl(boolean tls, String host, int port, String user, String password, String vhost) {

    public static BrokerUrl parse(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("broker URL is empty");
        }
        URI u;
        try {
            u = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("broker URL does not parse: " + e.getReason());
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
        boolean tls = switch (scheme) {
            case "amqp", "pyamqp" -> false;
            case "amqps", "pyamqps" -> true;
            default -> throw new IllegalArgumentException("broker URL scheme must be amqp://, amqps:// or pyamqp://, not '"
                    + scheme + "'");
        };
        String host = u.getHost();
        if (host == null || host.isEmpty()) {
            if (u.getRawAuthority() == null || u.getRawAuthority().endsWith("@")) {
                host = "localhost";
            } else {
                throw new IllegalArgumentException("broker URL has no valid host");
            }
        }
        int port = u.getPort() == -1 ? (tls ? 5671 : 5672) : u.getPort();
        String user = "guest";
        String password = "guest";
        if (u.getRawUserInfo() != null) {
            String[] up = u.getRawUserInfo().split(":", 2);
            user = decode(up[0]);
            password = up.length > 1 ? decode(up[1]) : "";
        }
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        String vhost;
        if (path.isEmpty() || path.equals("/") || path.equals("//")) {
            vhost = "/";
        } else {
            vhost = decode(path.substring(1));
        }
        return new BrokerUrl(tls, host, port, user, password, vhost);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The URL without the password, for messages and logs. */
    public String masked() {
        return (tls ? "amqps" : "amqp") + "://" + user + "@" + host + ":" + port + "/" + vhost;
    }

    void configure(ConnectionFactory f) {
        f.setHost(host);
        f.setPort(port);
        f.setUsername(user);
        f.setPassword(password);
        f.setVirtualHost(vhost);
        if (tls) {
            try {
                SSLContext ctx = SSLContext.getInstance("TLSv1.3");
                ctx.init(null, null, null);
                f.useSslProtocol(ctx);
                f.enableHostnameVerification();
            } catch (NoSuchAlgorithmException | KeyManagementException e) {
                throw new IllegalStateException("TLS is not available: " + e.getMessage(), e);
            }
        }
    }
}
