package io.pdaltagent.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.queue.DeliveryState;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * {@code pd-queue} against the running agent's {@link QueueAdminHandler}, with
 * {@link HttpURLConnection} (no proxy: the agent is on this host). An {@code https://} URL to a
 * loopback address is not certificate-checked: the agent's certificate is usually its generated
 * self-signed one, and on a loopback connection TLS protects nothing that plain HTTP would not.
 */
final class ApiQueueBackend implements QueueBackend {
    static final int CONNECT_TIMEOUT_MILLIS = 3_000;
    /** A purge of a million records takes a while; anything slower than this is a hung agent. */
    static final int READ_TIMEOUT_MILLIS = 120_000;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The identity check of an endpoint file is one small GET; a live agent answers it at once. */
    static final int IDENTITY_TIMEOUT_MILLIS = 2_000;

    private final String base;
    private final String token;
    private final java.nio.file.Path dataDir;

    ApiQueueBackend(URI base) {
        this(base, null, null);
    }

    /** @param token sent as {@code Authorization: Bearer} when not null; @param dataDir for messages, may be null */
    ApiQueueBackend(URI base, String token, java.nio.file.Path dataDir) {
        String s = base.toString();
        this.base = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        this.token = token;
        this.dataDir = dataDir;
    }

    /**
     * The instance id the agent at {@code url} answers at {@link AgentEndpoint#IDENTITY_PATH}, or
     * null when nothing answers there as an agent does (a stale endpoint file).
     */
    static String instanceAt(URI url) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url.toString().replaceAll("/+$", "") + AgentEndpoint.IDENTITY_PATH)
                    .toURL().openConnection(Proxy.NO_PROXY);
            c.setConnectTimeout(IDENTITY_TIMEOUT_MILLIS);
            c.setReadTimeout(IDENTITY_TIMEOUT_MILLIS);
            c.setRequestProperty("User-Agent", "pd-queue");
            if (c.getResponseCode() != 200) {
                return null;
            }
            try (InputStream in = c.getInputStream()) {
                JsonNode n = JSON.readTree(in.readNBytes(4096));
                return n != null && n.path("instance").isTextual() ? n.get("instance").textValue() : null;
            }
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Null when something listens at the URL's host and port, else why not ("connection refused"). */
    static String unreachable(URI url) {
        String host = url.getHost();
        if (host == null) {
            return "the URL has no host";
        }
        int port = url.getPort() != -1 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
        try (Socket s = new Socket(Proxy.NO_PROXY)) {
            s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
            return null;
        } catch (ConnectException e) {
            return "connection refused";
        } catch (SocketTimeoutException e) {
            return "no connection within " + CONNECT_TIMEOUT_MILLIS / 1000 + " s";
        } catch (UnknownHostException e) {
            return "unknown host " + host;
        } catch (IOException | IllegalArgumentException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    @Override
    public JsonNode status(String keyOrNull) {
        return call("GET", "/status" + query("key", keyOrNull, null, null), null);
    }

    @Override
    public JsonNode retry(String keyOrNull) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (keyOrNull == null) {
            body.put("all", true);
        } else {
            body.put("key", keyOrNull);
        }
        return call("POST", "/retry", body);
    }

    @Override
    public JsonNode suppressed(String keyOrNull, int limit) {
        return call("GET", "/suppressed" + query("key", keyOrNull, "limit", String.valueOf(limit)), null);
    }

    @Override
    public JsonNode dead(String keyOrNull, int limit) {
        return call("GET", "/dead" + query("key", keyOrNull, "limit", String.valueOf(limit)), null);
    }

    @Override
    public JsonNode event(long seq) {
        return call("GET", "/dead/" + seq, null);
    }

    @Override
    public JsonNode purge(DeliveryState state, String keyOrNull) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("state", QueueAdmin.stateName(state));
        if (keyOrNull != null) {
            body.put("key", keyOrNull);
        }
        return call("POST", "/purge", body);
    }

    @Override
    public JsonNode retrySeqs(java.util.List<Long> seqs) {
        return call("POST", "/retry", Map.of("seqs", seqs));
    }

    @Override
    public JsonNode purgeSeqs(java.util.List<Long> seqs) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("state", QueueAdmin.stateName(DeliveryState.DEAD));
        body.put("seqs", seqs);
        return call("POST", "/purge", body);
    }

    @Override
    public boolean direct() {
        return false;
    }

    @Override
    public void close() {
        // nothing held between calls
    }

    private JsonNode call(String method, String subPath, Map<String, Object> body) {
        String url = base + QueueAdmin.PREFIX + subPath;
        HttpURLConnection c;
        int status;
        byte[] answer;
        try {
            c = (HttpURLConnection) URI.create(url).toURL().openConnection(Proxy.NO_PROXY);
            if (c instanceof HttpsURLConnection https && isLoopback(https.getURL().getHost())) {
                https.setSSLSocketFactory(TrustAll.CONTEXT.getSocketFactory());
                https.setHostnameVerifier((h, session) -> true);
            }
            c.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
            c.setReadTimeout(READ_TIMEOUT_MILLIS);
            c.setRequestMethod(method);
            c.setRequestProperty("Accept", "application/json");
            c.setRequestProperty("User-Agent", "pd-queue");
            if (token != null) {
                c.setRequestProperty("Authorization", "Bearer " + token);
            }
            if (body != null) {
                byte[] b = JSON.writeValueAsBytes(body);
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                c.setFixedLengthStreamingMode(b.length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(b);
                }
            }
            status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            answer = in == null ? new byte[0] : in.readAllBytes();
        } catch (SocketTimeoutException e) {
            throw new PdQueueException(1, "no answer from the agent at " + base + " within "
                    + READ_TIMEOUT_MILLIS / 1000 + " s");
        } catch (IOException | IllegalArgumentException e) {
            throw new PdQueueException(1, "cannot talk to the agent at " + base + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        JsonNode doc;
        try {
            doc = answer.length == 0 ? null : JSON.readTree(answer);
        } catch (IOException e) {
            doc = null;
        }
        String error = doc != null && doc.path("error").isTextual() ? doc.get("error").textValue() : null;
        if (status >= 200 && status < 300 && doc != null && doc.isObject()) {
            return doc;
        }
        if (error == null) {
            // not our admin API: another program on the port, or an agent without pd-queue support
            throw new PdQueueException(1, "the agent at " + base + " has no queue admin API (HTTP " + status + " for "
                    + QueueAdmin.PREFIX + subPath.replaceAll("\\?.*", "") + "); is PDQUEUE_AGENT_URL right?");
        }
        if (status == 401) {
            throw new PdQueueException(1, "the agent at " + base + " needs its admin token: set PDAGENTD_ADMIN_TOKEN"
                    + (dataDir == null ? "" : ", or run pd-queue as a user who may read " + dataDir.resolve(AgentEndpoint.FILE_NAME)));
        }
        if (status == 404 && subPath.startsWith("/dead/")) {
            throw new PdQueueException(1, error);
        }
        throw new PdQueueException(1, "the agent at " + base + " answered HTTP " + status + ": " + error);
    }

    private static String query(String name1, String value1, String name2, String value2) {
        StringBuilder q = new StringBuilder();
        for (String[] p : new String[][] {{name1, value1}, {name2, value2}}) {
            if (p[0] != null && p[1] != null) {
                q.append(q.isEmpty() ? '?' : '&').append(p[0]).append('=')
                        .append(URLEncoder.encode(p[1], StandardCharsets.UTF_8));
            }
        }
        return q.toString();
    }

    static boolean isLoopback(String host) {
        return QueueAdmin.isLocalHostName(host) && host != null && !host.isEmpty();
    }

    /** Trusts any certificate; used only for loopback connections to the agent. */
    private static final class TrustAll implements X509TrustManager {
        static final SSLContext CONTEXT = context();

        private static SSLContext context() {
            try {
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(null, new TrustManager[] {new TrustAll()}, new SecureRandom());
                return ctx;
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException("no TLS in this JDK", e);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // not a server
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // loopback only: see the class comment
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
