package io.pdaltagent.rabbitmq.e2e;

import io.pdaltagent.testing.TestCertificate;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.GeneralSecurityException;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * A TLS endpoint in front of the local RabbitMQ, for amqps:// without touching the broker's
 * configuration: it terminates TLS with the test certificate (for localhost and 127.0.0.1) and pipes
 * each connection to 127.0.0.1:5672. Listens on every loopback address, so that a client can also
 * reach it under a name the certificate does not cover (127.0.0.2).
 */
final class TlsRelay implements AutoCloseable {
    private final SSLServerSocket server;
    private final int brokerPort;

    TlsRelay(TestCertificate cert, int brokerPort) throws IOException, GeneralSecurityException {
        this.brokerPort = brokerPort;
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(cert.keyStore(), cert.password().toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getByName("0.0.0.0"));
        server.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        Thread.ofVirtual().start(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket broker = new Socket("127.0.0.1", brokerPort);
                Thread.ofVirtual().start(() -> pipe(client, broker));
                Thread.ofVirtual().start(() -> pipe(broker, client));
            } catch (IOException e) {
                // closed, or one connection failed: the next accept goes on
            }
        }
    }

    private static void pipe(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            // a handshake the client refused, or the other side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
