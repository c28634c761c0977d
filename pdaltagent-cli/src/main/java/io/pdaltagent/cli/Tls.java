package io.pdaltagent.cli;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * {@code PDSEND_SKIP_CERT_VERIFY=true}: trust any certificate and any host name, for an agent that
 * serves its generated self-signed certificate. Only {@link AgentClient} uses it, and only when that
 * variable says so; its own class, so that plain HTTP never loads the TLS classes.
 */
final class Tls {
    private Tls() {
    }

    static void trustAll(HttpsURLConnection c) throws IOException {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new TrustAll()}, null);
            c.setSSLSocketFactory(ctx.getSocketFactory());
            c.setHostnameVerifier(new AnyHost());
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS set-up failed: " + e.getMessage(), e);
        }
    }

    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    private static final class AnyHost implements HostnameVerifier {
        @Override
        public boolean verify(String hostname, SSLSession session) {
            return true;
        }
    }
}
