package io.pdaltagent.ingest;

import io.pdaltagent.config.ConfigException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes PEM files: certificate chains, and private keys in PKCS#8 ({@code BEGIN PRIVATE KEY}),
 * PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}) and SEC1 EC ({@code BEGIN EC PRIVATE KEY}) form. The last
 * two are wrapped into PKCS#8 with {@link TlsDer}, so only the JDK's own key factories are needed.
 *
 * <p>Every problem with a file is a {@link ConfigException} whose message starts with the variable
 * that named the file and the file's path, then says what is wrong and, where possible, how to fix it.
 * Stateless and thread-safe.
 */
final class PemFiles {
    static final String OID_RSA = "1.2.840.113549.1.1.1";
    static final String OID_RSASSA_PSS = "1.2.840.113549.1.1.10";
    static final String OID_EC = "1.2.840.10045.2.1";
    static final String OID_ED25519 = "1.3.101.112";
    static final String OID_ED448 = "1.3.101.113";

    /** No certificate chain or key file comes near this; a larger file is a wrong path (a log, a device). */
    static final int MAX_FILE_BYTES = 1024 * 1024;

    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

    private PemFiles() {
    }

    /** One PEM block: its label ({@code CERTIFICATE}, {@code RSA PRIVATE KEY}...), RFC 1421 headers and DER payload. */
    record Block(String label, Map<String, String> headers, byte[] der) {
    }

