package io.pdaltagent.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The {@code openssl} command for TLS tests: PEM pairs and a small CA made the way operators make
 * them, and {@code s_client} handshakes against a listener, so that what is checked is what a
 * client other than the JDK sees.
 */
final class OpenSsl {
    /** A key pair and its certificate, as PEM files. */
    record Pair(Path cert, Path key) {
    }

    /** One {@code s_client} run: its exit code and what it printed. */
    record Handshake(int exit, String output) {
        boolean succeeded() {
            return exit == 0 && CIPHER.matcher(output).find() && !output.contains("Cipher is (NONE)");
        }

        /** The suite the handshake settled on ({@code Cipher is X} in s_client's summary). */
        String cipher() {
            java.util.regex.Matcher m = CIPHER.matcher(output);
            if (!m.find()) {
                throw new IllegalStateException("no cipher in: " + output);
            }
            return m.group(1);
        }

        private static final java.util.regex.Pattern CIPHER = java.util.regex.Pattern.compile("Cipher is ([A-Z0-9_-]+)");
    }

    private OpenSsl() {
    }

    /** A self-signed pair for localhost / 127.0.0.1; {@code keyType} {@code rsa} or {@code ec}. */
    static Pair selfSigned(Path dir, String name, String keyType) {
        Pair p = new Pair(dir.resolve(name + "-cert.pem"), dir.resolve(name + "-key.pem"));
        List<String> c = new ArrayList<>(List.of("req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=" + name,
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", p.key().toString(),
                "-out", p.cert().toString()));
        c.addAll(newKey(keyType));
        run(c);
        return p;
    }

    /** A pair for {@code name} signed by {@code ca}. */
    static Pair signedBy(Pair ca, Path dir, String name) {
        Pair p = new Pair(dir.resolve(name + "-cert.pem"), dir.resolve(name + "-key.pem"));
        Path csr = dir.resolve(name + ".csr");
        List<String> c = new ArrayList<>(List.of("req", "-new", "-nodes", "-subj", "/CN=" + name,
                "-keyout", p.key().toString(), "-out", csr.toString()));
        c.addAll(newKey("ec"));
        run(c);
        run(List.of("x509", "-req", "-in", csr.toString(), "-CA", ca.cert().toString(), "-CAkey", ca.key().toString(),
                "-CAcreateserial", "-days", "2", "-out", p.cert().toString()));
        return p;
    }

    private static List<String> newKey(String keyType) {
        return keyType.equals("ec")
                ? List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")
                : List.of("-newkey", "rsa:2048");
    }

    /** {@code openssl s_client} to 127.0.0.1:port with the extra options given; stdin closed at once. */
    static Handshake connect(int port, String... options) {
        List<String> c = new ArrayList<>(List.of("s_client", "-connect", "127.0.0.1:" + port, "-servername", "localhost"));
        c.addAll(List.of(options));
        return exec(c);
    }

    /** Cipher suite names {@code openssl ciphers -v} lists for {@code spec}, with the protocol column. */
    static List<String[]> ciphers(String spec) {
        Handshake h = exec(List.of("ciphers", "-v", spec));
        if (h.exit() != 0) {
            throw new IllegalStateException("openssl ciphers failed: " + h.output());
        }
        List<String[]> out = new ArrayList<>();
        for (String line : h.output().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2) {
                out.add(new String[] {f[0], f[1]});
            }
        }
        return out;
    }

    /** The certificate a new handshake with 127.0.0.1:port presents (trusting anything). */
    static X509Certificate peerCertificate(int port) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {TRUST_ALL}, null);
        try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    static final X509TrustManager TRUST_ALL = new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    };

    private static void run(List<String> args) {
        Handshake h = exec(args);
        if (h.exit() != 0) {
            throw new IllegalStateException("openssl " + args + " failed: " + h.output());
        }
    }

    private static Handshake exec(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(args);
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("openssl " + args + " did not finish");
            }
            return new Handshake(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run openssl", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void replace(Pair from, Pair to) throws IOException {
        Files.copy(from.cert(), to.cert(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(from.key(), to.key(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
