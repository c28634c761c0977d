package io.pdaltagent.admin;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code GET /admin/v1/agent}: {@code {"instance":"<uuid>","version":"..."}}, the random id of this
 * start that {@link AgentEndpoint} also writes into the data dir, so that {@code pd-queue} can tell
 * the agent of its data dir from a program that took the port of a killed one. Nothing secret:
 * the instance id proves which agent answers, it grants nothing. Immutable; non-blocking.
 */
public final class AgentIdentityHandler extends Handler.Abstract.NonBlocking {
    private final byte[] body;

    public AgentIdentityHandler(String instance, String version) {
        this.body = ("{\"instance\":\"" + instance.replaceAll("[^A-Za-z0-9-]", "") + "\",\"version\":\""
                + version.replaceAll("[^A-Za-z0-9.+_-]", "") + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (!AgentEndpoint.IDENTITY_PATH.equals(Request.getPathInContext(request))) {
            return false;
        }
        if (!HttpMethod.GET.is(request.getMethod())) {
            response.setStatus(405);
            response.getHeaders().put(HttpHeader.ALLOW, "GET");
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap("{\"status\":\"error\",\"error\":\"method not allowed; use GET\"}"
                    .getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }
}
