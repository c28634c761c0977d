package io.pdaltagent.cli;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON reader and writer for the command-line tools, which must start fast and
 * depend on nothing but {@code java.base}: no reflection, no data binding, a few hundred lines.
 *
 * <p>Values are plain Java objects: objects are {@code Map<String, Object>} (a
 * {@link LinkedHashMap}, keys in document order; a repeated key keeps its first place and its last
 * value, as most parsers do), arrays are {@code List<Object>}, strings {@link String}, numbers
 * {@link Long} when integral and in range, else {@link BigInteger} or {@link BigDecimal} (so no
 * digit is lost when a document is read and written again), {@link Boolean}, and JSON {@code null}
 * is Java {@code null}.
 *
 * <p>The reader accepts exactly RFC 8259 (one value, white space around it, nothing else), nested
 * at most {@value #MAX_DEPTH} deep; anything else is an {@link IllegalArgumentException} whose
 * message names the problem and its offset. The writer emits compact JSON with non-ASCII text as
 * is (the output is meant to be UTF-8) and control characters escaped.
 *
 * <pre>{@code
 * Map<String, Object> event = Json.object();
 * event.put("routing_key", key);
 * String body = Json.write(event);
 * Map<String, Object> answer = Json.parseObject(responseText);
 * }</pre>
 */
public final class Json {
    /** Deepest nesting read; the agent reads at most 100 levels too. */
    public static final int MAX_DEPTH = 100;

    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** A new, empty, ordered JSON object. */
    public static Map<String, Object> object() {
        return new LinkedHashMap<>();
    }

    // ------------------------------------------------------------------ writing

    /** Writes a value tree as compact JSON. */
    public static String write(Object value) {
        StringBuilder b = new StringBuilder(256);
        write(b, value, 0);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("value nested deeper than " + MAX_DEPTH + " levels");
        }
        if (v == null) {
            b.append("null");
        } else if (v instanceof String s) {
            quote(b, s);
        } else if (v instanceof Boolean bool) {
            b.append(bool.booleanValue() ? "true" : "false");
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String k)) {
                    throw new IllegalArgumentException("object key is not a string: " + e.getKey());
                }
                if (!first) {
                    b.append(',');
                }
                first = false;
                quote(b, k);
                b.append(':');
                write(b, e.getValue(), depth + 1);
            }
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    b.append(',');
                }
                write(b, l.get(i), depth + 1);
            }
            b.append(']');
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger) {
            b.append(v.toString());
        } else if (v instanceof BigDecimal d) {
            b.append(d.toString());
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("JSON has no " + d);
            }
            b.append(v.toString());
        } else {
            throw new IllegalArgumentException("cannot write a " + v.getClass().getName() + " as JSON");
        }
    }

    /** Appends {@code s} as a JSON string literal. */
    public static void quote(StringBuilder b, String s) {
        b.append('"');
        int start = 0;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            String esc;
            switch (c) {
                case '"' -> esc = "\\\"";
                case '\\' -> esc = "\\\\";
                case '\n' -> esc = "\\n";
                case '\r' -> esc = "\\r";
                case '\t' -> esc = "\\t";
                case '\b' -> esc = "\\b";
                case '\f' -> esc = "\\f";
                default -> esc = c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' ? "" : null;
            }
            if (esc == null) {
                continue;
            }
            b.append(s, start, i);
            if (esc.isEmpty()) {
                b.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf]).append(HEX[c >> 4 & 0xf])
                        .append(HEX[c & 0xf]);
            } else {
                b.append(esc);
            }
            start = i + 1;
        }
        b.append(s, start, n);
        b.append('"');
    }

    // ------------------------------------------------------------------ reading

    /** Reads one JSON value. */
    public static Object parse(String text) {
        Json p = new Json(text);
        if (text.startsWith("\uFEFF")) {
            p.pos = 1; // a byte order mark, as some editors write it
        }
        p.skipWhitespace();
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw p.error("unexpected text after the JSON value");
        }
        return v;
    }

    /** Reads one JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("expected a JSON object, found " + typeName(v));
        }
        return (Map<String, Object>) v;
    }

    /** The JSON type name of a value read by {@link #parse}: object, array, string, number, boolean, null. */
    public static String typeName(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Map) {
            return "object";
        }
        if (v instanceof List) {
            return "array";
        }
        if (v instanceof String) {
            return "string";
        }
        if (v instanceof Boolean) {
            return "boolean";
        }
        return "number";
    }

    private Object value(int depth) {
        if (pos >= text.length()) {
            throw error("unexpected end of the text");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected character " + describe(c));
        }
    }

    private Map<String, Object> object(int depth) {
        checkDepth(depth);
        pos++; // {
        Map<String, Object> m = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return m;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string as object key");
            }
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            m.put(key, value(depth));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') {
                return m;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}' in an object");
            }
        }
    }

    private List<Object> array(int depth) {
        checkDepth(depth);
        pos++; // [
        List<Object> l = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return l;
        }
        while (true) {
            skipWhitespace();
            l.add(value(depth));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                return l;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']' in an array");
            }
        }
    }

    private String string() {
        pos++; // opening quote
        StringBuilder b = null;
        int start = pos;
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                String s = b == null ? text.substring(start, pos) : b.append(text, start, pos).toString();
                pos++;
                return s;
            }
            if (c < 0x20) {
                throw error("control character " + describe(c) + " in a string (it must be escaped)");
            }
            if (c != '\\') {
                pos++;
                continue;
            }
            if (b == null) {
                b = new StringBuilder();
            }
            b.append(text, start, pos);
            pos++;
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"' -> b.append('"');
                case '\\' -> b.append('\\');
                case '/' -> b.append('/');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> b.append(hex4());
                default -> {
                    pos--;
                    throw error("bad escape \\" + describe(e));
                }
            }
            start = pos;
        }
    }

    private char hex4() {
        if (pos + 4 > text.length()) {
            throw error("bad \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) {
                throw error("bad \\u escape");
            }
            v = v << 4 | d;
        }
        pos += 4;
        return (char) v;
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            digits();
        } else {
            throw error("bad number");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("bad number: digits expected after '.'");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("bad number: digits expected in the exponent");
            }
            digits();
        }
        String s = text.substring(start, pos);
        if (s.length() > 1000) {
            throw error("number longer than 1000 characters");
        }
        if (!integral) {
            return new BigDecimal(s);
        }
        if (s.length() < 19) {
            return Long.valueOf(Long.parseLong(s));
        }
        BigInteger big = new BigInteger(s);
        if (big.compareTo(LONG_MIN) >= 0 && big.compareTo(LONG_MAX) <= 0) {
            return Long.valueOf(big.longValue());
        }
        return big;
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void literal(String word) {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected word (expected " + word + ")");
        }
        pos += word.length();
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    /** The character at the position, or NUL at the end (never valid where a token is expected). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private void checkDepth(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH + " levels");
        }
    }

    private static String describe(char c) {
        if (c >= 0x20 && c < 0x7f) {
            return "'" + c + "'";
        }
        return "U+" + HEX[c >> 12 & 0xf] + HEX[c >> 8 & 0xf] + HEX[c >> 4 & 0xf] + HEX[c & 0xf];
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("JSON parse error at offset " + pos + ": " + what);
    }
}
