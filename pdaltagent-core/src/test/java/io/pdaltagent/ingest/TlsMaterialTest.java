package io.pdaltagent.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

class TlsMaterialTest {
    static final boolean OPENSSL = opensslWorks();
    private static final String SUBJECT = "/CN=localhost";
    private static final String SAN = "subjectAltName=IP:127.0.0.1,DNS:localhost";

    @TempDir
    Path dir;

    /** The key forms operators bring, each made the way the openssl documentation shows. */
    enum KeyForm {
        PKCS8_RSA("BEGIN PRIVATE KEY", "RSA"),
        PKCS1_RSA("BEGIN RSA PRIVATE KEY", "RSA"),
        SEC1_EC("BEGIN EC PRIVATE KEY", "EC"),
        PKCS8_EC("BEGIN PRIVATE KEY", "EC"),
        PKCS8_ED25519("BEGIN PRIVATE KEY", "EdDSA");

        final String marker;
        final String algorithm;

        KeyForm(String marker, String algorithm) {
            this.marker = marker;
            this.algorithm = algorithm;
        }

        void generate(Path dir, String key, String cert) {
            switch (this) {
                case PKCS8_RSA -> openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "2", "-subj", SUBJECT, "-addext", SAN);
                case PKCS1_RSA -> openssl(dir, "genrsa", "-traditional", "-out", key, "2048");
                case SEC1_EC -> openssl(dir, "ecparam", "-name", "prime256v1", "-genkey", "-out", key);
                case PKCS8_EC -> openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", key);
                case PKCS8_ED25519 -> openssl(dir, "genpkey", "-algorithm", "ed25519", "-out", key);
            }
            if (this != PKCS8_RSA) {
                openssl(dir, "req", "-x509", "-key", key, "-out", cert, "-days", "2", "-subj", SUBJECT, "-addext", SAN);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(KeyForm.class)
    void servesHttpsWithAnOperatorKeyInEachPemForm(KeyForm form) throws Exception {
        assumeTrue(OPENSSL, "openssl is not on the PATH");
        form.generate(dir, "key.pem", "cert.pem");
        assertThat(Files.readString(dir.resolve("key.pem"))).contains(form.marker);

        TlsMaterial tls = TlsMaterial.fromPemFiles(dir.resolve("cert.pem"), dir.resolve("key.pem"));

        assertThat(tls.privateKey().getAlgorithm()).isEqualTo(form.algorithm);
        assertThat(tls.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
        assertThat(tls.sha256Fingerprint())
                .isEqualTo(opensslOutput(dir, "x509", "-in", "cert.pem", "-noout", "-fingerprint", "-sha256")
                        .trim().replaceFirst("^.*Fingerprint=", ""));

        AgentConfig.IngestConfig config = new AgentConfig.IngestConfig("127.0.0.1", 0, IngestServer.freePort(),
                dir.resolve("cert.pem"), dir.resolve("key.pem"), 512 * 1024, dir.resolve("data"));
        try (IngestServer server = new IngestServer(config, new Accepting());
             HttpClient client = IngestServerTest.httpsClient(dir.resolve("cert.pem"))) {
            server.start();
            HttpResponse<String> response = client.send(
                    IngestServerTest.get("https://127.0.0.1:" + server.httpsPort() + "/v2/enqueue"),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(202);
        }
        assertThat(dir.resolve("data/tls")).as("no self-signed pair when the operator gives one").doesNotExist();
    }

    @Test
    void loadsAChainWithTheServerCertificateFirst() throws Exception {
        assumeTrue(OPENSSL, "openssl is not on the PATH");
        Path chain = signedChain(false);

        TlsMaterial tls = TlsMaterial.fromPemFiles(chain, dir.resolve("leaf-key.pem"));

        assertThat(tls.chain()).hasSize(2);
        assertThat(tls.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
        assertThat(tls.chain().get(1).getSubjectX500Principal().getName()).isEqualTo("CN=Test CA");
    }

    @Test
    void saysTheServerCertificateMustComeFirstWhenTheChainIsReversed() throws Exception {
        assumeTrue(OPENSSL, "openssl is not on the PATH");
        Path chain = signedChain(true);

        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(chain, dir.resolve("leaf-key.pem")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("PDAGENTD_TLS_KEY_FILE: " + dir.resolve("leaf-key.pem"))
                .hasMessageContaining("must come first");
    }

    @Test
    void acceptsCertificateAndKeyInOneFileWithCommentsAndCrlf() throws Exception {
        TlsMaterial generated = TlsMaterial.selfSigned(dir.resolve("data"));
        Path tlsDir = generated.certificateFile().getParent();
        String combined = "Bag Attributes\n    friendlyName: agent\nsubject=CN = somewhere\n"
                + Files.readString(tlsDir.resolve("agent-cert.pem")) + "\nsome trailing words\n"
                + Files.readString(tlsDir.resolve("agent-key.pem"));
        Path both = dir.resolve("both.pem");
        Files.writeString(both, combined.replace("\n", "\r\n"));

        TlsMaterial tls = TlsMaterial.fromPemFiles(both, both);

        assertThat(tls.sha256Fingerprint()).isEqualTo(generated.sha256Fingerprint());
    }

    @Test
    void rejectsAnEncryptedPkcs8KeyAndSaysItMustBeUnencrypted() throws Exception {
        assumeTrue(OPENSSL, "openssl is not on the PATH");
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-keyout", "key.pem", "-passout", "pass:secret",
                "-out", "cert.pem", "-days", "2", "-subj", SUBJECT);
        assertThat(Files.readString(dir.resolve("key.pem"))).contains("BEGIN ENCRYPTED PRIVATE KEY");

        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(dir.resolve("cert.pem"), dir.resolve("key.pem")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("PDAGENTD_TLS_KEY_FILE: " + dir.resolve("key.pem"))
                .hasMessageContaining("encrypted")
                .hasMessageContaining("unencrypted");
    }

    @Test
    void rejectsAnEncryptedTraditionalRsaKeyAndSaysItMustBeUnencrypted() throws Exception {
        assumeTrue(OPENSSL, "openssl is not on the PATH");
        openssl(dir, "genrsa", "-traditional", "-aes128", "-passout", "pass:secret", "-out", "key.pem", "2048");
        openssl(dir, "req", "-x509", "-key", "key.pem", "-passin", "pass:secret", "-out", "cert.pem", "-days", "2",
                "-subj", SUBJECT);
        assertThat(Files.readString(dir.resolve("key.pem"))).contains("Proc-Type: 4,ENCRYPTED");

        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(dir.resolve("cert.pem"), dir.resolve("key.pem")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("PDAGENTD_TLS_KEY_FILE: ")
                .hasMessageContaining("unencrypted");
    }

    @Test
    void rejectsAKeyThatDoesNotBelongToTheCertificate() {
        TlsMaterial one = TlsMaterial.selfSigned(dir.resolve("one"));
        TlsMaterial two = TlsMaterial.selfSigned(dir.resolve("two"));
        Path otherKey = two.certificateFile().resolveSibling("agent-key.pem");

        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(one.certificateFile(), otherKey))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("PDAGENTD_TLS_KEY_FILE: " + otherKey)
                .hasMessageContaining("does not belong to the certificate in " + one.certificateFile())
                .hasMessageContaining("PDAGENTD_TLS_CERT_FILE");
    }

    @Test
    void rejectsAnEcKeyForAnRsaCertificate() throws Exception {
        assumeTrue(OPENSSL, "openssl is not on the PATH");
        KeyForm.SEC1_EC.generate(dir, "ec-key.pem", "ec-cert.pem");
        TlsMaterial rsa = TlsMaterial.selfSigned(dir.resolve("data"));

        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(rsa.certificateFile(), dir.resolve("ec-key.pem")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("PDAGENTD_TLS_KEY_FILE: ")
                .hasMessageContaining("does not belong");
    }

    @Test
    void namesTheVariableAndPathOfAMissingFile() {
        TlsMaterial generated = TlsMaterial.selfSigned(dir.resolve("data"));
        Path key = generated.certificateFile().resolveSibling("agent-key.pem");
        Path missing = dir.resolve("nope.pem");

        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(missing, key))
                .isInstanceOf(ConfigException.class)
                .hasMessage("PDAGENTD_TLS_CERT_FILE: " + missing + ": does not exist");
        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(generated.certificateFile(), missing))
                .isInstanceOf(ConfigException.class)
                .hasMessage("PDAGENTD_TLS_KEY_FILE: " + missing + ": does not exist");
    }

    @Test
    void namesTheVariableOfAGarbageFile() throws Exception {
        TlsMaterial generated = TlsMaterial.selfSigned(dir.resolve("data"));
        Path key = generated.certificateFile().resolveSibling("agent-key.pem");
        byte[] noise = new byte[4096];
        new SecureRandom().nextBytes(noise);
        Path garbage = Files.write(dir.resolve("garbage.pem"), noise);

        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(garbage, key))
                .isInstanceOf(ConfigException.class)
                .hasMessage("PDAGENTD_TLS_CERT_FILE: " + garbage + ": not a PEM file (no -----BEGIN ...----- line)");
        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(generated.certificateFile(), garbage))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("PDAGENTD_TLS_KEY_FILE: " + garbage + ": not a PEM file");
    }

    @Test
    void explainsPemFilesThatAreBrokenInside() throws Exception {
        TlsMaterial generated = TlsMaterial.selfSigned(dir.resolve("data"));
        Path cert = generated.certificateFile();
        Path key = cert.resolveSibling("agent-key.pem");
        String certText = Files.readString(cert);

        Path truncated = Files.writeString(dir.resolve("truncated.pem"), certText.substring(0, certText.length() / 2));
        Path badBase64 = Files.writeString(dir.resolve("b64.pem"), "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
        Path badDer = Files.writeString(dir.resolve("der.pem"), PemFiles.encode("CERTIFICATE", new byte[] {0x30, 0x03, 1, 2, 3}));
        Path badKey = Files.writeString(dir.resolve("badkey.pem"), PemFiles.encode("RSA PRIVATE KEY", new byte[] {0x30, 0x00}));
        Path ssh = Files.writeString(dir.resolve("ssh.pem"), PemFiles.encode("OPENSSH PRIVATE KEY", new byte[] {1, 2, 3}));

        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(truncated, key))
                .hasMessageStartingWith("PDAGENTD_TLS_CERT_FILE: " + truncated).hasMessageContaining("no matching -----END");
        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(badBase64, key))
                .hasMessageStartingWith("PDAGENTD_TLS_CERT_FILE: ").hasMessageContaining("not valid base64");
        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(badDer, key))
                .hasMessageStartingWith("PDAGENTD_TLS_CERT_FILE: ").hasMessageContaining("not a valid X.509 certificate");
        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(cert, badKey))
                .hasMessageStartingWith("PDAGENTD_TLS_KEY_FILE: ").hasMessageContaining("not a usable private key");
        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(cert, ssh))
                .hasMessageStartingWith("PDAGENTD_TLS_KEY_FILE: ").hasMessageContaining("OpenSSH");
        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(cert, cert))
                .hasMessageStartingWith("PDAGENTD_TLS_KEY_FILE: " + cert).hasMessageContaining("no PEM private key");
        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(key, key))
                .hasMessageStartingWith("PDAGENTD_TLS_CERT_FILE: " + key).hasMessageContaining("no PEM certificate");
        assertThatThrownBy(() -> TlsMaterial.fromPemFiles(dir, key))
                .hasMessage("PDAGENTD_TLS_CERT_FILE: " + dir + ": is a directory, not a PEM file");
    }

    @Test
    void wantsBothFilesOrNeither() {
        AgentConfig.IngestConfig onlyCert = new AgentConfig.IngestConfig("127.0.0.1", 0, 8443,
                dir.resolve("cert.pem"), null, 512 * 1024, dir);

        assertThatThrownBy(() -> TlsMaterial.forConfig(onlyCert))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PDAGENTD_TLS_CERT_FILE")
                .hasMessageContaining("PDAGENTD_TLS_KEY_FILE");
    }

    @Test
    void offersOnlyTls12And13WithJettysCipherExclusions() throws Exception {
        SslContextFactory.Server factory = TlsMaterial.selfSigned(dir).newSslContextFactory();
        factory.start();
        try {
            assertThat(factory.getSelectedProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
            assertThat(factory.getExcludeCipherSuites()).isNotEmpty();
            assertThat(factory.getSelectedCipherSuites()).isNotEmpty()
                    .noneMatch(s -> s.startsWith("TLS_RSA_") || s.endsWith("_SHA") || s.contains("_NULL_")
                            || s.contains("_anon_") || s.contains("_MD5"));
            assertThat(factory.isRenegotiationAllowed()).isFalse();
            assertThat(factory.isSniRequired()).isFalse();
        } finally {
            factory.stop();
        }
    }

    // ---- helpers

    /** A CA and a leaf certificate signed by it, written leaf first (or CA first when reversed). */
    private Path signedChain(boolean reversed) throws IOException {
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
                "-days", "2", "-subj", "/CN=Test CA");
        openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf-key.pem", "-out", "leaf.csr",
                "-subj", SUBJECT);
        Files.writeString(dir.resolve("ext.cnf"), SAN + "\n");
        openssl(dir, "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-out", "leaf.pem", "-days", "2", "-extfile", "ext.cnf");
        String leaf = Files.readString(dir.resolve("leaf.pem"));
        String ca = Files.readString(dir.resolve("ca.pem"));
        return Files.writeString(dir.resolve("chain.pem"), reversed ? ca + leaf : leaf + ca);
    }

    /** Answers every request 202 with a small JSON body. */
    static final class Accepting extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(202);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            Content.Sink.write(response, true, "{\"status\":\"success\"}", callback);
            return true;
        }
    }

    private static boolean opensslWorks() {
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static void openssl(Path dir, String... args) {
        opensslOutput(dir, args);
    }

    static String opensslOutput(Path dir, String... args) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(Arrays.asList(args));
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close(); // never wait for a passphrase typed on stdin
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail(String.join(" ", command) + " failed:\n" + output);
            }
            return output;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
