package io.pdaltagent.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.dashboard.PasswordHash;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** pdagentd hash-password with the password on standard input (no terminal). */
class HashPasswordCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String stdin, String... args) {
        HashPasswordCommand c = new HashPasswordCommand(() -> null,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), new SecureRandom());
        return c.run(List.of(args), Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void printsAHashOfTheFirstLineOfStandardInput() {
        assertThat(run("a dashboard password\r\nignored\n")).isZero();

        String hash = out.toString(StandardCharsets.UTF_8).strip();
        assertThat(hash).startsWith("$pbkdf2-sha256$i=" + PasswordHash.ITERATIONS + "$").doesNotContain("dashboard");
        assertThat(PasswordHash.parse(hash).matches("a dashboard password".toCharArray())).isTrue();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void refusesAPasswordOnTheCommandLine() {
        assertThat(run("", "a dashboard password")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("takes no arguments").contains("ps");
        assertThat(out.size()).isZero();
    }

    @Test
    void refusesAShortOrMissingPassword() {
        assertThat(run("short\n")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("at least " + PasswordHash.MIN_PASSWORD_CHARS);
        err.reset();
        assertThat(run("")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no password");
        assertThat(out.size()).isZero();
    }
}
