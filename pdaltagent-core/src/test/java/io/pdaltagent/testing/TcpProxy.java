package io.pdaltagent.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on 127.0.0.1 that a test puts between a client and a server (the agent and the
 * machine's RabbitMQ) to break the network between them without touching the server, which other
 * tests share:
 * <ul>
 *   <li>{@link #down()}: every connection closed, the port refuses new ones: to the client, exactly
 *       a server restart (or a crash) in progress;
 *   <li>{@link #blackhole()}: connections stay open but every byte is dropped, new ones are accepted
 *       and never answered: a network cut that nobody reports (only timeouts and heartbeats tell);
 *   <li>{@link #up()}: new connections are relayed again (blackholed ones stay dead, as after a
 *       real partition the peers have given up on them).
 * </ul>
 * Threads: one virtual thread accepting, two per relayed connection. Thread-safe.
 */
public final class TcpProxy implements AutoCloseable {
    /** What happens to bytes and connections. */
    private enum Mode { UP, DOWN, BLACKHOLE }

    private final String targetHost;
    private final int targetPort;
    private final int port;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile Mode mode = Mode.UP;
    private volatile ServerSocket server;
    private volatile boolean closed;

    public TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        ServerSocket s = bind(0);
        this.port = s.getLocalPort();
        listen(s);
    }

    public int port() {
        return port;
    }

    private static ServerSocket bind(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
        return s;
    }

    private void listen(ServerSocket s) {
        server = s;
        Thread.ofVirtual().name("tcp-proxy-accept").start(() -> accept(s));
    }

    private void accept(ServerSocket s) {
        while (!s.isClosed()) {
            Socket client;
            try {
                client = s.accept();
            } catch (IOException e) {
                return; // closed by down() or close()
            }
            sockets.add(client);
            if (mode == Mode.BLACKHOLE) {
                Thread.ofVirtual().start(() -> pipe(client, null));
                continue;
            }
            try {
                Socket target = new Socket(targetHost, targetPort);
                sockets.add(target);
                Thread.ofVirtual().start(() -> pipe(client, target));
                Thread.ofVirtual().start(() -> pipe(target, client));
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    /** Copies from one side to the other while the proxy is up; drops the bytes while blackholed. */
    private void pipe(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        boolean dead = to == null;
        try (InputStream in = from.getInputStream()) {
            OutputStream out = to == null ? null : to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (mode == Mode.BLACKHOLE) {
                    // this connection is cut for good, as in a real partition
                    dead = true;
                }
                if (!dead) {
                    out.write(buf, 0, n);
                }
            }
        } catch (IOException e) {
            // the other side closed, or down() closed the sockets
        } finally {
            closeQuietly(from);
            if (to != null) {
                closeQuietly(to);
            }
        }
    }

    /** Closes every connection and refuses new ones (the port stays reserved for {@link #up()}). */
    public synchronized void down() throws IOException {
        mode = Mode.DOWN;
        server.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        sockets.clear();
    }

    /** Drops every byte from now on, on open connections and on new ones, without closing anything. */
    public synchronized void blackhole() {
        mode = Mode.BLACKHOLE;
    }

    /** Relays new connections again. */
    public synchronized void up() throws IOException {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (server.isClosed()) {
            listen(bind(port));
        }
        mode = Mode.UP;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        down();
    }
}
