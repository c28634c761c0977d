package io.pdaltagent.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.config.ConfigException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.List;

class PemFilesTest {
    private static final String P256 = "1.2.840.10045.3.1.7";

    @TempDir
    Path dir;

    @Test
    void wrapsPkcs1ExactlyAsTheJdkEncodesPkcs8() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        PrivateKey key = rsa.generateKeyPair().getPrivate();
        byte[] pkcs1 = innerKey(key.getEncoded());

        byte[] pkcs8 = PemFiles.pkcs1ToPkcs8(pkcs1);

        assertThat(pkcs8).isEqualTo(key.getEncoded());
        assertThat(PemFiles.decodePkcs8(pkcs8)).isEqualTo(key);
    }

    @Test
    void movesTheSec1CurveIntoThePkcs8AlgorithmIdentifier() throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = ec.generateKeyPair();
        ECPrivateKey key = (ECPrivateKey) pair.getPrivate();
        TlsDer.Reader jdkSec1 = new TlsDer.Reader(innerKey(key.getEncoded())).next().children();
        jdkSec1.next(TlsDer.INTEGER, "version");
        byte[] secret = jdkSec1.next(TlsDer.OCTET_STRING, "privateKey").value();
        byte[] sec1 = TlsDer.sequence(TlsDer.integer(1), TlsDer.octetString(secret),
                TlsDer.explicit(0, TlsDer.oid(P256)), TlsDer.explicit(1, TlsDer.bitString(new byte[65])));

        ECPrivateKey decoded = (ECPrivateKey) PemFiles.decodePkcs8(PemFiles.sec1ToPkcs8(sec1));

        assertThat(decoded.getS()).isEqualTo(key.getS());
        assertThat(TlsMaterial.keyMatches(decoded, pair.getPublic())).isTrue();
    }

    @Test
    void explainsSec1KeysWithoutANamedCurve() {
        byte[] explicitCurve = TlsDer.sequence(TlsDer.integer(1), TlsDer.octetString(new byte[32]),
                TlsDer.explicit(0, TlsDer.sequence(TlsDer.integer(1))));
        byte[] noCurve = TlsDer.sequence(TlsDer.integer(1), TlsDer.octetString(new byte[32]));

        assertThatThrownBy(() -> PemFiles.sec1ToPkcs8(explicitCurve)).hasMessageContaining("named curve");
        assertThatThrownBy(() -> PemFiles.sec1ToPkcs8(noCurve)).hasMessageContaining("does not name its curve");
    }

    @Test
    void refusesKeyAlgorithmsThatCannotSign() {
        byte[] x25519 = TlsDer.sequence(TlsDer.integer(0), TlsDer.sequence(TlsDer.oid("1.3.101.110")),
                TlsDer.octetString(TlsDer.octetString(new byte[32])));

        assertThatThrownBy(() -> PemFiles.decodePkcs8(x25519)).hasMessageContaining("unsupported key algorithm 1.3.101.110");
    }

    @Test
    void parsesBlocksWithHeadersAndIgnoresTheTextAround() {
        String text = "intro\r\n" + PemFiles.encode("CERTIFICATE", new byte[] {1, 2, 3})
                + "between\n-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nBAUG\n"
                + "-----END RSA PRIVATE KEY-----\ntrailer";

        List<PemFiles.Block> blocks = PemFiles.parse(text);

        assertThat(blocks).extracting(PemFiles.Block::label).containsExactly("CERTIFICATE", "RSA PRIVATE KEY");
        assertThat(blocks.get(0).der()).containsExactly(1, 2, 3);
        assertThat(blocks.get(1).headers()).containsEntry("Proc-Type", "4,ENCRYPTED").containsKey("DEK-Info");
        assertThat(blocks.get(1).der()).containsExactly(4, 5, 6);
    }

    @Test
    void writesSixtyFourCharacterLines() {
        String pem = PemFiles.encode("CERTIFICATE", new byte[300]);

        assertThat(pem.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(64));
        assertThat(pem).startsWith("-----BEGIN CERTIFICATE-----\n").endsWith("\n-----END CERTIFICATE-----\n");
        assertThat(PemFiles.parse(pem).get(0).der()).hasSize(300);
    }

    @Test
    void readsEveryCertificateInOrder() throws Exception {
        TlsMaterial a = TlsMaterial.selfSigned(dir.resolve("a"));
        TlsMaterial b = TlsMaterial.selfSigned(dir.resolve("b"));
        Path chain = Files.writeString(dir.resolve("chain.pem"),
                Files.readString(a.certificateFile()) + Files.readString(b.certificateFile()));

        assertThat(PemFiles.readCertificates(chain, "X")).containsExactly(a.certificate(), b.certificate());
    }

    @Test
    void refusesAFileWithTwoKeys() throws Exception {
        TlsMaterial a = TlsMaterial.selfSigned(dir.resolve("a"));
        String key = Files.readString(a.certificateFile().resolveSibling("agent-key.pem"));
        Path twoKeys = Files.writeString(dir.resolve("keys.pem"), key + key);

        assertThatThrownBy(() -> PemFiles.readPrivateKey(twoKeys, "PDAGENTD_TLS_KEY_FILE"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("PDAGENTD_TLS_KEY_FILE: " + twoKeys + ": holds 2 private keys; it must hold exactly one");
    }

    @Test
    void refusesFilesTooLargeToBePem() throws Exception {
        Path big = Files.write(dir.resolve("big.pem"), new byte[PemFiles.MAX_FILE_BYTES + 1]);

        assertThatThrownBy(() -> PemFiles.readCertificates(big, "PDAGENTD_TLS_CERT_FILE"))
                .hasMessageStartingWith("PDAGENTD_TLS_CERT_FILE: " + big + ": is larger than");
    }

    /** The key bytes inside a PKCS#8 PrivateKeyInfo's OCTET STRING. */
    private static byte[] innerKey(byte[] pkcs8) {
        TlsDer.Reader fields = new TlsDer.Reader(pkcs8).next().children();
        fields.next(TlsDer.INTEGER, "version");
        fields.next(TlsDer.SEQUENCE, "algorithm");
        return fields.next(TlsDer.OCTET_STRING, "privateKey").value();
    }
}
