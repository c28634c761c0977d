package io.pdaltagent.ingest;

import io.pdaltagent.config.ConfigException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The agent's own self-signed TLS pair, used when the operator gives no certificate: generated once
 * into {@code <data dir>/tls/agent-cert.pem} and {@code agent-key.pem} (directory 0700, key 0600) and
 * reused on every later start, so that clients which pinned or imported it keep working.
 *
 * <p>The certificate is written with {@link TlsDer} and signed with the JDK's own {@link Signature}: no
 * keytool process, no BouncyCastle. RSA 2048 with SHA-256 (the key type every TLS client accepts), valid
 * for ten years, {@code CN=<host name>}, and subject alternative names {@code localhost}, the host name,
 * {@code 127.0.0.1} and {@code ::1}. It is an end-entity certificate (CA:FALSE, serverAuth) carrying key
 * identifiers, so OpenSSL's strict X.509 checks accept it as a directly trusted certificate.
 *
 * <p>Not safe for two processes generating into the same directory at the same moment (the last one
 * wins, and the other keeps serving a certificate that is no longer on disk).
 */
final class SelfSignedCertificate {
    static final String DIRECTORY = "tls";
    static final String CERT_FILE = "agent-cert.pem";
    static final String KEY_FILE = "agent-key.pem";
    static final String VARIABLE = "PDAGENTD_DATA_DIR";
    static final Duration VALIDITY = Duration.ofDays(3650);
    /** Backdating tolerates clients whose clocks run a little behind the agent's. */
    static final Duration BACKDATE = Duration.ofHours(1);
    static final int RSA_BITS = 2048;

    private static final String OID_SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
    private static final String OID_COMMON_NAME = "2.5.4.3";
    private static final String OID_SUBJECT_KEY_ID = "2.5.29.14";
    private static final String OID_KEY_USAGE = "2.5.29.15";
    private static final String OID_SUBJECT_ALT_NAME = "2.5.29.17";
    private static final String OID_BASIC_CONSTRAINTS = "2.5.29.19";
    private static final String OID_AUTHORITY_KEY_ID = "2.5.29.35";
    private static final String OID_EXT_KEY_USAGE = "2.5.29.37";
    private static final String OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final int KEY_USAGE_DIGITAL_SIGNATURE = 0;
    private static final int KEY_USAGE_KEY_ENCIPHERMENT = 2;

    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
    private static final Pattern IPV4 = Pattern.compile("[0-9.]+");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> PUBLIC_FILE = PosixFilePermissions.fromString("rw-r--r--");
    private static final Logger LOG = LoggerFactory.getLogger(SelfSignedCertificate.class);

    private SelfSignedCertificate() {
    }

    /** The pair under {@code <dataDir>/tls/}, generated when missing or expired. */
    static TlsMaterial loadOrCreate(Path dataDir, Clock clock) {
        Path dir = dataDir.resolve(DIRECTORY);
        Path cert = dir.resolve(CERT_FILE);
        Path key = dir.resolve(KEY_FILE);
        boolean haveCert = Files.exists(cert);
        boolean haveKey = Files.exists(key);
        if (haveCert && haveKey) {
            TlsMaterial existing;
            try {
                existing = TlsMaterial.load(cert, VARIABLE, key, VARIABLE);
            } catch (ConfigException e) {
                throw new ConfigException(e.getMessage() + " (delete " + cert + " and " + key
                        + " to have the agent generate a new self-signed pair)");
            }
            if (existing.certificate().getNotAfter().toInstant().isAfter(clock.instant())) {
                restrictKeyPermissions(key);
                LOG.info("Using the self-signed TLS certificate {} (SHA-256 fingerprint {}, valid until {})",
                        cert, existing.sha256Fingerprint(), existing.certificate().getNotAfter().toInstant());
                return existing;
            }
            LOG.warn("The self-signed TLS certificate {} has expired; generating a new pair", cert);
        } else if (haveCert || haveKey) {
            LOG.warn("Found only {} of the self-signed TLS pair in {}; generating a new pair",
                    haveCert ? CERT_FILE : KEY_FILE, dir);
        }
        return create(dir, cert, key, clock);
    }

