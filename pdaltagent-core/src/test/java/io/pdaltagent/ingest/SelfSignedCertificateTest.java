package io.pdaltagent.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pdaltagent.config.ConfigException;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;

class SelfSignedCertificateTest {
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    @TempDir
    Path dataDir;

    private final Logger logger = (Logger) LoggerFactory.getLogger(SelfSignedCertificate.class);
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private Level previousLevel;

    @BeforeEach
    void captureLogs() {
        previousLevel = logger.getLevel();
        logger.setLevel(Level.INFO);
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        logger.detachAppender(logs);
        logger.setLevel(previousLevel);
    }

    @Test
    void generatesACertificateForThisHostValidForTenYears() throws Exception {
        Instant before = Instant.now();

        TlsMaterial tls = TlsMaterial.selfSigned(dataDir);

        X509Certificate cert = tls.certificate();
        cert.verify(cert.getPublicKey()); // self-signed
        cert.checkValidity();
        assertThat(cert.getVersion()).isEqualTo(3);
        assertThat(cert.getSerialNumber().signum()).isPositive();
        assertThat(cert.getSigAlgName()).isEqualTo("SHA256withRSA");
        assertThat(((RSAPublicKey) cert.getPublicKey()).getModulus().bitLength()).isEqualTo(2048);
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=" + SelfSignedCertificate.hostName());
        assertThat(cert.getIssuerX500Principal()).isEqualTo(cert.getSubjectX500Principal());
        assertThat(cert.getNotAfter().toInstant())
                .isCloseTo(before.plus(Duration.ofDays(3650)), within(1, ChronoUnit.MINUTES));
        assertThat(cert.getNotBefore().toInstant()).isBefore(before);
        assertThat(cert.getBasicConstraints()).as("not a CA").isEqualTo(-1);
        assertThat(cert.getKeyUsage()[0]).as("digitalSignature").isTrue();
        assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(cert.getSubjectAlternativeNames())
                .contains(List.of(2, "localhost"), List.of(7, "127.0.0.1"), List.of(7, "0:0:0:0:0:0:0:1"));
        assertThat(tls.chain()).containsExactly(cert);
    }

