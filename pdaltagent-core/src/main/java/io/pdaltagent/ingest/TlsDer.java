package io.pdaltagent.ingest;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;

/**
 * The few ASN.1 DER encodings the TLS code needs: enough to wrap PKCS#1 and SEC1 keys in PKCS#8 and
 * to write a self-signed X.509 certificate, without a third-party library. Only definite lengths and
 * single-byte tags (tag numbers below 31) are supported, which covers every structure used here.
 *
 * <p>Stateless and thread-safe.
 */
final class TlsDer {
    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int UTF8_STRING = 0x0C;
    static final int UTC_TIME = 0x17;
    static final int GENERALIZED_TIME = 0x18;
    static final int SEQUENCE = 0x30;
    static final int SET = 0x31;

    /** UTCTime covers 1950 to 2049; later instants must be GeneralizedTime (RFC 5280, 4.1.2.5). */
    private static final Instant UTC_TIME_END = Instant.parse("2050-01-01T00:00:00Z");
    private static final DateTimeFormatter UTC_TIME_FORMAT =
            DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter GENERALIZED_TIME_FORMAT =
            DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);

    private TlsDer() {
    }

    /** One tag-length-value element whose value is the concatenation of {@code parts}. */
    static byte[] tlv(int tag, byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 6);
        out.write(tag);
        writeLength(out, length);
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static void writeLength(ByteArrayOutputStream out, int length) {
        if (length < 0x80) {
            out.write(length);
            return;
        }
        int bytes = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
        out.write(0x80 | bytes);
        for (int i = bytes - 1; i >= 0; i--) {
            out.write(length >>> (8 * i));
        }
    }

    static byte[] sequence(byte[]... items) {
        return tlv(SEQUENCE, items);
    }

    static byte[] set(byte[]... items) {
        return tlv(SET, items);
    }

    static byte[] integer(BigInteger value) {
        return tlv(INTEGER, value.toByteArray());
    }

    static byte[] integer(long value) {
        return integer(BigInteger.valueOf(value));
    }

    static byte[] nullValue() {
        return new byte[] {NULL, 0};
    }

    static byte[] bool(boolean value) {
        return new byte[] {0x01, 0x01, (byte) (value ? 0xFF : 0x00)};
    }

    static byte[] octetString(byte[] value) {
        return tlv(OCTET_STRING, value);
    }

    /** A BIT STRING of whole bytes (no unused bits). */
    static byte[] bitString(byte[] value) {
        return tlv(BIT_STRING, new byte[] {0}, value);
    }

    /** A BIT STRING holding named bits (KeyUsage): bit 0 is the most significant bit of the first byte. */
    static byte[] namedBits(int... bits) {
        int highest = 0;
        for (int b : bits) {
            highest = Math.max(highest, b);
        }
        byte[] value = new byte[highest / 8 + 1];
        for (int b : bits) {
            value[b / 8] |= (byte) (0x80 >>> (b % 8));
        }
        int unused = 7 - highest % 8;
        return tlv(BIT_STRING, new byte[] {(byte) unused}, value);
    }

    static byte[] utf8String(String value) {
        return tlv(UTF8_STRING, value.getBytes(StandardCharsets.UTF_8));
    }

    /** An X.509 Time: UTCTime before 2050, GeneralizedTime from then on; seconds precision. */
    static byte[] time(Instant instant) {
        Instant t = instant.truncatedTo(ChronoUnit.SECONDS);
        if (t.isBefore(UTC_TIME_END)) {
            return tlv(UTC_TIME, UTC_TIME_FORMAT.format(t).getBytes(StandardCharsets.US_ASCII));
        }
        return tlv(GENERALIZED_TIME, GENERALIZED_TIME_FORMAT.format(t).getBytes(StandardCharsets.US_ASCII));
    }

    /** A context-specific, constructed tag {@code [n]} around already encoded content (EXPLICIT tagging). */
    static byte[] explicit(int n, byte[]... content) {
        return tlv(0xA0 | n, content);
    }

    /** A context-specific, primitive tag {@code [n]} replacing the tag of a primitive value (IMPLICIT tagging). */
    static byte[] implicitPrimitive(int n, byte[] value) {
        return tlv(0x80 | n, value);
    }

    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        if (arcs.length < 2) {
            throw new IllegalArgumentException("an OID has at least two arcs: " + dotted);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeBase128(out, Long.parseLong(arcs[0]) * 40 + Long.parseLong(arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            writeBase128(out, Long.parseLong(arcs[i]));
        }
        return tlv(OID, out.toByteArray());
    }

    private static void writeBase128(ByteArrayOutputStream out, long value) {
        int groups = Math.max(1, (64 - Long.numberOfLeadingZeros(value) + 6) / 7);
        for (int i = groups - 1; i >= 0; i--) {
            int b = (int) ((value >>> (7 * i)) & 0x7F);
            out.write(i == 0 ? b : b | 0x80);
        }
    }

    /** The dotted form of an OID element's value (the bytes after tag and length). */
    static String oidToString(byte[] value) {
        StringBuilder sb = new StringBuilder();
        long arc = 0;
        boolean first = true;
        for (int i = 0; i < value.length; i++) {
            arc = (arc << 7) | (value[i] & 0x7F);
            if ((value[i] & 0x80) != 0) {
                if (i == value.length - 1 || arc > (Long.MAX_VALUE >>> 7)) {
                    throw new IllegalArgumentException("malformed OID");
                }
                continue;
            }
            if (first) {
                long top = Math.min(arc / 40, 2);
                sb.append(top).append('.').append(arc - top * 40);
                first = false;
            } else {
                sb.append('.').append(arc);
            }
            arc = 0;
        }
        if (first) {
            throw new IllegalArgumentException("empty OID");
        }
        return sb.toString();
    }

    /** One decoded element: its tag, its value bytes, and its whole encoding. */
    record Element(int tag, byte[] value, byte[] encoded) {
        Reader children() {
            return new Reader(value);
        }
    }

    /**
     * Reads consecutive elements from a DER buffer. Every malformation (truncation, indefinite or
     * oversized lengths, multi-byte tags) is an {@link IllegalArgumentException}.
     */
    static final class Reader {
        private final byte[] der;
        private int pos;

        Reader(byte[] der) {
            this.der = der;
        }

        boolean hasNext() {
            return pos < der.length;
        }

        /** The tag of the next element, or -1 at the end. */
        int peekTag() {
            return hasNext() ? der[pos] & 0xFF : -1;
        }

        Element next() {
            int start = pos;
            if (der.length - pos < 2) {
                throw new IllegalArgumentException("malformed DER: truncated element");
            }
            int tag = der[pos++] & 0xFF;
            if ((tag & 0x1F) == 0x1F) {
                throw new IllegalArgumentException("malformed DER: multi-byte tag");
            }
            int first = der[pos++] & 0xFF;
            int length;
            if (first < 0x80) {
                length = first;
            } else {
                int bytes = first & 0x7F;
                if (bytes == 0 || bytes > 3 || der.length - pos < bytes) {
                    throw new IllegalArgumentException("malformed DER: bad length");
                }
                length = 0;
                for (int i = 0; i < bytes; i++) {
                    length = (length << 8) | (der[pos++] & 0xFF);
                }
            }
            if (length > der.length - pos) {
                throw new IllegalArgumentException("malformed DER: element longer than its container");
            }
            byte[] value = Arrays.copyOfRange(der, pos, pos + length);
            pos += length;
            return new Element(tag, value, Arrays.copyOfRange(der, start, pos));
        }

        /** The next element, which must have {@code tag}. */
        Element next(int tag, String what) {
            Element e = next();
            if (e.tag() != tag) {
                throw new IllegalArgumentException(
                        "malformed DER: expected " + what + String.format(" (tag 0x%02X) but found tag 0x%02X", tag, e.tag()));
            }
            return e;
        }
    }
}
