package io.pdaltagent.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.config.AgentConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What HTTPS ingest offers, seen by {@code openssl s_client}: TLS 1.2 and 1.3 only, and for TLS 1.2
 * only ECDHE key exchange with an AEAD cipher. Every TLS 1.2 suite this OpenSSL knows (at security
 * level 0, so that it really offers the weak ones) is offered, and each suite the server takes out of
 * an offer is struck from the next offer, until it takes none.
 */
class TlsProtocolsAndCiphersTest {
    @TempDir
    Path dir;

    private final List<IngestServer> servers = new ArrayList<>();

    @AfterEach
    void tearDown() {
        servers.forEach(IngestServer::close);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1", "-tls1_1"})
    void refusesTls10And11EvenToAClientThatOffersThem(String protocol) {
        int port = start(OpenSsl.selfSigned(dir, "server", "rsa"));
        OpenSsl.Handshake old = OpenSsl.connect(port, protocol, "-cipher", "ALL:@SECLEVEL=0");
        assertThat(old.succeeded()).as(old.output()).isFalse();
        // the same client, TLS 1.2: the refusal above is the server's
        OpenSsl.Handshake control = OpenSsl.connect(port, "-tls1_2", "-cipher", "ALL:@SECLEVEL=0");
        assertThat(control.succeeded()).as(control.output()).isTrue();
    }

    @Test
    void acceptsTls13WithItsAeadSuitesOnly() {
        int port = start(OpenSsl.selfSigned(dir, "server", "rsa"));
        for (String suite : List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")) {
            OpenSsl.Handshake h = OpenSsl.connect(port, "-tls1_3", "-ciphersuites", suite);
            assertThat(h.succeeded()).as(suite + ": " + h.output()).isTrue();
            assertThat(h.output()).contains("TLSv1.3").contains(suite);
        }
        OpenSsl.Handshake ccm = OpenSsl.connect(port, "-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_8_SHA256");
        assertThat(ccm.succeeded()).as(ccm.output()).isFalse();
    }

    @Test
    void offersOnlyEcdheAeadSuitesOverTls12WithAnRsaCertificate() {
        int port = start(OpenSsl.selfSigned(dir, "server", "rsa"));
        List<String> accepted = scanTls12(port);
        assertThat(accepted).isNotEmpty().contains("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                "ECDHE-RSA-CHACHA20-POLY1305");
        assertThat(accepted).allSatisfy(TlsProtocolsAndCiphersTest::isEcdheAead);
    }

    @Test
    void offersTheEcdsaAeadSuitesButNoCbcOnesWithAnEcCertificate() {
        // the full scan above already covers every suite; here only those an EC key could add
        int port = start(OpenSsl.selfSigned(dir, "server", "ec"));
        for (String suite : List.of("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                "ECDHE-ECDSA-CHACHA20-POLY1305")) {
            assertThat(OpenSsl.connect(port, "-tls1_2", "-cipher", suite).succeeded()).as(suite).isTrue();
        }
        for (String suite : List.of("ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES128-SHA",
                "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-ARIA128-GCM-SHA256")) {
            assertThat(OpenSsl.connect(port, "-tls1_2", "-cipher", suite + ":@SECLEVEL=0").succeeded()).as(suite).isFalse();
        }
    }

    private static void isEcdheAead(String suite) {
        assertThat(suite).as("key exchange of " + suite).startsWith("ECDHE-");
        assertThat(suite).as("cipher of " + suite).containsAnyOf("-GCM-", "CHACHA20-POLY1305");
        assertThat(suite).doesNotContain("CBC", "3DES", "DES-", "RC4", "NULL", "EXP", "MD5", "anon", "PSK");
    }

    /**
     * Every suite the server accepts over TLS 1.2 out of all those this OpenSSL can offer (the SSLv3
     * and TLSv1 ones included), found the way ssl-enum-ciphers does it: offer all of them, take the
     * one the server picks out of the offer, offer the rest again, until the server picks none. A TLS
     * server picks a suite whenever the offer holds one it accepts, so the handshakes number one more
     * than the suites accepted (a handful), instead of one per suite offered (about 150).
     */
    private static List<String> scanTls12(int port) {
        List<String> offer = new ArrayList<>(OpenSsl.ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0").stream()
                .filter(c -> !c[1].equals("TLSv1.3")).map(c -> c[0]).toList());
        assertThat(offer).as("TLS 1.2 suites this OpenSSL can offer").hasSizeGreaterThan(40);
        List<String> accepted = new ArrayList<>();
        while (!offer.isEmpty()) {
            OpenSsl.Handshake h = OpenSsl.connect(port, "-tls1_2", "-cipher", String.join(":", offer) + ":@SECLEVEL=0");
            if (!h.succeeded()) {
                break;
            }
            String chosen = h.cipher();
            assertThat(offer).as("the suite the server chose was offered: " + h.output()).contains(chosen);
            accepted.add(chosen);
            offer.remove(chosen);
        }
        // the last offer, refused, held every suite not in accepted: the server takes none of them
        return accepted;
    }

    private int start(OpenSsl.Pair pair) {
        AgentConfig.IngestConfig config = new AgentConfig.IngestConfig("127.0.0.1", 0, IngestServer.freePort(),
                pair.cert(), pair.key(), 512 * 1024, dir.resolve("data"));
        IngestServer server = new IngestServer(config, new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                return false;
            }
        });
        servers.add(server);
        server.start();
        return server.httpsPort();
    }
}
