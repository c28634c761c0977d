package io.pdaltagent.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network in CIDR notation ({@code 10.0.0.0/8}, {@code 2001:db8::/32}); a bare
 * address is a network of that one address. Parsing takes literal addresses only, never a host name
 * (no DNS lookup at start, no allowlist that changes with DNS).
 *
 * <pre>{@code
 * Cidr lan = Cidr.parse("192.168.0.0/16");
 * lan.contains(InetAddress.getByName("192.168.4.2"));   // true
 * }</pre>
 *
 * <p>An IPv4-mapped IPv6 address ({@code ::ffff:10.1.2.3}, what a dual-stack socket reports) is
 * matched as the IPv4 address it carries. Immutable.
 */
public record Cidr(byte[] network, int prefixLength) {
    public Cidr {
        network = network.clone();
        if (prefixLength < 0 || prefixLength > network.length * 8) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " out of range");
        }
        network = masked(network, prefixLength);
    }

    /**
     * @throws IllegalArgumentException with a reason fit for a message naming the setting
     */
    public static Cidr parse(String text) {
        String s = text.strip();
        int slash = s.indexOf('/');
        String address = slash < 0 ? s : s.substring(0, slash);
        if (address.isEmpty() || !address.matches("[0-9A-Fa-f:.]+")) {
            throw new IllegalArgumentException("'" + s + "' is not an IP address or network (a.b.c.d/n or ipv6/n)");
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(address).getAddress(); // a literal: no lookup happens
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + s + "' is not an IP address or network (a.b.c.d/n or ipv6/n)");
        }
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (!p.matches("[0-9]{1,3}") || Integer.parseInt(p) > max) {
                throw new IllegalArgumentException("'" + s + "': the prefix length must be 0 to " + max);
            }
            prefix = Integer.parseInt(p);
        }
        return new Cidr(bytes, prefix);
    }

    public boolean contains(InetAddress address) {
        byte[] a = unmapped(address.getAddress());
        return a.length == network.length && Arrays.equals(masked(a, prefixLength), network);
    }

    @Override
    public byte[] network() {
        return network.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefixLength == prefixLength && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefixLength;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixLength;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] masked(byte[] address, int prefix) {
        byte[] out = address.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) (0xff << (8 - bits));
        }
        return out;
    }

    /** {@code ::ffff:a.b.c.d} as the four bytes of a.b.c.d. */
    private static byte[] unmapped(byte[] a) {
        if (a.length != 16) {
            return a;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return a;
            }
        }
        if (a[10] != (byte) 0xff || a[11] != (byte) 0xff) {
            return a;
        }
        return Arrays.copyOfRange(a, 12, 16);
    }
}
