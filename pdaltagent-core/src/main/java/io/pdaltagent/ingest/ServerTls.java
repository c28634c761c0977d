package io.pdaltagent.ingest;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;

import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The TLS side of one listener (HTTPS ingest, or the admin listener with {@code PDAGENTD_ADMIN_TLS}):
 * the Jetty {@link SslContextFactory.Server} it serves with, the client-certificate policy, and the
 * watch that reloads the certificate when its files change.
 *
 * <p><b>Reload.</b> When the identity comes from the operator's PEM files, they are checked every
 * {@code PDAGENTD_TLS_RELOAD_SECONDS} (content hash, so a touch without change does nothing). A new,
 * valid pair is installed with Jetty's {@link SslContextFactory#reload}: new handshakes get the new
 * certificate, connections already open keep theirs and are not dropped. A new pair that does not
 * load (half written, the key of another certificate) keeps the old certificate in use; because a
 * renewal often writes the two files one after the other, the failure is logged (ERROR, once per
 * content) only when the files are the same at the next check too, and the next check after the
 * files change again tries anew. The generated self-signed pair is never reloaded.
 *
 * <pre>{@code
 * ServerTls tls = ServerTls.forIngest(config.ingest());       // ConfigException on a bad file
 * new SslConnectionFactory(tls.sslContextFactory(), "http/1.1");
 * tls.startWatching();                                        // after the server started
 * tls.close();                                                // stops the watch
 * }</pre>
 *
 * <p>Threads: one daemon thread ({@code tls-reload-<listener>}) runs the checks; {@link #checkNow}
 * is synchronized and may also be called from a test.
 */
public final class ServerTls implements AutoCloseable {
    static final String CLIENT_CA_VARIABLE = "PDAGENTD_TLS_CLIENT_CA_FILE";
    static final String ADMIN_CERT_VARIABLE = "PDAGENTD_ADMIN_TLS_CERT_FILE";
    static final String ADMIN_KEY_VARIABLE = "PDAGENTD_ADMIN_TLS_KEY_FILE";
    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    private final String listener;
    private final Path certFile;
    private final String certVariable;
    private final Path keyFile;
    private final String keyVariable;
    private final Duration interval;
    private final SslContextFactory.Server factory;
    private volatile TlsMaterial material;
    /** Content hash of the files as last installed (or last found bad); null for a generated pair. */
    private String installedHash;
    private String pendingBadHash;
    private String reportedBadHash;
    private ScheduledExecutorService watcher;

    private ServerTls(String listener, TlsMaterial material, Path certFile, String certVariable, Path keyFile,
                      String keyVariable, Duration interval, AgentConfig.TlsOptions options) {
        this.listener = listener;
        this.material = material;
        this.certFile = certFile;
        this.certVariable = certVariable;
        this.keyFile = keyFile;
        this.keyVariable = keyVariable;
        this.interval = interval;
        this.factory = material.newSslContextFactory();
        if (options != null && options.clientAuth() != AgentConfig.TlsOptions.ClientAuth.NONE) {
            factory.setTrustStore(trustStore(options.clientCaFile()));
            if (options.clientAuth() == AgentConfig.TlsOptions.ClientAuth.REQUIRED) {
                factory.setNeedClientAuth(true);
            } else {
                factory.setWantClientAuth(true);
            }
        }
        this.installedHash = certFile == null ? null : hashOrNull();
    }

    /** HTTPS ingest: the operator's pair or the generated one, with the client-certificate policy. */
    public static ServerTls forIngest(AgentConfig.IngestConfig config) {
        TlsMaterial material = TlsMaterial.forConfig(config);
        boolean own = config.tlsCertFile() != null;
        return new ServerTls("ingest", material, own ? config.tlsCertFile() : null, TlsMaterial.CERT_VARIABLE,
                own ? config.tlsKeyFile() : null, TlsMaterial.KEY_VARIABLE, config.tls().reloadInterval(), config.tls());
    }

    /** The admin listener: its own pair when configured, else the same as HTTPS ingest; no client certificates. */
    public static ServerTls forAdmin(AgentConfig.AdminTls admin, AgentConfig.IngestConfig ingest) {
        Duration interval = ingest.tls().reloadInterval();
        if (admin.certFile() != null) {
            TlsMaterial material = TlsMaterial.fromPemFiles(admin.certFile(), ADMIN_CERT_VARIABLE, admin.keyFile(),
                    ADMIN_KEY_VARIABLE);
            return new ServerTls("admin", material, admin.certFile(), ADMIN_CERT_VARIABLE, admin.keyFile(),
                    ADMIN_KEY_VARIABLE, interval, null);
        }
        TlsMaterial material = TlsMaterial.forConfig(ingest);
        boolean own = ingest.tlsCertFile() != null;
        return new ServerTls("admin", material, own ? ingest.tlsCertFile() : null, TlsMaterial.CERT_VARIABLE,
                own ? ingest.tlsKeyFile() : null, TlsMaterial.KEY_VARIABLE, interval, null);
    }

    /** The context to build the listener's SslConnectionFactory with; reloads happen inside it. */
    public SslContextFactory.Server sslContextFactory() {
        return factory;
    }

    /** The identity new handshakes get. */
    public TlsMaterial material() {
        return material;
    }

    /** Starts the periodic check; a no-op for a generated pair or a zero interval. */
    public synchronized void startWatching() {
        if (certFile == null || interval.isZero() || watcher != null) {
            return;
        }
        watcher = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("tls-reload-" + listener).daemon(true).factory());
        watcher.scheduleWithFixedDelay(this::checkQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Looks at the files once; installs a new valid pair. Returns true when a new certificate was
     * installed.
     */
    public synchronized boolean checkNow() {
        if (certFile == null) {
            return false;
        }
        String hash = hashOrNull();
        if (hash == null || hash.equals(installedHash)) {
            pendingBadHash = null;
            return false;
        }
        TlsMaterial next;
        try {
            next = TlsMaterial.fromPemFiles(certFile, certVariable, keyFile, keyVariable);
        } catch (ConfigException | IllegalStateException e) {
            if (hash.equals(pendingBadHash) && !hash.equals(reportedBadHash)) {
                reportedBadHash = hash;
                LOG.error("The new TLS certificate for the {} listener was not loaded ({}); the previous one ({}) stays in "
                        + "use until the files are fixed", listener, e.getMessage(), material.sha256Fingerprint());
            } else if (!hash.equals(reportedBadHash)) {
                LOG.debug("TLS files of the {} listener changed but do not load yet ({}); checking again", listener,
                        e.getMessage());
            }
            pendingBadHash = hash;
            return false;
        }
        try {
            factory.reload(f -> next.installIn(f));
        } catch (Exception e) {
            LOG.error("Installing the new TLS certificate for the {} listener failed ({}); the previous one stays in use",
                    listener, e.toString());
            pendingBadHash = hash;
            reportedBadHash = hash;
            return false;
        }
        material = next;
        installedHash = hash;
        pendingBadHash = null;
        reportedBadHash = null;
        X509Certificate leaf = next.certificate();
        LOG.info("Reloaded the TLS certificate of the {} listener from {}: {} (SHA-256 {}), valid until {}", listener,
                certFile, leaf.getSubjectX500Principal().getName(), next.sha256Fingerprint(), leaf.getNotAfter().toInstant());
        return true;
    }

    private void checkQuietly() {
        try {
            checkNow();
        } catch (RuntimeException e) {
            LOG.warn("Checking the TLS files of the {} listener failed; trying again", listener, e);
        }
    }

    /** SHA-256 over both files' bytes; null while one cannot be read (being replaced). */
    private String hashOrNull() {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (Path p : List.of(certFile, keyFile)) {
                try (InputStream in = Files.newInputStream(p)) {
                    byte[] bytes = in.readNBytes(PemFiles.MAX_FILE_BYTES + 1);
                    d.update(bytes);
                    d.update((byte) 0);
                }
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (IOException e) {
            return null;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no SHA-256 on this JDK", e);
        }
    }

    private static KeyStore trustStore(Path caFile) {
        List<X509Certificate> cas = PemFiles.readCertificates(caFile, CLIENT_CA_VARIABLE);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (X509Certificate ca : cas) {
                store.setCertificateEntry("client-ca-" + i++, ca);
            }
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the client CA trust store", e);
        }
    }

    @Override
    public synchronized void close() {
        if (watcher != null) {
            watcher.shutdownNow();
            watcher = null;
        }
    }

    @Override
    public String toString() {
        return "ServerTls[" + listener + ", " + (certFile == null ? "generated" : certFile) + "]";
    }
}
