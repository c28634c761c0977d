package io.pdaltagent.command;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pdagentd config} and {@code pdagentd check-config}. */
class ConfigCommandsTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    private Run run(Command c, Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = c.run(List.of(args), env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Map<String, String> env(Path file) {
        Map<String, String> env = new HashMap<>();
        env.put("PDAGENTD_CONFIG_FILE", file.toString());
        env.put("PDAGENTD_DATA_DIR", dir.resolve("data").toString());
        return env;
    }

    @Test
    void configShowsEachSettingWithItsSourceAndMasksSecrets() throws Exception {
        Path f = dir.resolve("pdaltagent.yaml");
        Files.writeString(f, "PDAGENTD_HTTP_PORT: 9090\nPDAGENTD_ADMIN_TOKEN: file-token-0123456789\n"
                + "HTTPS_PROXY: http://user:hunter2@proxy.example:3128\n");
        Map<String, String> env = env(f);
        env.put("PDAGENTD_BROKER_URL", "amqp://guest:guestpass@127.0.0.1:5672/");
        Run r = run(new ConfigCommand(), env);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("# configuration file: " + f + "\n")
                .containsPattern("(?m)^PDAGENTD_HTTP_PORT=9090 +# " + java.util.regex.Pattern.quote(f + ":1") + "$")
                .containsPattern("(?m)^PDAGENTD_HTTPS_PORT=8443 +# default$")
                .containsPattern("(?m)^PDAGENTD_DATA_DIR=" + java.util.regex.Pattern.quote(dir.resolve("data").toString()) + " +# environment$")
                .containsPattern("(?m)^PDAGENTD_ADMIN_TOKEN=<masked> +# ")
                .containsPattern("(?m)^HTTPS_PROXY=http://user:\\*\\*\\*\\*@proxy.example:3128 +# ")
                .containsPattern("(?m)^PDAGENTD_BROKER_URL=amqp://guest:\\*\\*\\*\\*@127.0.0.1:5672/ +# environment$")
                .containsPattern("(?m)^PDAGENTD_CA_FILE= +# unset$")
                .doesNotContain("file-token-0123456789", "hunter2", "guestpass");
    }

    @Test
    void checkConfigIsZeroForAUsableConfigurationAndTwoWithTheReason() throws Exception {
        Path f = dir.resolve("pdaltagent.yaml");
        Files.writeString(f, "PDAGENTD_HTTP_PORT: 9090\n");
        Run ok = run(new CheckConfigCommand(), env(f));
        assertThat(ok.code()).isZero();
        assertThat(ok.out()).isEqualTo("pdagentd: configuration OK (configuration file: " + f + ")\n");

        Files.writeString(f, "PDAGENTD_HTTP_PORT: 9090\nPDAGENTD_RETRY_MAX_MILIS: 5\n");
        Run unknown = run(new CheckConfigCommand(), env(f));
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("pdagentd: " + f + ":2: unknown key 'PDAGENTD_RETRY_MAX_MILIS'");

        Files.writeString(f, "HTTPS_PROXY: socks5://proxy:1080\n");
        Run proxy = run(new CheckConfigCommand(), env(f));
        assertThat(proxy.code()).isEqualTo(2);
        assertThat(proxy.err()).as("a bad proxy names the file and line").startsWith("pdagentd: " + f + ":1: HTTPS_PROXY: ");

        Path pem = dir.resolve("ca.pem");
        Files.writeString(pem, "not a certificate\n");
        Files.writeString(f, "PDAGENTD_CA_FILE: " + pem + "\n");
        Run ca = run(new CheckConfigCommand(), env(f));
        assertThat(ca.code()).isEqualTo(2);
        assertThat(ca.err()).startsWith("pdagentd: " + f + ":1: PDAGENTD_CA_FILE: " + pem);

        Run config = run(new ConfigCommand(), env(f));
        assertThat(config.code()).as("config refuses what check-config refuses").isEqualTo(2);
        assertThat(config.err()).isEqualTo(ca.err());

        assertThat(Files.exists(dir.resolve("data"))).as("check-config creates nothing").isFalse();
    }
}
