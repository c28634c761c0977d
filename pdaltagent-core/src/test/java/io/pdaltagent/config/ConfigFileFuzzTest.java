package io.pdaltagent.config;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing of the configuration file loader: a file of any content either loads or
 * stops the agent with a {@link ConfigException} whose message names the file (or the setting);
 * nothing else escapes, which would be a stack trace instead of a reason at start. Corpus:
 * {@code src/test/resources/io/pdaltagent/config/ConfigFileFuzzTestInputs/<target>/}.
 *
 * <p>The settings that resolve host names (bind and source addresses) are fixed by the environment,
 * which wins over the file, so that no fuzzed value makes a DNS query.
 */
class ConfigFileFuzzTest {
    private static final Map<String, String> FIXED_ENV = Map.of(
            "PDAGENTD_BIND_ADDRESS", "127.0.0.1",
            "PDAGENTD_ADMIN_BIND_ADDRESS", "127.0.0.1",
            "PDAGENTD_SOURCE_ADDRESS", "0.0.0.0");
    private static Path dir;
    private static Path file;
    /** Every key the agent reads, as a fuzzer's vocabulary for the structured target. */
    private static List<String> keys;

    @BeforeAll
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("config-fuzz");
        file = dir.resolve("pdaltagent.yaml");
        ConfigSources all = ConfigSources.fromEnv(Map.of());
        EnvConfig.load(all);
        keys = List.copyOf(all.effective().keySet());
    }

    @AfterAll
    static void removeDir() throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    /** The file's raw bytes. */
    @FuzzTest
    void configFile(byte[] content) {
        load(content);
    }

    /** KEY: value lines with the agent's own keys and fuzzed values, to reach each setting's checks. */
    @FuzzTest
    void settings(FuzzedDataProvider data) {
        StringBuilder yaml = new StringBuilder();
        int n = data.consumeInt(1, 6);
        for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
            String key = data.pickValue(keys);
            String value = data.consumeString(200);
            yaml.append(key).append(": ").append(quote(value)).append('\n');
        }
        load(yaml.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void load(byte[] content) {
        try {
            Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> env = new java.util.HashMap<>(FIXED_ENV);
        env.put(ConfigSources.CONFIG_FILE_VARIABLE, file.toString());
        try {
            EnvConfig.load(ConfigSources.load(env, null));
        } catch (ConfigException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("a configuration error without a message", e);
            }
        }
    }

    /** A YAML double-quoted scalar holding exactly {@code s}. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(c -> {
            if (c == '"' || c == '\\') {
                b.append('\\').appendCodePoint(c);
            } else if (c < 0x20 || c == 0x7f || c >= 0xd800 && c <= 0xdfff || c == 0xfeff) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append('"').toString();
    }
}
