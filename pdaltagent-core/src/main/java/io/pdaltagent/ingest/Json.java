package io.pdaltagent.ingest;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reads request bodies as JSON objects, strictly and cheaply: the body must be UTF-8 (no BOM other
 * than a leading one, no NUL, no overlong forms or surrogates), a single JSON object with nothing
 * but white space after it, within the nesting and number limits below. Thread-safe: the mapper is
 * shared and immutable.
 */
final class Json {
    /**
     * Deepest nesting accepted. Real events nest a few levels (custom_details of Alertmanager,
     * CloudWatch alarms in SNS envelopes); a 512 KB body could otherwise nest 250 000 deep and make
     * the re-serialisation of an event recurse that deep.
     */
    static final int MAX_NESTING_DEPTH = 100;

    /** Longest number literal accepted (Jackson's default); longer ones are hostile, not data. */
    static final int MAX_NUMBER_LENGTH = 1000;

    /**
     * The one mapper of the package. Floats are read as exact decimals (and trailing zeros kept) so
     * that an event re-serialised after a key was added carries the same numbers the client sent.
     */
    static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_NESTING_DEPTH)
                            .maxNumberLength(MAX_NUMBER_LENGTH)
                            .build())
                    .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    static final String PARSE_ERROR = "JSON parse error";

    private static final int BOM_LENGTH = 3;

    private Json() {
    }

    /** The outcome of reading a body: a JSON object, or the reason it is none. */
    sealed interface Parsed {
    }

    /**
     * @param offset where the JSON starts in the body: 3 after a UTF-8 byte order mark, else 0
     */
    record ParsedObject(ObjectNode object, int offset) implements Parsed {
    }

    /**
     * @param error the client-facing error
     * @param logDetail where parsing stopped, for a DEBUG log; never any of the body's content
     */
    record NotAnObject(String error, String logDetail) implements Parsed {
    }

    /** Reads {@code body} as one JSON object. */
    static Parsed parseObject(byte[] body) {
        if (body.length == 0) {
            return new NotAnObject("Request body is empty", "empty body");
        }
        int offset = hasUtf8Bom(body) ? BOM_LENGTH : 0;
        if (!isStrictUtf8(body, offset, body.length)) {
            return new NotAnObject("Request body is not valid UTF-8", "invalid UTF-8");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(body, offset, body.length - offset);
        } catch (StreamConstraintsException e) {
            return new NotAnObject(PARSE_ERROR + " (nesting, number or name over the parser limits)", "constraint: " + where(e));
        } catch (JacksonException e) {
            return new NotAnObject(PARSE_ERROR, e.getClass().getSimpleName() + " " + where(e));
        } catch (NumberFormatException e) {
            // a short literal whose exponent overflows an int (1e9999999999): Jackson's BigDecimal parser
            // throws this unwrapped; it is as far over the limits as a 5,000-digit number
            return new NotAnObject(PARSE_ERROR + " (nesting, number or name over the parser limits)", "number out of range");
        } catch (java.io.IOException e) {
            return new NotAnObject(PARSE_ERROR, e.getClass().getSimpleName());
        }
        if (node == null || node.isMissingNode()) {
            return new NotAnObject("Request body is empty", "blank body");
        }
        if (!node.isObject()) {
            return new NotAnObject("Event must be a JSON object, not " + kind(node), "top-level " + kind(node));
        }
        return new ParsedObject((ObjectNode) node, offset);
    }

    /** A JSON type name for messages: object, array, string, number, boolean, null. */
    static String kind(JsonNode n) {
        if (n == null || n.isNull()) {
            return "null";
        }
        return switch (n.getNodeType()) {
            case OBJECT, POJO -> "object";
            case ARRAY -> "array";
            case STRING, BINARY -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            default -> "null";
        };
    }

    static boolean hasUtf8Bom(byte[] b) {
        return b.length >= BOM_LENGTH && (b[0] & 0xFF) == 0xEF && (b[1] & 0xFF) == 0xBB && (b[2] & 0xFF) == 0xBF;
    }

    /**
     * True when {@code b[from, to)} is well-formed UTF-8 (RFC 3629: no overlong forms, no
     * surrogates, nothing above U+10FFFF) and holds no NUL byte. NUL is never part of a JSON text
     * in UTF-8, and refusing it keeps Jackson from guessing UTF-16 or UTF-32 for such a body.
     */
    static boolean isStrictUtf8(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                if (c == 0) {
                    return false;
                }
                i++;
            } else if (c < 0xC2) {
                return false; // a continuation byte, or an overlong two-byte lead
            } else if (c < 0xE0) {
                if (!continuation(b, i + 1, to, 0x80, 0xBF)) {
                    return false;
                }
                i += 2;
            } else if (c < 0xF0) {
                int lo = c == 0xE0 ? 0xA0 : 0x80; // E0 80..9F would be overlong
                int hi = c == 0xED ? 0x9F : 0xBF; // ED A0..BF would be a surrogate
                if (!continuation(b, i + 1, to, lo, hi) || !continuation(b, i + 2, to, 0x80, 0xBF)) {
                    return false;
                }
                i += 3;
            } else if (c < 0xF5) {
                int lo = c == 0xF0 ? 0x90 : 0x80; // F0 80..8F would be overlong
                int hi = c == 0xF4 ? 0x8F : 0xBF; // F4 90.. would be above U+10FFFF
                if (!continuation(b, i + 1, to, lo, hi) || !continuation(b, i + 2, to, 0x80, 0xBF)
                        || !continuation(b, i + 3, to, 0x80, 0xBF)) {
                    return false;
                }
                i += 4;
            } else {
                return false;
            }
        }
        return true;
    }

    private static boolean continuation(byte[] b, int i, int to, int lo, int hi) {
        if (i >= to) {
            return false;
        }
        int c = b[i] & 0xFF;
        return c >= lo && c <= hi;
    }

    private static String where(JacksonException e) {
        JsonLocation l = e.getLocation();
        return l == null ? "at unknown position" : "at line " + l.getLineNr() + ", column " + l.getColumnNr();
    }
}
