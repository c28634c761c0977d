package io.pdaltagent.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pdaltagent.testing.FakePagerDuty;
import io.pdaltagent.testing.ForwardProxy;
import io.pdaltagent.testing.TestCertificate;
import java.io.IOException;
import java.net.Authenticator;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class EnvProxySelectorTest {

    private static EnvProxySelector env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return EnvProxySelector.fromEnv(env);
    }

    /** "host:port" of the proxy chosen for the URL, or "DIRECT". */
    private static String route(EnvProxySelector selector, String url) {
        List<Proxy> proxies = selector.select(URI.create(url));
        assertThat(proxies).hasSize(1);
        Proxy p = proxies.get(0);
        if (p.type() == Proxy.Type.DIRECT) {
            return "DIRECT";
        }
        InetSocketAddress a = (InetSocketAddress) p.address();
        return a.getHostString() + ":" + a.getPort();
    }

    @Nested
    class ChoosingAProxy {
        @Test
        void goesDirectWhenNoProxyIsConfigured() {
            EnvProxySelector selector = env();

            assertThat(route(selector, "https://events.pagerduty.com/v2/enqueue")).isEqualTo("DIRECT");
            assertThat(route(selector, "http://127.0.0.1:8080/")).isEqualTo("DIRECT");
            assertThat(selector.isDirect()).isTrue();
        }

        @Test
        void usesHttpsProxyForHttpsUrlsOnly() {
            EnvProxySelector selector = env("HTTPS_PROXY", "http://proxy.corp:3128");

            assertThat(route(selector, "https://events.pagerduty.com/v2/enqueue")).isEqualTo("proxy.corp:3128");
            assertThat(route(selector, "http://events.pagerduty.com/v2/enqueue")).isEqualTo("DIRECT");
            assertThat(selector.isDirect()).isFalse();
        }

        @Test
        void usesHttpProxyForHttpUrlsOnly() {
            EnvProxySelector selector = env("HTTP_PROXY", "http://web-proxy:8080");

            assertThat(route(selector, "http://hooks.example.net/in")).isEqualTo("web-proxy:8080");
            assertThat(route(selector, "https://events.pagerduty.com/")).isEqualTo("DIRECT");
        }

        @Test
        void mapsWebSocketSchemesAndIgnoresOthers() {
            EnvProxySelector selector = env("https_proxy", "sec:1", "http_proxy", "plain:2");

            assertThat(route(selector, "wss://x.example/")).isEqualTo("sec:1");
            assertThat(route(selector, "ws://x.example/")).isEqualTo("plain:2");
            assertThat(route(selector, "ftp://x.example/")).isEqualTo("DIRECT");
        }

        @Test
        void prefersTheLowerCaseVariableLikeCurl() {
            EnvProxySelector selector = env("https_proxy", "lower:1111", "HTTPS_PROXY", "upper:2222",
                    "http_proxy", "lower:3333", "HTTP_PROXY", "upper:4444");

            assertThat(route(selector, "https://a.example/")).isEqualTo("lower:1111");
            assertThat(route(selector, "http://a.example/")).isEqualTo("lower:3333");
        }

        @Test
        void readsTheUpperCaseVariableWhenTheLowerCaseOneIsAbsent() {
            assertThat(route(env("HTTPS_PROXY", "upper:2222"), "https://a.example/")).isEqualTo("upper:2222");
        }

        @Test
        void usesNoProxyWhenTheLowerCaseVariableIsSetButEmpty() {
            assertThat(route(env("https_proxy", "", "HTTPS_PROXY", "upper:2222"), "https://a.example/")).isEqualTo("DIRECT");
            assertThat(route(env("HTTPS_PROXY", "  "), "https://a.example/")).isEqualTo("DIRECT");
        }

        @Test
        void acceptsHostAndPortWithoutAScheme() {
            assertThat(route(env("HTTPS_PROXY", "proxy.corp:3128"), "https://a.example/")).isEqualTo("proxy.corp:3128");
        }

        @Test
        void usesPort80WhenTheProxyHasNoPortAsPythonDoes() {
            assertThat(route(env("HTTPS_PROXY", "http://proxy.corp"), "https://a.example/")).isEqualTo("proxy.corp:80");
            assertThat(route(env("HTTPS_PROXY", "proxy.corp/"), "https://a.example/")).isEqualTo("proxy.corp:80");
        }

        @Test
        void acceptsAnIpv6ProxyInBrackets() {
            assertThat(route(env("HTTPS_PROXY", "http://[fd00::1]:3128"), "https://a.example/")).isEqualTo("fd00::1:3128");
        }

        @Test
        void ignoresATrailingSlashAndSchemeCase() {
            assertThat(route(env("HTTPS_PROXY", "HTTP://Proxy.Corp:3128/"), "https://a.example/")).isEqualTo("proxy.corp:3128");
        }

        @Test
        void leavesTheProxyAddressUnresolvedSoDnsIsAskedAtConnectTime() {
            Proxy p = env("HTTPS_PROXY", "proxy.invalid:3128").select(URI.create("https://a.example/")).get(0);

            assertThat(p.type()).isEqualTo(Proxy.Type.HTTP);
            assertThat(((InetSocketAddress) p.address()).isUnresolved()).isTrue();
        }
    }

    @Nested
    class Credentials {
        @Test
        void parsesUserAndPercentEncodedPassword() {
            EnvProxySelector selector = env("HTTPS_PROXY", "http://relay%20user:p%40ss+w:rd@proxy.corp:3128");

            EnvProxySelector.ProxyEndpoint p = selector.httpsProxy().orElseThrow();
            assertThat(p.username()).isEqualTo("relay user");
            assertThat(p.password()).isEqualTo("p@ss+w:rd");
            assertThat(p.host()).isEqualTo("proxy.corp");
            assertThat(p.port()).isEqualTo(3128);
            assertThat(p.variable()).isEqualTo("HTTPS_PROXY");
        }

        @Test
        void takesTheLastAtSignAsTheEndOfTheCredentials() {
            EnvProxySelector.ProxyEndpoint p = env("HTTPS_PROXY", "user:p@ss/word@proxy.corp:3128").httpsProxy().orElseThrow();

            assertThat(p.password()).isEqualTo("p@ss/word");
            assertThat(p.host()).isEqualTo("proxy.corp");
        }

        @Test
        void masksThePasswordInEveryDescription() {
            EnvProxySelector selector = env("HTTPS_PROXY", "http://relay:hunter2@proxy.corp:3128", "HTTP_PROXY", "plain:8080",
                    "NO_PROXY", "localhost");

            assertThat(selector.httpsProxy().orElseThrow()).hasToString("http://relay:****@proxy.corp:3128");
            assertThat(selector.toString())
                    .isEqualTo("EnvProxySelector[https=http://relay:****@proxy.corp:3128, http=http://plain:8080, no_proxy=localhost]")
                    .doesNotContain("hunter2");
        }

        @Test
        void treatsAUserWithoutPasswordAsAnEmptyPassword() {
            EnvProxySelector.ProxyEndpoint p = env("HTTPS_PROXY", "relay@proxy.corp:3128").httpsProxy().orElseThrow();

            assertThat(p.hasCredentials()).isTrue();
            assertThat(p.password()).isEmpty();
        }

        @Test
        void saysWhenHttpsTunnelsNeedBasicAuth() {
            assertThat(env("HTTPS_PROXY", "relay:pw@proxy.corp:3128").needsBasicAuthOnTunnels()).isTrue();
            assertThat(env("HTTPS_PROXY", "proxy.corp:3128", "HTTP_PROXY", "relay:pw@p:1").needsBasicAuthOnTunnels()).isFalse();
        }

        @Test
        void allowsBasicAuthOnTunnelsUnlessThePropertyWasSetExplicitly() {
            String before = System.getProperty(EnvProxySelector.TUNNELING_DISABLED_SCHEMES);
            try {
                System.setProperty(EnvProxySelector.TUNNELING_DISABLED_SCHEMES, "Basic,Digest");
                assertThat(EnvProxySelector.allowBasicAuthOnTunnels()).isFalse();
                assertThat(System.getProperty(EnvProxySelector.TUNNELING_DISABLED_SCHEMES)).isEqualTo("Basic,Digest");

                System.clearProperty(EnvProxySelector.TUNNELING_DISABLED_SCHEMES);
                assertThat(EnvProxySelector.allowBasicAuthOnTunnels()).isTrue();
                assertThat(System.getProperty(EnvProxySelector.TUNNELING_DISABLED_SCHEMES)).isEmpty();
            } finally {
                if (before == null) {
                    System.clearProperty(EnvProxySelector.TUNNELING_DISABLED_SCHEMES);
                } else {
                    System.setProperty(EnvProxySelector.TUNNELING_DISABLED_SCHEMES, before);
                }
            }
        }

        @Test
        void authenticatorAnswersOnlyProxyChallengesFromOurProxies() throws Exception {
            EnvProxySelector selector = env("HTTPS_PROXY", "http://relay:hunter2@proxy.corp:3128", "HTTP_PROXY", "other:8080");
            Authenticator auth = EnvProxySelector.authenticator(selector);
            URL url = URI.create("https://events.pagerduty.com/v2/enqueue").toURL();

            PasswordAuthentication proxy = Authenticator.requestPasswordAuthentication(auth, "proxy.corp", null, 3128, "http",
                    "realm", "Basic", url, Authenticator.RequestorType.PROXY);
            PasswordAuthentication server = Authenticator.requestPasswordAuthentication(auth, "proxy.corp", null, 3128, "http",
                    "realm", "Basic", url, Authenticator.RequestorType.SERVER);
            PasswordAuthentication otherPort = Authenticator.requestPasswordAuthentication(auth, "proxy.corp", null, 8080, "http",
                    "realm", "Basic", url, Authenticator.RequestorType.PROXY);
            PasswordAuthentication noCredentials = Authenticator.requestPasswordAuthentication(auth, "other", null, 8080, "http",
                    "realm", "Basic", url, Authenticator.RequestorType.PROXY);

            assertThat(proxy.getUserName()).isEqualTo("relay");
            assertThat(new String(proxy.getPassword())).isEqualTo("hunter2");
            assertThat(server).isNull();
            assertThat(otherPort).isNull();
            assertThat(noCredentials).isNull();
        }
    }

    @Nested
    class BadValues {
        @Test
        void rejectsAPortThatIsNotANumberNamingTheVariable() {
            assertThatThrownBy(() -> env("HTTPS_PROXY", "http://proxy.corp:31x8"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("HTTPS_PROXY: ").hasMessageContaining("31x8");
            assertThatThrownBy(() -> env("http_proxy", "proxy.corp:0"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("http_proxy: ");
            assertThatThrownBy(() -> env("HTTP_PROXY", "proxy.corp:70000")).hasMessageStartingWith("HTTP_PROXY: ");
        }

        @Test
        void rejectsTlsAndSocksProxiesWhichJavasClientCannotUse() {
            assertThatThrownBy(() -> env("HTTPS_PROXY", "https://proxy.corp:443"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("HTTPS_PROXY: https:// proxies");
            assertThatThrownBy(() -> env("https_proxy", "socks5://proxy.corp:1080"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("https_proxy: only http://");
        }

        @Test
        void rejectsAMissingHost() {
            assertThatThrownBy(() -> env("HTTPS_PROXY", "http://:3128")).hasMessageStartingWith("HTTPS_PROXY: no host");
            assertThatThrownBy(() -> env("HTTPS_PROXY", "http://user:pw@")).hasMessageStartingWith("HTTPS_PROXY: no host");
        }

        @Test
        void rejectsAHostWithSpacesOrJunk() {
            assertThatThrownBy(() -> env("HTTPS_PROXY", "prox y:3128")).hasMessageStartingWith("HTTPS_PROXY: ");
            assertThatThrownBy(() -> env("HTTPS_PROXY", "[not-v6]:3128")).hasMessageStartingWith("HTTPS_PROXY: ");
        }

        @Test
        void neverPutsThePasswordInTheMessage() {
            assertThatThrownBy(() -> env("HTTPS_PROXY", "http://relay:hunter2@proxy.corp:bad"))
                    .hasMessageStartingWith("HTTPS_PROXY: ").message().doesNotContain("hunter2");
            assertThatThrownBy(() -> env("HTTPS_PROXY", "http://relay:hunter2@:3128"))
                    .message().doesNotContain("hunter2");
        }

        @Test
        void rejectsABadCidrRangeNamingTheVariable() {
            assertThatThrownBy(() -> env("NO_PROXY", "localhost,10.0.0.0/33"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("NO_PROXY: ").hasMessageContaining("10.0.0.0/33");
            assertThatThrownBy(() -> env("no_proxy", "example.com/8")).hasMessageStartingWith("no_proxy: ");
            assertThatThrownBy(() -> env("no_proxy", "10.0.0.0/x")).hasMessageStartingWith("no_proxy: ");
        }

        @Test
        void rejectsABadPortInNoProxy() {
            assertThatThrownBy(() -> env("NO_PROXY", "example.com:http")).hasMessageStartingWith("NO_PROXY: ");
        }
    }

    @Nested
    class NoProxy {
        private final String proxy = "HTTPS_PROXY";

        private String routeWith(String noProxy, String url) {
            return route(env(proxy, "proxy.corp:3128", "NO_PROXY", noProxy), url);
        }

        @Test
        void starAloneBypassesEverything() {
            assertThat(routeWith("*", "https://events.pagerduty.com/")).isEqualTo("DIRECT");
            assertThat(routeWith("*", "https://10.1.2.3/")).isEqualTo("DIRECT");
        }

        @Test
        void aDomainMatchesItselfAndItsSubDomainsOnly() {
            for (String entry : List.of("example.com", ".example.com", "*.example.com")) {
                assertThat(routeWith(entry, "https://example.com/")).as(entry).isEqualTo("DIRECT");
                assertThat(routeWith(entry, "https://api.example.com/")).as(entry).isEqualTo("DIRECT");
                assertThat(routeWith(entry, "https://a.b.example.com/")).as(entry).isEqualTo("DIRECT");
                assertThat(routeWith(entry, "https://badexample.com/")).as(entry).isEqualTo("proxy.corp:3128");
                assertThat(routeWith(entry, "https://example.com.evil.net/")).as(entry).isEqualTo("proxy.corp:3128");
            }
        }

        @Test
        void matchesNamesCaseInsensitivelyAndIgnoresATrailingDot() {
            assertThat(routeWith("Example.COM", "https://API.example.com/")).isEqualTo("DIRECT");
            assertThat(routeWith("example.com", "https://api.example.com./")).isEqualTo("DIRECT");
            assertThat(routeWith("example.com.", "https://api.example.com/")).isEqualTo("DIRECT");
        }

        @Test
        void readsACommaSeparatedListWithSpacesAndEmptyEntries() {
            String list = " localhost , ,internal.corp,, 192.168.1.10 ";

            assertThat(routeWith(list, "https://localhost:8443/")).isEqualTo("DIRECT");
            assertThat(routeWith(list, "https://svc.internal.corp/")).isEqualTo("DIRECT");
            assertThat(routeWith(list, "https://192.168.1.10/")).isEqualTo("DIRECT");
            assertThat(routeWith(list, "https://events.pagerduty.com/")).isEqualTo("proxy.corp:3128");
        }

        @Test
        void anIpAddressMatchesThatAddressOnly() {
            assertThat(routeWith("192.168.1.10", "https://192.168.1.10:8443/")).isEqualTo("DIRECT");
            assertThat(routeWith("192.168.1.10", "https://192.168.1.11/")).isEqualTo("proxy.corp:3128");
        }

        @Test
        void anIpEntryNeverMatchesAHostNameBecauseNamesAreNotResolved() {
            assertThat(routeWith("127.0.0.1", "https://localhost/")).isEqualTo("proxy.corp:3128");
        }

        @Test
        void aCidrRangeMatchesTheAddressesInside() {
            assertThat(routeWith("10.0.0.0/8", "https://10.200.3.4/")).isEqualTo("DIRECT");
            assertThat(routeWith("10.0.0.0/8", "https://11.0.0.1/")).isEqualTo("proxy.corp:3128");
            assertThat(routeWith("192.168.0.0/23", "https://192.168.1.255/")).isEqualTo("DIRECT");
            assertThat(routeWith("192.168.0.0/23", "https://192.168.2.0/")).isEqualTo("proxy.corp:3128");
            assertThat(routeWith("0.0.0.0/0", "https://8.8.8.8/")).isEqualTo("DIRECT");
            assertThat(routeWith("172.16.0.0/12", "https://172.31.255.1/")).isEqualTo("DIRECT");
            assertThat(routeWith("172.16.0.0/12", "https://172.32.0.1/")).isEqualTo("proxy.corp:3128");
            assertThat(routeWith("10.0.0.0/8", "https://ten.example/")).isEqualTo("proxy.corp:3128");
        }

        @Test
        void matchesIpv6AddressesAndRanges() {
            assertThat(routeWith("::1", "https://[::1]:8443/")).isEqualTo("DIRECT");
            assertThat(routeWith("[::1]", "https://[0:0:0:0:0:0:0:1]/")).isEqualTo("DIRECT");
            assertThat(routeWith("fd00::/8", "https://[fd12:3456::1]/")).isEqualTo("DIRECT");
            assertThat(routeWith("fd00::/8", "https://[fe80::1]/")).isEqualTo("proxy.corp:3128");
            assertThat(routeWith("fd00::/8", "https://10.0.0.1/")).isEqualTo("proxy.corp:3128");
        }

        @Test
        void anEntryWithAPortMatchesOnlyThatPort() {
            assertThat(routeWith("example.com:8443", "https://example.com:8443/")).isEqualTo("DIRECT");
            assertThat(routeWith("example.com:8443", "https://example.com/")).isEqualTo("proxy.corp:3128");
            assertThat(routeWith("example.com:443", "https://api.example.com/")).as("443 is the https default").isEqualTo("DIRECT");
            assertThat(routeWith("10.1.1.1:8443", "https://10.1.1.1:8443/")).isEqualTo("DIRECT");
            assertThat(routeWith("10.1.1.1:8443", "https://10.1.1.1:9443/")).isEqualTo("proxy.corp:3128");
            assertThat(routeWith("[::1]:8443", "https://[::1]:8443/")).isEqualTo("DIRECT");
            assertThat(routeWith("[::1]:8443", "https://[::1]:443/")).isEqualTo("proxy.corp:3128");
        }

        @Test
        void prefersTheLowerCaseNoProxy() {
            EnvProxySelector selector = env(proxy, "proxy.corp:3128", "no_proxy", "a.example", "NO_PROXY", "b.example");

            assertThat(route(selector, "https://a.example/")).isEqualTo("DIRECT");
            assertThat(route(selector, "https://b.example/")).isEqualTo("proxy.corp:3128");
        }

        @Test
        void answersBypassQuestionsDirectly() {
            EnvProxySelector selector = env(proxy, "proxy.corp:3128", "NO_PROXY", ".corp,10.0.0.0/8");

            assertThat(selector.bypasses("git.corp", 443)).isTrue();
            assertThat(selector.bypasses("10.9.8.7", 80)).isTrue();
            assertThat(selector.bypasses("[::1]", 80)).isFalse();
        }
    }

    @Nested
    class Logging {
        @Test
        void logsAFailedProxyConnectionAtDebugWithoutUserInfo() {
            Logger logger = (Logger) LoggerFactory.getLogger(EnvProxySelector.class);
            ListAppender<ILoggingEvent> appender = new ListAppender<>();
            appender.start();
            Level before = logger.getLevel();
            logger.addAppender(appender);
            logger.setLevel(Level.DEBUG);
            try {
                EnvProxySelector selector = env("HTTPS_PROXY", "http://relay:hunter2@proxy.corp:3128");

                selector.connectFailed(URI.create("https://user:pw@events.pagerduty.com/v2/enqueue"),
                        InetSocketAddress.createUnresolved("proxy.corp", 3128), new IOException("Connection refused"));
            } finally {
                logger.detachAppender(appender);
                logger.setLevel(before);
            }

            assertThat(appender.list).singleElement().satisfies(e -> {
                assertThat(e.getLevel()).isEqualTo(Level.DEBUG);
                assertThat(e.getFormattedMessage()).contains("events.pagerduty.com", "proxy.corp", "Connection refused")
                        .doesNotContain("pw@", "hunter2");
            });
        }
    }

    @Nested
    class OverRealSockets {
        private static HttpRequest event(String url) {
            return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"routing_key\":\"0123456789abcdef0123456789abcdef\","
                            + "\"event_action\":\"trigger\",\"payload\":{\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\"}}"))
                    .build();
        }

        @Test
        void sendsHttpThroughAnAuthenticatingProxyWithTheEnvironmentsCredentials() throws Exception {
            try (FakePagerDuty fake = FakePagerDuty.builder().start();
                    ForwardProxy proxy = ForwardProxy.builder().basicAuth("relay", "p@ss").start()) {
                EnvProxySelector selector = env("HTTP_PROXY", "http://relay:p%40ss@127.0.0.1:" + proxy.port());
                HttpResponse<String> r;
                try (HttpClient client = HttpClient.newBuilder().proxy(selector).authenticator(selector.authenticator()).build()) {
                    r = client.send(event(fake.url("/v2/enqueue")), HttpResponse.BodyHandlers.ofString());
                }

                assertThat(r.statusCode()).isEqualTo(202);
                assertThat(proxy.relayed()).isEqualTo(1);
                assertThat(proxy.rejected()).as("the first try has no credentials; the challenge is answered").isEqualTo(1);
                assertThat(fake.acceptedCount()).isEqualTo(1);
            }
        }

        @Test
        void tunnelsHttpsThroughTheProxy() throws Exception {
            TestCertificate cert = TestCertificate.shared();
            try (FakePagerDuty fake = FakePagerDuty.builder().tls(cert).start(); ForwardProxy proxy = ForwardProxy.start()) {
                EnvProxySelector selector = env("https_proxy", proxy.url());
                HttpResponse<String> r;
                try (HttpClient client = HttpClient.newBuilder().proxy(selector).sslContext(cert.clientContext()).build()) {
                    r = client.send(event(fake.url("/v2/enqueue")), HttpResponse.BodyHandlers.ofString());
                }

                assertThat(r.statusCode()).isEqualTo(202);
                assertThat(proxy.tunnels()).isEqualTo(1);
            }
        }

        @Test
        void goesAroundTheProxyForNoProxyHosts() throws Exception {
            try (FakePagerDuty fake = FakePagerDuty.builder().start(); ForwardProxy proxy = ForwardProxy.start()) {
                EnvProxySelector selector = env("HTTP_PROXY", proxy.url(), "NO_PROXY", "127.0.0.0/8");
                HttpResponse<String> r;
                try (HttpClient client = HttpClient.newBuilder().proxy(selector).build()) {
                    r = client.send(event(fake.url("/v2/enqueue")), HttpResponse.BodyHandlers.ofString());
                }

                assertThat(r.statusCode()).isEqualTo(202);
                assertThat(proxy.relayed()).isZero();
                assertThat(fake.count()).isEqualTo(1);
            }
        }
    }
}
