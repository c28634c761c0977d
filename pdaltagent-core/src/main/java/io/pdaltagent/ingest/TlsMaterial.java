package io.pdaltagent.ingest;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;

import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * The HTTPS server's identity: a private key and the certificate chain that goes with it, checked to
 * belong together, and the Jetty {@link SslContextFactory.Server} built from them.
 *
 * <p>Either loaded from the operator's PEM files ({@code PDAGENTD_TLS_CERT_FILE} and
 * {@code PDAGENTD_TLS_KEY_FILE}) or, when neither is set, the self-signed pair the agent generates once
 * under {@code <data dir>/tls/} and reuses afterwards (see {@link SelfSignedCertificate}). Any problem
 * is a {@link ConfigException} naming the variable and the file.
 *
 * <pre>{@code
 * TlsMaterial tls = TlsMaterial.forConfig(config.ingest());
 * SslContextFactory.Server ssl = tls.newSslContextFactory();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class TlsMaterial {
    static final String CERT_VARIABLE = "PDAGENTD_TLS_CERT_FILE";
    static final String KEY_VARIABLE = "PDAGENTD_TLS_KEY_FILE";
    /** TLS 1.0 and 1.1 are deprecated (RFC 8996); everything that speaks to PagerDuty speaks 1.2. */
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /**
     * The suites offered, in the server's order of preference: TLS 1.3's three, then for TLS 1.2 only
     * forward-secret (ECDHE) key exchange with an AEAD cipher (AES-GCM, ChaCha20-Poly1305), as in
     * Mozilla's "intermediate" profile. No CBC, no RSA key exchange, no finite-field DHE, no 3DES,
     * RC4, NULL or export suites.
     */
    static final String[] CIPHER_SUITES = {
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"};
    private static final String KEY_ALIAS = "agent";
    private static final Logger LOG = LoggerFactory.getLogger(TlsMaterial.class);

    private final PrivateKey key;
    private final List<X509Certificate> chain;
    private final Path certificateFile;

    private TlsMaterial(PrivateKey key, List<X509Certificate> chain, Path certificateFile) {
        this.key = key;
        this.chain = List.copyOf(chain);
        this.certificateFile = certificateFile;
    }

    /** The operator's PEM pair when both files are configured, otherwise the generated self-signed pair. */
    public static TlsMaterial forConfig(AgentConfig.IngestConfig config) {
        Path cert = config.tlsCertFile();
        Path key = config.tlsKeyFile();
        if (cert == null && key == null) {
            return selfSigned(config.dataDir());
        }
        if (cert == null || key == null) {
            throw new ConfigException(CERT_VARIABLE + " and " + KEY_VARIABLE + " go together: set both or neither");
        }
        return fromPemFiles(cert, key);
    }

    /**
     * Loads a PEM certificate chain (the server's own certificate first) and its unencrypted private key
     * in PKCS#8, PKCS#1 or SEC1 form. The two may be the same file.
     */
    public static TlsMaterial fromPemFiles(Path certFile, Path keyFile) {
        return fromPemFiles(certFile, CERT_VARIABLE, keyFile, KEY_VARIABLE);
    }

    /** As {@link #fromPemFiles(Path, Path)}, errors naming the given variables. */
    public static TlsMaterial fromPemFiles(Path certFile, String certVariable, Path keyFile, String keyVariable) {
        TlsMaterial material = load(certFile, certVariable, keyFile, keyVariable);
        X509Certificate leaf = material.certificate();
        Instant now = Instant.now();
        if (leaf.getNotAfter().toInstant().isBefore(now)) {
            LOG.warn("The TLS certificate in {} expired on {}; HTTPS clients that verify certificates will refuse it",
                    certFile, leaf.getNotAfter().toInstant());
        } else if (leaf.getNotBefore().toInstant().isAfter(now)) {
            LOG.warn("The TLS certificate in {} is not valid before {}; HTTPS clients that verify certificates will refuse it",
                    certFile, leaf.getNotBefore().toInstant());
        }
        return material;
    }

    /** The self-signed pair under {@code <dataDir>/tls/}, generated on first use. */
    public static TlsMaterial selfSigned(Path dataDir) {
        return SelfSignedCertificate.loadOrCreate(dataDir, Clock.systemUTC());
    }

    /** Reads both files and checks that the key belongs to the first certificate. */
    static TlsMaterial load(Path certFile, String certVariable, Path keyFile, String keyVariable) {
        List<X509Certificate> chain = PemFiles.readCertificates(certFile, certVariable);
        PrivateKey key = PemFiles.readPrivateKey(keyFile, keyVariable);
        if (!keyMatches(key, chain.get(0).getPublicKey())) {
            String hint = chain.stream().skip(1).anyMatch(c -> keyMatches(key, c.getPublicKey()))
                    ? "; it belongs to a later certificate in that file, but the server's own certificate must come first"
                    : "";
            throw PemFiles.fail(keyVariable, keyFile, "the private key does not belong to the certificate in "
                    + certFile + " (" + certVariable + ")" + hint);
        }
        return new TlsMaterial(key, chain, certFile);
    }

    /** True when {@code key} makes signatures that {@code publicKey} verifies. */
    static boolean keyMatches(PrivateKey key, PublicKey publicKey) {
        try {
            byte[] message = new byte[32];
            new SecureRandom().nextBytes(message);
            Signature signer = signatureFor(key.getAlgorithm());
            signer.initSign(key);
            signer.update(message);
            byte[] signature = signer.sign();
            Signature verifier = signatureFor(key.getAlgorithm());
            verifier.initVerify(publicKey);
            verifier.update(message);
            return verifier.verify(signature);
        } catch (InvalidKeyException | SignatureException e) {
            return false; // a key of another algorithm or another size than the certificate's
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot check a " + key.getAlgorithm() + " key on this JDK", e);
        }
    }

    private static Signature signatureFor(String keyAlgorithm) throws GeneralSecurityException {
        return switch (keyAlgorithm) {
            case "RSA" -> Signature.getInstance("SHA256withRSA");
            case "EC" -> Signature.getInstance("SHA256withECDSA");
            case "EdDSA", "Ed25519", "Ed448" -> Signature.getInstance("EdDSA");
            case "RSASSA-PSS" -> {
                Signature s = Signature.getInstance("RSASSA-PSS");
                s.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
                yield s;
            }
            default -> throw new InvalidKeyException("unsupported key algorithm " + keyAlgorithm);
        };
    }

    /** The server's own certificate (the first of the chain). */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    public List<X509Certificate> chain() {
        return chain;
    }

    /** The PEM file the certificate was read from; clients that should trust it can be pointed here. */
    public Path certificateFile() {
        return certificateFile;
    }

    PrivateKey privateKey() {
        return key;
    }

    /** The certificate's SHA-256 fingerprint as {@code openssl x509 -fingerprint -sha256} prints it. */
    public String sha256Fingerprint() {
        return sha256Fingerprint(certificate());
    }

    static String sha256Fingerprint(X509Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot fingerprint the TLS certificate", e);
        }
    }

    /**
     * A new, not yet started Jetty TLS context for this key and chain: TLS 1.2 and 1.3 only, the
     * {@link #CIPHER_SUITES} only (server's order), no renegotiation, and no SNI requirement (a
     * self-signed certificate is reached by IP address as often as by name).
     */
    public SslContextFactory.Server newSslContextFactory() {
        SslContextFactory.Server factory = new SslContextFactory.Server();
        installIn(factory);
        factory.setIncludeProtocols(PROTOCOLS);
        factory.setIncludeCipherSuites(CIPHER_SUITES);
        factory.setUseCipherSuitesOrder(true);
        factory.setRenegotiationAllowed(false);
        factory.setSniRequired(false);
        return factory;
    }

    /** Makes this key and chain the identity of {@code factory} (before it starts, or inside its reload). */
    void installIn(SslContextFactory factory) {
        byte[] secret = new byte[18];
        new SecureRandom().nextBytes(secret);
        String password = Base64.getEncoder().encodeToString(secret); // guards only an in-memory key store
        factory.setKeyStore(keyStore(password.toCharArray()));
        factory.setKeyStorePassword(password);
        factory.setCertAlias(KEY_ALIAS);
    }

    KeyStore keyStore(char[] password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(KEY_ALIAS, key, password, chain.toArray(X509Certificate[]::new));
            return store;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build the in-memory TLS key store", e);
        }
    }

    static TlsMaterial of(PrivateKey key, List<X509Certificate> chain, Path certificateFile) {
        return new TlsMaterial(key, chain, certificateFile);
    }
}
