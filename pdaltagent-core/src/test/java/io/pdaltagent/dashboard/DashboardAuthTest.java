package io.pdaltagent.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.testing.ManualClock;
import org.junit.jupiter.api.Test;

class DashboardAuthTest {
    private final ManualClock clock = new ManualClock();
    private final DashboardAuth auth = new DashboardAuth("admin-token-0123456789", "read-token-0123456789", clock);

    @Test
    void tokensGiveTheirRolesAndNothingElseDoes() {
        assertThat(auth.roleFor("admin-token-0123456789")).isEqualTo(DashboardAuth.Role.ADMIN);
        assertThat(auth.roleFor("read-token-0123456789")).isEqualTo(DashboardAuth.Role.READ);
        assertThat(auth.roleFor("admin-token-012345678")).isNull();
        assertThat(auth.roleFor("")).isNull();
        assertThat(auth.roleFor(null)).isNull();
        assertThat(DashboardAuth.Role.READ.mayChange()).isFalse();
        assertThat(auth.loginRequired()).isTrue();
        assertThat(new DashboardAuth(null, null, clock).loginRequired()).isFalse();
    }

    @Test
    void aSessionExpiresAndItsCsrfTokenIsItsOwn() {
        DashboardAuth.Session a = auth.open(DashboardAuth.Role.ADMIN);
        DashboardAuth.Session b = auth.open(DashboardAuth.Role.ADMIN);
        assertThat(auth.find(a.id())).isEqualTo(a);
        assertThat(DashboardAuth.csrfMatches(a, a.csrf())).isTrue();
        assertThat(DashboardAuth.csrfMatches(a, b.csrf())).isFalse();
        assertThat(DashboardAuth.csrfMatches(a, null)).isFalse();
        clock.advance(DashboardAuth.SESSION_TTL);
        assertThat(auth.find(a.id())).isNull();
    }

    @Test
    void sessionsAreBounded() {
        for (int i = 0; i < DashboardAuth.MAX_SESSIONS; i++) {
            assertThat(auth.open(DashboardAuth.Role.READ)).isNotNull();
        }
        assertThat(auth.open(DashboardAuth.Role.READ)).isNull();
        clock.advance(DashboardAuth.SESSION_TTL);
        assertThat(auth.open(DashboardAuth.Role.READ)).isNotNull();
        assertThat(auth.liveSessions()).isEqualTo(1);
    }

    @Test
    void thePasswordOfTheHashLogsInAsAdminAndFailuresAreThrottledPerSource() {
        PasswordHash hash = PasswordHash.of("a dashboard password".toCharArray(), "0123456789abcdef".getBytes(), 100_000);
        DashboardAuth withPassword = new DashboardAuth(null, null, hash, clock);
        assertThat(withPassword.loginRequired()).isTrue();
        assertThat(withPassword.passwordLogin()).isTrue();
        assertThat(auth.passwordLogin()).isFalse();

        assertThat(withPassword.login("a dashboard password", "10.0.0.1"))
                .isEqualTo(new DashboardAuth.Login.Accepted(DashboardAuth.Role.ADMIN));
        for (int i = 0; i < LoginThrottle.MAX_FAILURES_PER_SOURCE; i++) {
            assertThat(withPassword.login("a wrong password", "10.0.0.1")).isEqualTo(new DashboardAuth.Login.Refused());
        }
        assertThat(withPassword.login("a dashboard password", "10.0.0.1"))
                .as("even the right password is not checked while the source is held back")
                .isInstanceOf(DashboardAuth.Login.Throttled.class);
        assertThat(withPassword.login("a dashboard password", "10.0.0.2"))
                .isEqualTo(new DashboardAuth.Login.Accepted(DashboardAuth.Role.ADMIN));
        clock.advance(LoginThrottle.WINDOW);
        assertThat(withPassword.login("a dashboard password", "10.0.0.1"))
                .isEqualTo(new DashboardAuth.Login.Accepted(DashboardAuth.Role.ADMIN));
    }

    @Test
    void tokensStillWorkBesideAPassword() {
        PasswordHash hash = PasswordHash.of("a dashboard password".toCharArray(), "0123456789abcdef".getBytes(), 100_000);
        DashboardAuth both = new DashboardAuth("admin-token-0123456789", "read-token-0123456789", hash, clock);
        assertThat(both.login("read-token-0123456789", "::1")).isEqualTo(new DashboardAuth.Login.Accepted(DashboardAuth.Role.READ));
        assertThat(both.login("admin-token-0123456789", "::1")).isEqualTo(new DashboardAuth.Login.Accepted(DashboardAuth.Role.ADMIN));
        assertThat(both.login(null, "::1")).isEqualTo(new DashboardAuth.Login.Refused());
    }
}
