package io.pdaltagent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {
    @Test
    void matchesAddressesInsideTheNetworkOnly() throws Exception {
        Cidr lan = Cidr.parse("192.168.0.0/16");
        assertThat(lan.contains(InetAddress.getByName("192.168.4.2"))).isTrue();
        assertThat(lan.contains(InetAddress.getByName("192.169.0.1"))).isFalse();
        assertThat(lan.contains(InetAddress.getByName("::1"))).isFalse();
        assertThat(Cidr.parse("10.1.2.3/12").toString()).isEqualTo("10.0.0.0/12");
        assertThat(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8"))).isTrue();
    }

    @Test
    void aBareAddressIsThatOneAddress() throws Exception {
        Cidr one = Cidr.parse("10.0.0.7");
        assertThat(one.contains(InetAddress.getByName("10.0.0.7"))).isTrue();
        assertThat(one.contains(InetAddress.getByName("10.0.0.6"))).isFalse();
    }

    @Test
    void matchesIpv6AndIpv4MappedAddresses() throws Exception {
        assertThat(Cidr.parse("2001:db8::/32").contains(InetAddress.getByName("2001:db8:1::5"))).isTrue();
        assertThat(Cidr.parse("2001:db8::/32").contains(InetAddress.getByName("2001:db9::5"))).isFalse();
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[15] = 9;
        assertThat(Cidr.parse("10.0.0.0/8").contains(java.net.Inet6Address.getByAddress(null, mapped, -1))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "example.com", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "::/129", "10.0.0.0/8/8"})
    void refusesWhatIsNoNetwork(String text) {
        assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }
}
