package io.pdaltagent.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.observe.Mask;
import io.pdaltagent.queue.DeliveryState;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.StoreUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue admin API that {@code pd-queue} talks to, on the agent's admin listener
 * ({@link AdminListener}, {@code PDAGENTD_ADMIN_PORT}; never on the ingest ports):
 *
 * <pre>
 * GET  /admin/v1/queue/status[?key=K]            counts per key and totals
 * POST /admin/v1/queue/retry   {"key":K} | {"all":true} | {"seqs":[N...]} → {"retried":N}
 * GET  /admin/v1/queue/dead[?key=K&amp;limit=N]      dead events, oldest first, with PagerDuty's answer
 * GET  /admin/v1/queue/suppressed[?key=K&amp;limit=N] counts per key and rule, then the events
 * GET  /admin/v1/queue/dead/{seq}                 one event (any state) with its stored body
 * POST /admin/v1/queue/purge   {"state":"dead"|"delivered","key":K?} | {"seqs":[N...]} → {"purged":N}
 * </pre>
 *
 * The documents are {@link QueueAdmin}'s. Errors are {@code {"status":"error","error":"..."}} with
 * 400 (bad request), 403 (refused, see below), 404 (no such path or event), 405 (wrong method, with
 * {@code Allow}), 413 (request body over 64 KB), 500 or 503 (store unusable).
 *
 * <p><b>Who may call.</b> This API can purge events, so a request is answered only when
 * <ol>
 *   <li>it carries no {@code Origin} header, or one naming the request's own scheme, host and port
 *       (a page served by this listener): browsers send {@code Origin} on every cross-site request and
 *       on every POST, so other web pages cannot drive the API (CSRF);</li>
 *   <li>from a loopback address, it is addressed to {@code localhost} or a loopback IP in its
 *       {@code Host} header, which defeats DNS rebinding;</li>
 *   <li>from any other address, the listener has a token and the request carries it
 *       ({@code Authorization: Bearer TOKEN}); without a token such requests are refused;</li>
 *   <li>a change ({@code retry}, {@code purge}) carries the token whenever one is set.</li>
 * </ol>
 * A refusal is a 403; a missing or wrong token a 401 with {@code WWW-Authenticate: Bearer}. Tokens
 * are compared in constant time and never logged. There is no forwarded-header support on this
 * listener, so the remote address cannot be spoofed through a proxy header.
 *
 * <p>Jetty runs it where blocking is allowed: every request reads or writes the store.
 */
