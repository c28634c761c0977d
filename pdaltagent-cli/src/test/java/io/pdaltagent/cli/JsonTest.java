package io.pdaltagent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesObjectsInInsertionOrderWithEscapes() {
        Map<String, Object> o = Json.object();
        o.put("b", "quote \" backslash \\ newline \n tab \t nul \u0000 del \u007f");
        o.put("a", List.of(1L, true, "é ✓ 😀"));
        o.put("n", null);
        assertThat(Json.write(o)).isEqualTo("{\"b\":\"quote \\\" backslash \\\\ newline \\n tab \\t nul \\u0000 del \\u007f\","
                + "\"a\":[1,true,\"é ✓ 😀\"],\"n\":null}");
    }

    @Test
    void readsWhatItWritesAndKeepsNumbersExact() {
        String text = "{\"s\":\"a\\u00e9\\ud83d\\ude00\\/\",\"i\":-12,\"big\":123456789012345678901234567890,"
                + "\"d\":1.50,\"e\":1e3,\"t\":true,\"f\":false,\"z\":null,\"l\":[{}, []]}";
        Map<String, Object> o = Json.parseObject(text);
        assertThat(o.get("s")).isEqualTo("aé😀/");
        assertThat(o.get("i")).isEqualTo(-12L);
        assertThat(o.get("big")).isEqualTo(new BigInteger("123456789012345678901234567890"));
        assertThat(o.get("d")).isEqualTo(new BigDecimal("1.50"));
        assertThat(o).containsEntry("z", null).containsEntry("t", true).containsEntry("f", false);
        assertThat(Json.write(o)).isEqualTo("{\"s\":\"aé😀/\",\"i\":-12,\"big\":123456789012345678901234567890,"
                + "\"d\":1.50,\"e\":1E+3,\"t\":true,\"f\":false,\"z\":null,\"l\":[{},[]]}");
    }

    @Test
    void rejectsWhatIsNotStrictJson() {
        for (String bad : new String[] {"", "{", "{\"a\":1,}", "[1,]", "{'a':1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}",
            "{\"a\":+1}", "{\"a\":NaN}", "{\"a\":\"\t\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{} {}", "{\"a\" 1}",
            "{a:1}", "tru", "\"unterminated", "{\"a\":[1 2]}"}) {
            assertThatThrownBy(() -> Json.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("JSON parse error at offset ");
        }
    }

    @Test
    void limitsNesting() {
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        assertThatThrownBy(() -> Json.parse(deep)).hasMessageContaining("nested deeper than 100");
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertThat(Json.parse(ok)).isInstanceOf(List.class);
    }

    @Test
    void acceptsALeadingByteOrderMarkAndSurroundingWhiteSpace() {
        assertThat(Json.parseObject("\uFEFF \n{\"a\":1}\r\n\t")).containsEntry("a", 1L);
    }

    @Test
    void parseObjectNamesWhatItFoundInstead() {
        assertThatThrownBy(() -> Json.parseObject("[1]")).hasMessage("expected a JSON object, found array");
    }
}
