package io.pdaltagent.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The UTF-8 check agrees with the JDK's strict decoder, and also refuses NUL. */
class StrictUtf8Test {

    private static boolean jdkAccepts(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b));
        } catch (CharacterCodingException e) {
            return false;
        }
        for (byte x : b) {
            if (x == 0) {
                return false;
            }
        }
        return true;
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "7b7d", "c3a9", "e282ac", "f09f94a5", "f48fbfbf", "efbbbf", "eda080", "edbfbf",
        "c0af", "c1bf", "e08080", "f08080", "f4908080", "f5", "ff", "80", "bf", "c3", "e282", "f09f94", "00", "7b00",
        "c3a9c3", "e2ac82"})
    void agreesWithTheJdkOnEdgeCases(String hex) {
        byte[] b = HexFormat.of().parseHex(hex);
        assertThat(Json.isStrictUtf8(b, 0, b.length)).as(hex).isEqualTo(jdkAccepts(b));
    }

    @Test
    void agreesWithTheJdkOnRandomBytes() {
        Random random = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            byte[] b = new byte[1 + random.nextInt(6)];
            random.nextBytes(b);
            if (random.nextBoolean()) {
                b[0] = (byte) (0xC0 | random.nextInt(0x40)); // bias towards multi-byte leads
            }
            assertThat(Json.isStrictUtf8(b, 0, b.length)).as(HexFormat.of().formatHex(b)).isEqualTo(jdkAccepts(b));
        }
    }

    @Test
    void acceptsEveryValidCodePoint() {
        StringBuilder all = new StringBuilder();
        for (int cp = 1; cp <= Character.MAX_CODE_POINT; cp++) {
            if (cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE) {
                all.appendCodePoint(cp);
            }
        }
        byte[] b = all.toString().getBytes(StandardCharsets.UTF_8);
        assertThat(Json.isStrictUtf8(b, 0, b.length)).isTrue();
    }
}
