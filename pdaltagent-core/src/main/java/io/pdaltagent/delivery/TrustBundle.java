package io.pdaltagent.delivery;

import io.pdaltagent.config.ConfigException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS context of outbound calls when {@code PDAGENTD_CA_FILE} names a PEM bundle: the
 * certificates of the bundle are trusted on top of the JDK's own CAs (a TLS-inspecting proxy's CA,
 * a private PagerDuty-compatible endpoint), never instead of them. Built once at start; the
 * context is thread-safe.
 */
public final class TrustBundle {
    static final String VARIABLE = "PDAGENTD_CA_FILE";
    /** A CA bundle (all of Mozilla's is ~150) is far below this; anything larger is not one. */
    static final long MAX_BYTES = 4L * 1024 * 1024;

    private TrustBundle() {
    }

    /**
     * The JDK's trust plus the bundle's certificates.
     *
     * @throws ConfigException naming {@value #VARIABLE} and the file when it is unreadable or holds no certificate
     */
    public static SSLContext context(Path pemBundle) {
        List<X509Certificate> extra = read(pemBundle);
        try {
            X509TrustManager jdk = trustManager(null);
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (X509Certificate c : extra) {
                ks.setCertificateEntry("pdagentd-ca-" + i++, c);
            }
            X509TrustManager bundle = trustManager(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new EitherTrustManager(jdk, bundle)}, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the TLS context: " + e.getMessage(), e);
        }
    }

    static List<X509Certificate> read(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new ConfigException(VARIABLE + ": " + file + " is over " + MAX_BYTES / (1024 * 1024) + " MB; not a CA bundle");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(VARIABLE + ": cannot read " + file + " (" + e.getMessage() + ")");
        }
        Collection<? extends Certificate> certs;
        try {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new ConfigException(VARIABLE + ": " + file + " is not a PEM bundle of certificates (" + e.getMessage() + ")");
        }
        List<X509Certificate> out = new ArrayList<>();
        for (Certificate c : certs) {
            if (c instanceof X509Certificate x) {
                out.add(x);
            }
        }
        if (out.isEmpty()) {
            throw new ConfigException(VARIABLE + ": " + file + " holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)");
        }
        return out;
    }

    private static X509TrustManager trustManager(KeyStore ks) throws GeneralSecurityException {
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(ks);
        for (TrustManager tm : f.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X.509 trust manager");
    }

    /** Trusts a server chain that either the JDK's CAs or the bundle's accept. */
    private record EitherTrustManager(X509TrustManager first, X509TrustManager second) implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            first.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            try {
                first.checkServerTrusted(chain, authType);
            } catch (java.security.cert.CertificateException e) {
                second.checkServerTrusted(chain, authType);
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            X509Certificate[] a = first.getAcceptedIssuers();
            X509Certificate[] b = second.getAcceptedIssuers();
            X509Certificate[] all = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, all, a.length, b.length);
            return all;
        }
    }
}
