package io.pdaltagent.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class PasswordHashTest {
    private static final char[] PASSWORD = "correct horse battery staple".toCharArray();

    @Test
    void aNewHashIsAPhcStringThatMatchesItsPasswordOnly() {
        PasswordHash h = PasswordHash.create(PASSWORD, new SecureRandom());

        assertThat(h.encoded()).matches("\\$pbkdf2-sha256\\$i=600000\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
        PasswordHash read = PasswordHash.parse(h.encoded());
        assertThat(read.matches(PASSWORD)).isTrue();
        assertThat(read.matches("correct horse battery stapl".toCharArray())).isFalse();
        assertThat(read.matches(new char[0])).isFalse();
        assertThat(read.matches(null)).isFalse();
        assertThat(read.toString()).doesNotContain(h.encoded().substring(22));
    }

    @Test
    void twoHashesOfOnePasswordDifferByTheirSalt() {
        SecureRandom random = new SecureRandom();
        assertThat(PasswordHash.create(PASSWORD, random).encoded()).isNotEqualTo(PasswordHash.create(PASSWORD, random).encoded());
    }

    @Test
    void aKnownVectorOfPbkdf2HmacSha256IsReproduced() {
        // RFC 7914 section 11: PBKDF2-HMAC-SHA256 of "passwd" with salt "salt", 1 iteration; checked with the
        // parse-free factory because 1 iteration is (rightly) refused in a configured hash
        PasswordHash h = PasswordHash.of("passwd".toCharArray(), "salt".getBytes(), 1);
        assertThat(h.encoded()).endsWith("$" + Base64.getEncoder().withoutPadding().encodeToString(hex(
                "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")));
    }

    @Test
    void passlibsSpellingIsReadToo() {
        PasswordHash h = PasswordHash.of(PASSWORD, "0123456789abcdef".getBytes(), 100_000);
        String phc = h.encoded();
        String passlib = phc.replace("$i=", "$").replace('+', '.');
        assertThat(PasswordHash.parse(passlib).matches(PASSWORD)).isTrue();
    }

    @Test
    void badHashesAreRefusedWithAReasonThatDoesNotRepeatThem() {
        PasswordHash weak = PasswordHash.of(PASSWORD, "0123456789abcdef".getBytes(), 1000);
        assertThatThrownBy(() -> PasswordHash.parse(weak.encoded())).hasMessageContaining("from 100000");
        assertThatThrownBy(() -> PasswordHash.parse("$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01"))
                .hasMessageContaining("pdagentd hash-password").hasMessageNotContaining("$2b$");
        assertThatThrownBy(() -> PasswordHash.parse(null)).hasMessageContaining("PHC");
        assertThatThrownBy(() -> PasswordHash.parse("$pbkdf2-sha256$i=600000$c2FsdA$"
                + "A".repeat(43))).hasMessageContaining("PHC");
    }

    private static byte[] hex(String s) {
        return java.util.HexFormat.of().parseHex(s);
    }
}
