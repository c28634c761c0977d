package io.pdaltagent.ingest;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.Cidr;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Who may send events through ingest, from {@code PDAGENTD_ALLOWED_SOURCE_NETWORKS} and
 * {@code PDAGENTD_ALLOWED_ROUTING_KEYS}: an empty list allows everything. The source is checked as
 * soon as a request's headers arrive (before its body is read); the routing key once the event is
 * parsed, against the key it will be delivered to (after the rules ran). Immutable, thread-safe.
 */
final class AccessGate {
    private final Set<String> keys;
    private final List<Cidr> networks;

    AccessGate(AgentConfig.Allowlist allow) {
        Objects.requireNonNull(allow, "allow");
        this.keys = allow.routingKeys();
        this.networks = allow.sourceNetworks();
    }

    /** True when no network list is set, or the peer's address is in one of them; false for a peer of no IP. */
    boolean allowsSource(SocketAddress remote) {
        if (networks.isEmpty()) {
            return true;
        }
        if (!(remote instanceof InetSocketAddress inet) || inet.getAddress() == null) {
            return false;
        }
        for (Cidr n : networks) {
            if (n.contains(inet.getAddress())) {
                return true;
            }
        }
        return false;
    }

    boolean allowsKey(String routingKey) {
        return keys.isEmpty() || keys.contains(routingKey);
    }

    /** The peer's IP address for a log line or an answer (never a host name: no lookup). */
    static String describe(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return "an unknown address";
    }
}