public final class QueueAdminHandler extends Handler.Abstract {
    public static final String PREFIX = QueueAdmin.PREFIX;
    static final int MAX_REQUEST_BYTES = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(QueueAdminHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DEAD_SEQ = Pattern.compile("/dead/([0-9]{1,18})");

    private final QueueAdmin admin;
    private final byte[] token;

    /** Without a token: loopback callers only, changes need nothing more. */
    public QueueAdminHandler(EventQueue queue) {
        this(queue, null);
    }

    /** @param tokenOrNull {@code PDAGENTD_ADMIN_TOKEN}, or null */
    public QueueAdminHandler(EventQueue queue, String tokenOrNull) {
        this.admin = new QueueAdmin(queue);
        this.token = tokenOrNull == null ? null : tokenOrNull.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        if (!path.equals(PREFIX) && !path.startsWith(PREFIX + "/")) {
            return false;
        }
        int status = 200;
        Map<String, Object> body;
        try {
            String refusal = refusal(request);
            if (refusal != null) {
                throw new QueueAdmin.AdminException(403, refusal);
            }
            boolean change = HttpMethod.POST.is(request.getMethod());
            if ((change || !isLoopback(request)) && token != null && !AdminToken.presented(request, token)) {
                response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"pdaltagent\"");
                throw new QueueAdmin.AdminException(401, "this agent's admin API needs its token (Authorization: Bearer "
                        + "PDAGENTD_ADMIN_TOKEN)" + (change ? " for changes" : " for requests from other hosts"));
            }
            body = route(path.substring(PREFIX.length()), request, response);
        } catch (QueueAdmin.AdminException e) {
            status = e.status();
            body = error(e.getMessage());
        } catch (StoreUnavailableException e) {
            status = 503;
            body = error(e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("queue admin request {} {} failed", request.getMethod(), path, e);
            status = 500;
            body = error(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("maps of strings, numbers and lists always serialize", e);
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
        return true;
    }

    private Map<String, Object> route(String sub, Request request, Response response) {
        String method = request.getMethod();
        switch (sub) {
            case "/status" -> {
                allow(method, HttpMethod.GET, response);
                return admin.status(keyParam(request));
            }
            case "/dead" -> {
                allow(method, HttpMethod.GET, response);
                return admin.dead(keyParam(request), limitParam(request));
            }
            case "/suppressed" -> {
                allow(method, HttpMethod.GET, response);
                return admin.suppressed(keyParam(request), limitParam(request));
            }
            case "/retry" -> {
                allow(method, HttpMethod.POST, response);
                JsonNode b = jsonBody(request);
                String key = optionalString(b, "key");
                JsonNode all = b.get("all");
                if (all != null && !all.isNull() && !all.isBoolean()) {
                    throw new QueueAdmin.AdminException(400, "'all' must be true or false");
                }
                if (has(b, "seqs")) {
                    if (key != null || (all != null && all.asBoolean())) {
                        throw new QueueAdmin.AdminException(400, "'seqs' goes alone: not with 'key' or 'all'");
                    }
                    List<Long> seqs = QueueAdmin.seqs(b.get("seqs"));
                    Map<String, Object> result = admin.retry(seqs);
                    LOG.info("queue admin: {} of {} chosen dead event(s) set up for retry", result.get("retried"), seqs.size());
                    return result;
                }
                Map<String, Object> result = admin.retry(key, all != null && all.asBoolean());
                LOG.info("queue admin: {} dead event(s) of {} set up for retry", result.get("retried"),
                        key == null ? "all keys" : "key " + Mask.key(key));
                return result;
            }
            case "/purge" -> {
                allow(method, HttpMethod.POST, response);
                JsonNode b = jsonBody(request);
                if (has(b, "seqs")) {
                    String state = optionalString(b, "state");
                    if (state != null && QueueAdmin.purgeState(state) != DeliveryState.DEAD) {
                        throw new QueueAdmin.AdminException(400, "'seqs' purges dead events only");
                    }
                    if (optionalString(b, "key") != null) {
                        throw new QueueAdmin.AdminException(400, "'seqs' goes alone: not with 'key'");
                    }
                    List<Long> seqs = QueueAdmin.seqs(b.get("seqs"));
                    Map<String, Object> result = admin.purge(seqs);
                    LOG.info("queue admin: {} of {} chosen dead event(s) purged", result.get("purged"), seqs.size());
                    return result;
                }
                DeliveryState state = QueueAdmin.purgeState(optionalString(b, "state"));
                String key = optionalString(b, "key");
                Map<String, Object> result = admin.purge(state, key);
                LOG.info("queue admin: {} {} event(s) of {} purged", result.get("purged"), QueueAdmin.stateName(state),
                        key == null ? "all keys" : "key " + Mask.key(key));
                return result;
            }
            default -> {
                var m = DEAD_SEQ.matcher(sub);
                if (!m.matches()) {
                    throw new QueueAdmin.AdminException(404, "no such queue admin path: " + PREFIX + sub);
                }
                allow(method, HttpMethod.GET, response);
                return admin.event(Long.parseLong(m.group(1)));
            }
        }
    }

    /** Why a request is refused before its token is looked at, or null when it may go on. */
    String refusal(Request request) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin != null && !AdminToken.sameOrigin(origin, request)) {
            return "the queue admin API does not answer browser requests from other sites (the request has an Origin header)";
        }
        if (!isLoopback(request)) {
            return token == null ? "the queue admin API answers only requests from this host (a loopback address)" : null;
        }
        String host = request.getHttpURI().getHost();
        if (!QueueAdmin.isLocalHostName(host)) {
            return "the queue admin API answers only requests addressed to localhost or a loopback address, not '"
                    + host + "'";
        }
        return null;
    }

    private static boolean isLoopback(Request request) {
        SocketAddress remote = request.getConnectionMetaData().getRemoteSocketAddress();
        return remote instanceof InetSocketAddress isa && isa.getAddress() != null && isa.getAddress().isLoopbackAddress();
    }

    private static void allow(String method, HttpMethod allowed, Response response) {
        if (!allowed.is(method)) {
            response.getHeaders().put(HttpHeader.ALLOW, allowed.asString());
            throw new QueueAdmin.AdminException(405, "method not allowed; use " + allowed.asString());
        }
    }

    private static String keyParam(Request request) {
        Fields q = Request.extractQueryParameters(request);
        return q.getValue("key");
    }

    private static int limitParam(Request request) {
        String v = Request.extractQueryParameters(request).getValue("limit");
        if (v == null) {
            return QueueAdmin.DEFAULT_LIST_LIMIT;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new QueueAdmin.AdminException(400, "'limit' must be a whole number, not '" + v + "'");
        }
    }

    private static JsonNode jsonBody(Request request) {
        byte[] bytes;
        try (InputStream in = Request.asInputStream(request)) {
            bytes = in.readNBytes(MAX_REQUEST_BYTES + 1);
        } catch (IOException e) {
            throw new QueueAdmin.AdminException(400, "could not read the request body: " + e.getMessage());
        }
        if (bytes.length > MAX_REQUEST_BYTES) {
            throw new QueueAdmin.AdminException(413, "the request body is over " + MAX_REQUEST_BYTES + " bytes");
        }
        if (bytes.length == 0) {
            return JSON.createObjectNode();
        }
        JsonNode n;
        try {
            n = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new QueueAdmin.AdminException(400, "the request body is not JSON");
        }
        if (n == null || !n.isObject()) {
            throw new QueueAdmin.AdminException(400, "the request body must be a JSON object");
        }
        return n;
    }

    private static boolean has(JsonNode body, String field) {
        JsonNode n = body.get(field);
        return n != null && !n.isNull();
    }

    private static String optionalString(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new QueueAdmin.AdminException(400, "'" + field + "' must be a string");
        }
        return n.textValue();
    }

    private static Map<String, Object> error(String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", "error");
        m.put("error", message);
        return m;
    }
}
