package io.pdaltagent.ingest;

import java.time.Duration;
import java.util.List;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.LowResourceMonitor;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The limits on ingest connections, so that no number of idle, slow or hostile clients takes the
 * agent down or keeps a good client out:
 *
 * <ol>
 *   <li><b>A cap</b> on open connections ({@link NetworkConnectionLimit}): at the cap the ports stop
 *       accepting, and new clients wait in the listen backlog rather than the process running out
 *       of file descriptors.</li>
 *   <li><b>Shedding near the cap</b> ({@link LowResourceMonitor}): above {@value #HIGH_WATER_PERCENT} %
 *       of the cap, every connection's idle timeout drops to {@link #SHED_IDLE_TIMEOUT}, so idle
 *       keep-alive connections and stalled clients are closed within a second or two and the
 *       clients waiting in the backlog get in. Clients that are sending keep their connections.</li>
 *   <li><b>Deadlines</b> for the request phases an idle timeout cannot bound ({@link SlowClientGuard}):
 *       headers within {@link #HEADER_TIMEOUT} (slowloris), bodies within {@link #BODY_TIMEOUT}.</li>
 * </ol>
 *
 * <p>Everything runs on the server's scheduler; nothing here holds a thread per connection.
 */
final class ConnectionLimits {
    /** Real clients send their headers in one packet; ten seconds covers a slow link several times over. */
    static final Duration HEADER_TIMEOUT = Duration.ofSeconds(10);
    /** PagerDuty's 512 KB body limit at under 10 KB/s still fits; a body is almost always a few KB. */
    static final Duration BODY_TIMEOUT = Duration.ofSeconds(60);
    /** Where shedding starts: close enough to the cap to matter, far enough to act before it. */
    static final int HIGH_WATER_PERCENT = 90;
    /** The idle timeout of every connection while shedding. */
    static final Duration SHED_IDLE_TIMEOUT = Duration.ofSeconds(1);
    /** How often the connection count is checked. */
    static final Duration CHECK_PERIOD = Duration.ofSeconds(1);

    private ConnectionLimits() {
    }

    /** Adds the cap, the shedding monitor and the deadlines to {@code server}, for {@code connectors}. */
    static SlowClientGuard install(Server server, List<ServerConnector> connectors, int maxConnections) {
        server.addBean(new NetworkConnectionLimit(maxConnections, server));

        LowResourceMonitor shedding = new LowResourceMonitor(server);
        shedding.setMonitoredConnectors(List.copyOf(connectors));
        shedding.setPeriod((int) CHECK_PERIOD.toMillis());
        shedding.setLowResourcesIdleTimeout((int) SHED_IDLE_TIMEOUT.toMillis());
        // applied again every period, to the connections accepted since shedding began
        shedding.setMaxLowResourcesTime((int) CHECK_PERIOD.toMillis());
        shedding.setAcceptingInLowResources(true);
        shedding.addLowResourceCheck(new NearTheCap(connectors, highWater(maxConnections)));
        server.addBean(shedding);

        SlowClientGuard guard = new SlowClientGuard(server.getScheduler(), HEADER_TIMEOUT, BODY_TIMEOUT);
        server.addBean(guard);
        for (ServerConnector c : connectors) {
            c.addEventListener(guard);
        }
        return guard;
    }

    static int highWater(int maxConnections) {
        return Math.max(1, (int) ((long) maxConnections * HIGH_WATER_PERCENT / 100));
    }

    /**
     * True above the high-water mark. Its reason is the same text each time, so that Jetty logs one
     * line when shedding starts and one when it ends, not one per count.
     */
    private record NearTheCap(List<ServerConnector> connectors, int highWater) implements LowResourceMonitor.LowResourceCheck {
        @Override
        public boolean isLowOnResources() {
            int open = 0;
            for (Connector c : connectors) {
                open += c.getConnectedEndPoints().size();
            }
            return open > highWater;
        }

        @Override
        public String getReason() {
            return "more than " + highWater + " ingest connections open: idle ones are closed after "
                    + SHED_IDLE_TIMEOUT.toMillis() + " ms";
        }
    }
}
