package io.pdaltagent.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for {@code localhost}, {@code 127.0.0.1} and {@code ::1}, made with the
 * JDK's {@code keytool}, for HTTPS in tests ({@code FakePagerDuty.builder().tls(cert)}) and a client
 * context that trusts exactly it ({@link #clientContext()}). {@link #shared()} makes one per JVM.
 */
public final class TestCertificate {
    private static final String ALIAS = "fake-pagerduty";
    private static TestCertificate shared;

    private final Path keyStorePath;
    private final String password;
    private final KeyStore keyStore;

    private TestCertificate(Path keyStorePath, String password, KeyStore keyStore) {
        this.keyStorePath = keyStorePath;
        this.password = password;
        this.keyStore = keyStore;
    }

    /** One certificate for the whole JVM, made on first use (keytool takes a moment). */
    public static synchronized TestCertificate shared() {
        if (shared == null) {
            try {
                Path dir = Files.createTempDirectory("pdaltagent-test-tls");
                dir.toFile().deleteOnExit();
                shared = generate(dir);
                shared.keyStorePath.toFile().deleteOnExit();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    /** Makes a new key pair and certificate in {@code dir/server.p12}. */
    public static TestCertificate generate(Path dir) {
        Path file = dir.resolve("server.p12");
        String password = "changeit";
        Path keytool = Path.of(System.getProperty("java.home"), "bin", isWindows() ? "keytool.exe" : "keytool");
        List<String> command = List.of(keytool.toString(), "-genkeypair", "-alias", ALIAS,
                "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1,ip:::1",
                "-validity", "3650", "-storetype", "PKCS12", "-keystore", file.toString(),
                "-storepass", password, "-keypass", password, "-noprompt");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("keytool failed: " + output);
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(file)) {
                ks.load(in, password.toCharArray());
            }
            return new TestCertificate(file, password, ks);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + keytool, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read " + file, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running keytool", e);
        }
    }

    /** The PKCS12 key store with the private key and certificate. */
    public KeyStore keyStore() {
        return keyStore;
    }

    public Path keyStorePath() {
        return keyStorePath;
    }

    public String password() {
        return password;
    }

    /** The certificate alone. */
    public Certificate certificate() {
        try {
            return keyStore.getCertificate(ALIAS);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client TLS context that trusts this certificate and nothing else. */
    public SSLContext clientContext() {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry(ALIAS, certificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a client TLS context", e);
        }
    }

    private static boolean isWindows() {
        return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("win");
    }
}