    /**
     * All well-formed blocks in {@code text}, in order. Text around and between blocks is ignored (many
     * tools put a human-readable dump before each certificate).
     *
     * @throws IllegalArgumentException when a block's payload is not base64
     */
    static List<Block> parse(String text) {
        List<Block> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String label = m.group(1).trim();
            Map<String, String> headers = new LinkedHashMap<>();
            StringBuilder base64 = new StringBuilder();
            for (String line : m.group(2).split("\r?\n|\r")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                } else {
                    base64.append(line.strip());
                }
            }
            byte[] der;
            try {
                der = Base64.getDecoder().decode(base64.toString());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the " + label + " block is not valid base64", e);
            }
            blocks.add(new Block(label, headers, der));
        }
        return blocks;
    }

    /** The PEM text of one block, in 64-character lines, ending with a newline. */
    static String encode(String label, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
    }

    /** The certificates in {@code file}, leaf first as written. */
    static List<X509Certificate> readCertificates(Path file, String variable) {
        List<Block> blocks = readBlocks(file, variable);
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("this JDK has no X.509 certificate factory", e);
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (Block b : blocks) {
            if (!b.label().equals("CERTIFICATE") && !b.label().equals("X509 CERTIFICATE")) {
                continue;
            }
            try {
                chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der())));
            } catch (CertificateException | RuntimeException e) {
                throw fail(variable, file, "certificate number " + (chain.size() + 1)
                        + " is not a valid X.509 certificate (" + e.getMessage() + ")");
            }
        }
        if (chain.isEmpty()) {
            throw fail(variable, file, "no PEM certificate found (expected a -----BEGIN CERTIFICATE----- block)");
        }
        return chain;
    }

    /** The one private key in {@code file}, which may be PKCS#8, PKCS#1 (RSA) or SEC1 (EC), unencrypted. */
    static PrivateKey readPrivateKey(Path file, String variable) {
        List<Block> keys = readBlocks(file, variable).stream()
                .filter(b -> b.label().endsWith("PRIVATE KEY"))
                .toList();
        if (keys.isEmpty()) {
            throw fail(variable, file, "no PEM private key found (expected -----BEGIN PRIVATE KEY-----, "
                    + "-----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)");
        }
        if (keys.size() > 1) {
            throw fail(variable, file, "holds " + keys.size() + " private keys; it must hold exactly one");
        }
        Block key = keys.get(0);
        String encrypted = "the private key is encrypted; the agent needs it unencrypted "
                + "(decrypt it with: openssl pkey -in " + file + " -out plain-key.pem, then protect that file with chmod 600)";
        if (key.headers().getOrDefault("Proc-Type", "").toUpperCase(Locale.ROOT).contains("ENCRYPTED")
                || key.headers().containsKey("DEK-Info")) {
            throw fail(variable, file, encrypted);
        }
        try {
            return switch (key.label()) {
                case "PRIVATE KEY" -> decodePkcs8(key.der());
                case "RSA PRIVATE KEY" -> decodePkcs8(pkcs1ToPkcs8(key.der()));
                case "EC PRIVATE KEY" -> decodePkcs8(sec1ToPkcs8(key.der()));
                case "ENCRYPTED PRIVATE KEY" -> throw fail(variable, file, encrypted);
                case "OPENSSH PRIVATE KEY" -> throw fail(variable, file,
                        "an OpenSSH key cannot be used for TLS; use a PEM key (BEGIN PRIVATE KEY)");
                default -> throw fail(variable, file, "unsupported key format -----BEGIN " + key.label()
                        + "-----; use PKCS#8 (BEGIN PRIVATE KEY), BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY");
            };
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw fail(variable, file, "the " + key.label() + " block is not a usable private key (" + e.getMessage() + ")");
        }
    }

    /** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo (RFC 5208) with the rsaEncryption algorithm. */
    static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
        TlsDer.Reader r = new TlsDer.Reader(pkcs1);
        r.next(TlsDer.SEQUENCE, "RSAPrivateKey").children().next(TlsDer.INTEGER, "RSAPrivateKey version");
        return TlsDer.sequence(
                TlsDer.integer(0),
                TlsDer.sequence(TlsDer.oid(OID_RSA), TlsDer.nullValue()),
                TlsDer.octetString(pkcs1));
    }

    /**
     * Wraps a SEC1 ECPrivateKey (RFC 5915) in a PKCS#8 PrivateKeyInfo, moving the named curve into the
     * algorithm identifier where PKCS#8 expects it.
     */
    static byte[] sec1ToPkcs8(byte[] sec1) {
        TlsDer.Reader fields = new TlsDer.Reader(sec1).next(TlsDer.SEQUENCE, "ECPrivateKey").children();
        fields.next(TlsDer.INTEGER, "ECPrivateKey version");
        fields.next(TlsDer.OCTET_STRING, "ECPrivateKey privateKey");
        byte[] curve = null;
        while (fields.hasNext()) {
            TlsDer.Element e = fields.next();
            if (e.tag() == 0xA0) {
                TlsDer.Element parameters = e.children().next();
                if (parameters.tag() != TlsDer.OID) {
                    throw new IllegalArgumentException("explicit EC curve parameters are not supported; "
                            + "use a named curve (openssl ecparam -name prime256v1 -genkey -noout)");
                }
                curve = parameters.encoded();
            }
        }
        if (curve == null) {
            throw new IllegalArgumentException("the EC key does not name its curve");
        }
        return TlsDer.sequence(
                TlsDer.integer(0),
                TlsDer.sequence(TlsDer.oid(OID_EC), curve),
                TlsDer.octetString(sec1));
    }

    /** Decodes a PKCS#8 PrivateKeyInfo with the key factory its algorithm identifier names. */
    static PrivateKey decodePkcs8(byte[] pkcs8) throws GeneralSecurityException {
        TlsDer.Reader fields = new TlsDer.Reader(pkcs8).next(TlsDer.SEQUENCE, "PrivateKeyInfo").children();
        fields.next(TlsDer.INTEGER, "PrivateKeyInfo version");
        TlsDer.Element algorithm = fields.next(TlsDer.SEQUENCE, "AlgorithmIdentifier")
                .children().next(TlsDer.OID, "algorithm OID");
        String oid = TlsDer.oidToString(algorithm.value());
        String factory = switch (oid) {
            case OID_RSA -> "RSA";
            case OID_RSASSA_PSS -> "RSASSA-PSS";
            case OID_EC -> "EC";
            case OID_ED25519 -> "Ed25519";
            case OID_ED448 -> "Ed448";
            default -> throw new IllegalArgumentException(
                    "unsupported key algorithm " + oid + "; use an RSA, EC or Ed25519 key");
        };
        return KeyFactory.getInstance(factory).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    }

    private static List<Block> readBlocks(Path file, String variable) {
        String text = readText(file, variable);
        List<Block> blocks;
        try {
            blocks = parse(text);
        } catch (IllegalArgumentException e) {
            throw fail(variable, file, e.getMessage());
        }
        if (blocks.isEmpty() && text.contains("-----BEGIN ")) {
            throw fail(variable, file, "a -----BEGIN line has no matching -----END line (is the file cut short?)");
        }
        if (blocks.isEmpty()) {
            throw fail(variable, file, "not a PEM file (no -----BEGIN ...----- line)");
        }
        return blocks;
    }

    private static String readText(Path file, String variable) {
        if (Files.isDirectory(file)) {
            throw fail(variable, file, "is a directory, not a PEM file");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw fail(variable, file, "does not exist");
        } catch (AccessDeniedException e) {
            throw fail(variable, file, "cannot be read (permission denied)");
        } catch (IOException e) {
            throw fail(variable, file, "cannot be read (" + e.getMessage() + ")");
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw fail(variable, file, "is larger than " + MAX_FILE_BYTES + " bytes; not a PEM file");
        }
        // PEM is ASCII; Latin-1 decodes any byte, so a binary file reaches the "not a PEM file" message
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    static ConfigException fail(String variable, Path file, String problem) {
        return new ConfigException(variable + ": " + file + ": " + problem);
    }
}