    private static TlsMaterial create(Path dir, Path certFile, Path keyFile, Clock clock) {
        String host = hostName();
        KeyPair pair;
        X509Certificate certificate;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(RSA_BITS);
            pair = generator.generateKeyPair();
            Instant now = clock.instant();
            byte[] der = certificate(pair, host, subjectAltNames(host), now.minus(BACKDATE), now.plus(VALIDITY));
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a self-signed TLS certificate on this JDK", e);
        }
        try {
            createPrivateDirectory(dir);
            // the key first: a crash between the two writes leaves no certificate, which regenerates both
            write(keyFile, PemFiles.encode("PRIVATE KEY", pair.getPrivate().getEncoded()), OWNER_ONLY_FILE);
            write(certFile, PemFiles.encode("CERTIFICATE", certificate.getEncoded()), PUBLIC_FILE);
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException(VARIABLE + ": cannot write the self-signed TLS pair into " + dir + " (" + e + ")");
        }
        TlsMaterial material = TlsMaterial.of(pair.getPrivate(), List.of(certificate), certFile);
        LOG.info("Generated a self-signed TLS certificate for {} in {} (SHA-256 fingerprint {}, valid until {}); "
                        + "HTTPS clients must trust this file or skip certificate verification",
                host, certFile, material.sha256Fingerprint(), certificate.getNotAfter().toInstant());
        return material;
    }

    /**
     * The DER encoding of a self-signed X.509 v3 certificate (RFC 5280) for {@code pair}'s RSA key.
     *
     * @param subjectAltNames DNS names and IP address literals
     */
    static byte[] certificate(KeyPair pair, String commonName, List<String> subjectAltNames,
                              Instant notBefore, Instant notAfter) throws GeneralSecurityException {
        byte[] signatureAlgorithm = TlsDer.sequence(TlsDer.oid(OID_SHA256_WITH_RSA), TlsDer.nullValue());
        byte[] name = TlsDer.sequence(TlsDer.set(TlsDer.sequence(TlsDer.oid(OID_COMMON_NAME), TlsDer.utf8String(commonName))));
        byte[] publicKeyInfo = pair.getPublic().getEncoded();
        byte[] keyId = keyIdentifier(publicKeyInfo);

        List<byte[]> generalNames = new ArrayList<>();
        for (String san : subjectAltNames) {
            if (isIpLiteral(san)) {
                try {
                    generalNames.add(TlsDer.implicitPrimitive(7, InetAddress.getByName(san).getAddress()));
                } catch (java.net.UnknownHostException e) {
                    throw new IllegalArgumentException("not an IP address: " + san, e);
                }
            } else {
                generalNames.add(TlsDer.implicitPrimitive(2, san.getBytes(StandardCharsets.US_ASCII)));
            }
        }
        byte[] extensions = TlsDer.sequence(
                extension(OID_BASIC_CONSTRAINTS, true, TlsDer.sequence()),
                extension(OID_KEY_USAGE, true, TlsDer.namedBits(KEY_USAGE_DIGITAL_SIGNATURE, KEY_USAGE_KEY_ENCIPHERMENT)),
                extension(OID_EXT_KEY_USAGE, false, TlsDer.sequence(TlsDer.oid(OID_SERVER_AUTH))),
                extension(OID_SUBJECT_ALT_NAME, false, TlsDer.sequence(generalNames.toArray(byte[][]::new))),
                extension(OID_SUBJECT_KEY_ID, false, TlsDer.octetString(keyId)),
                extension(OID_AUTHORITY_KEY_ID, false, TlsDer.sequence(TlsDer.implicitPrimitive(0, keyId))));

        byte[] serial = new byte[16];
        new SecureRandom().nextBytes(serial);
        serial[0] &= 0x7F; // positive, and at most 20 octets as RFC 5280 requires
        serial[0] |= 0x40; // never zero, never shortened
        byte[] tbs = TlsDer.sequence(
                TlsDer.explicit(0, TlsDer.integer(2)), // v3
                TlsDer.integer(new BigInteger(serial)),
                signatureAlgorithm,
                name,
                TlsDer.sequence(TlsDer.time(notBefore), TlsDer.time(notAfter)),
                name,
                publicKeyInfo,
                TlsDer.explicit(3, extensions));
        Signature signer = Signature.getInstance("SHA256withRSA");
        signer.initSign(pair.getPrivate());
        signer.update(tbs);
        return TlsDer.sequence(tbs, signatureAlgorithm, TlsDer.bitString(signer.sign()));
    }

    private static byte[] extension(String oid, boolean critical, byte[] value) {
        return critical
                ? TlsDer.sequence(TlsDer.oid(oid), TlsDer.bool(true), TlsDer.octetString(value))
                : TlsDer.sequence(TlsDer.oid(oid), TlsDer.octetString(value));
    }

    /** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
    private static byte[] keyIdentifier(byte[] publicKeyInfo) throws GeneralSecurityException {
        TlsDer.Reader fields = new TlsDer.Reader(publicKeyInfo).next(TlsDer.SEQUENCE, "SubjectPublicKeyInfo").children();
        fields.next(TlsDer.SEQUENCE, "AlgorithmIdentifier");
        byte[] bits = fields.next(TlsDer.BIT_STRING, "subjectPublicKey").value();
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        sha1.update(bits, 1, bits.length - 1); // skip the unused-bits byte
        return sha1.digest();
    }

    /** localhost, this host's name when it is a usable DNS name, 127.0.0.1 and ::1. */
    static List<String> subjectAltNames(String host) {
        List<String> names = new ArrayList<>();
        names.add("localhost");
        if (!host.equals("localhost") && DNS_NAME.matcher(host).matches() && !IPV4.matcher(host).matches()) {
            names.add(host);
        }
        names.add("127.0.0.1");
        names.add("::1");
        return names;
    }

    private static boolean isIpLiteral(String s) {
        return s.contains(":") || IPV4.matcher(s).matches();
    }

    /** This machine's name in lower case, or {@code localhost} when it has none that resolves. */
    static String hostName() {
        try {
            String name = InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
            return name.isBlank() ? "localhost" : name;
        } catch (IOException | SecurityException e) {
            return "localhost";
        }
    }

    private static boolean posix(Path dir) throws IOException {
        return Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class);
    }

    private static void createPrivateDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        try {
            if (posix(parent)) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
                Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR); // the umask may have taken bits away; never adds any
            } else {
                Files.createDirectory(dir);
            }
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
    }

    /** Writes {@code text} to a temporary file beside {@code target} with {@code permissions}, then renames it. */
    private static void write(Path target, String text, Set<PosixFilePermission> permissions) throws IOException {
        Path dir = target.getParent();
        boolean posix = posix(dir);
        Path tmp = posix
                ? Files.createTempFile(dir, "." + target.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE))
                : Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.US_ASCII);
            if (posix) {
                Files.setPosixFilePermissions(tmp, permissions);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A reused key that someone made readable to others is narrowed back to its owner. */
    private static void restrictKeyPermissions(Path key) {
        try {
            if (!posix(key.getParent())) {
                return;
            }
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(key);
            if (permissions.stream().anyMatch(p -> !p.name().startsWith("OWNER_"))) {
                permissions.removeIf(p -> !p.name().startsWith("OWNER_"));
                Files.setPosixFilePermissions(key, permissions);
                LOG.warn("{} was open to other users; they no longer have access to it", key);
            }
        } catch (IOException e) {
            LOG.warn("Cannot check the permissions of {} ({})", key, e.toString());
        }
    }
}