    @Test
    void writesOwnerOnlyFilesAndLogsThePathAndFingerprint() throws Exception {
        TlsMaterial tls = TlsMaterial.selfSigned(dataDir);

        Path dir = dataDir.resolve("tls");
        assertThat(tls.certificateFile()).isEqualTo(dir.resolve("agent-cert.pem"));
        assertThat(Files.readString(dir.resolve("agent-cert.pem"))).startsWith("-----BEGIN CERTIFICATE-----\n");
        assertThat(Files.readString(dir.resolve("agent-key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----\n");
        try (var leftovers = Files.list(dir)) {
            assertThat(leftovers.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("agent-cert.pem", "agent-key.pem");
        }
        if (POSIX) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("agent-key.pem"))))
                    .isEqualTo("rw-------");
        }
        assertThat(logs.list).anySatisfy(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.INFO);
            assertThat(e.getFormattedMessage())
                    .startsWith("Generated a self-signed TLS certificate")
                    .contains(dir.resolve("agent-cert.pem").toString())
                    .contains(tls.sha256Fingerprint());
        });
        assertThat(tls.sha256Fingerprint()).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
    }

    @Test
    void reusesThePairOnLaterStarts() throws Exception {
        TlsMaterial first = TlsMaterial.selfSigned(dataDir);
        byte[] certBytes = Files.readAllBytes(first.certificateFile());
        logs.list.clear();

        TlsMaterial second = TlsMaterial.selfSigned(dataDir);

        assertThat(second.sha256Fingerprint()).isEqualTo(first.sha256Fingerprint());
        assertThat(second.privateKey()).isEqualTo(first.privateKey());
        assertThat(Files.readAllBytes(second.certificateFile())).isEqualTo(certBytes);
        assertThat(logs.list).singleElement().satisfies(e ->
                assertThat(e.getFormattedMessage()).startsWith("Using the self-signed TLS certificate")
                        .contains(first.sha256Fingerprint()));
    }

    @Test
    void replacesAnExpiredPair() {
        Clock elevenYearsAgo = Clock.fixed(Instant.now().minus(Duration.ofDays(11 * 365)), ZoneOffset.UTC);
        TlsMaterial expired = SelfSignedCertificate.loadOrCreate(dataDir, elevenYearsAgo);

        TlsMaterial fresh = TlsMaterial.selfSigned(dataDir);

        assertThat(fresh.sha256Fingerprint()).isNotEqualTo(expired.sha256Fingerprint());
        assertThat(fresh.certificate().getNotAfter().toInstant()).isAfter(Instant.now().plus(Duration.ofDays(3000)));
        assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("has expired"));
    }

    @Test
    void replacesAPairThatLostOneOfItsFiles() throws Exception {
        TlsMaterial first = TlsMaterial.selfSigned(dataDir);
        Files.delete(first.certificateFile());

        TlsMaterial second = TlsMaterial.selfSigned(dataDir);

        assertThat(second.sha256Fingerprint()).isNotEqualTo(first.sha256Fingerprint());
        assertThat(second.certificateFile()).exists();
    }

    @Test
    void refusesADamagedPairAndSaysHowToRegenerateIt() throws Exception {
        TlsMaterial first = TlsMaterial.selfSigned(dataDir);
        Path key = first.certificateFile().resolveSibling("agent-key.pem");
        Files.writeString(key, "damaged");

        assertThatThrownBy(() -> TlsMaterial.selfSigned(dataDir))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("PDAGENTD_DATA_DIR: " + key)
                .hasMessageContaining("delete " + first.certificateFile() + " and " + key);
    }

    @Test
    void takesAwayOtherUsersAccessToAReusedKey() throws Exception {
        assumeTrue(POSIX, "POSIX permissions");
        TlsMaterial first = TlsMaterial.selfSigned(dataDir);
        Path key = first.certificateFile().resolveSibling("agent-key.pem");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));

        TlsMaterial.selfSigned(dataDir);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    }

    @Test
    void passesOpensslStrictVerificationAsADirectlyTrustedCertificate() {
        assumeTrue(TlsMaterialTest.OPENSSL, "openssl is not on the PATH");
        TlsMaterial tls = TlsMaterial.selfSigned(dataDir);
        Path dir = tls.certificateFile().getParent();

        String verify = TlsMaterialTest.opensslOutput(dir, "verify", "-x509_strict", "-purpose", "sslserver",
                "-CAfile", "agent-cert.pem", "agent-cert.pem");
        String fingerprint = TlsMaterialTest.opensslOutput(dir, "x509", "-in", "agent-cert.pem", "-noout",
                "-fingerprint", "-sha256");
        String text = TlsMaterialTest.opensslOutput(dir, "x509", "-in", "agent-cert.pem", "-noout", "-text");
        TlsMaterialTest.openssl(dir, "pkey", "-in", "agent-key.pem", "-check", "-noout");

        assertThat(verify.trim()).isEqualTo("agent-cert.pem: OK");
        assertThat(fingerprint.trim()).endsWith("Fingerprint=" + tls.sha256Fingerprint());
        assertThat(text).contains("DNS:localhost", "IP Address:127.0.0.1", "CA:FALSE", "TLS Web Server Authentication");
    }

    @Test
    void namesOnlyUsableDnsNames() {
        assertThat(SelfSignedCertificate.subjectAltNames("db01.example.net"))
                .containsExactly("localhost", "db01.example.net", "127.0.0.1", "::1");
        assertThat(SelfSignedCertificate.subjectAltNames("localhost")).containsExactly("localhost", "127.0.0.1", "::1");
        assertThat(SelfSignedCertificate.subjectAltNames("10.1.2.3")).containsExactly("localhost", "127.0.0.1", "::1");
        assertThat(SelfSignedCertificate.subjectAltNames("under_score")).containsExactly("localhost", "127.0.0.1", "::1");
    }
}
