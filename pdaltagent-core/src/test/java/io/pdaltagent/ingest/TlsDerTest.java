package io.pdaltagent.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.time.Instant;
import java.util.HexFormat;

class TlsDerTest {
    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 127, 128, 255, 256, 65_535, 65_536, 1_000_000})
    void encodesEveryLengthSoThatItReadsBack(int length) {
        byte[] encoded = TlsDer.octetString(new byte[length]);

        TlsDer.Element element = new TlsDer.Reader(encoded).next();

        assertThat(element.tag()).isEqualTo(TlsDer.OCTET_STRING);
        assertThat(element.value()).hasSize(length);
        assertThat(element.encoded()).isEqualTo(encoded);
        int header = length < 128 ? 2 : length < 256 ? 3 : length < 65_536 ? 4 : 5;
        assertThat(encoded).hasSize(header + length);
    }

    @Test
    void encodesIntegersInMinimalTwosComplement() {
        assertThat(HEX.formatHex(TlsDer.integer(0))).isEqualTo("020100");
        assertThat(HEX.formatHex(TlsDer.integer(127))).isEqualTo("02017f");
        assertThat(HEX.formatHex(TlsDer.integer(128))).isEqualTo("02020080");
        assertThat(HEX.formatHex(TlsDer.integer(BigInteger.valueOf(-1)))).isEqualTo("0201ff");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.2.840.113549.1.1.11", "2.5.29.17", "1.3.101.112", "2.999.3", "1.2.840.10045.3.1.7",
        "0.9.2342.19200300.100.1.1"})
    void writesAndReadsObjectIdentifiers(String oid) {
        byte[] encoded = TlsDer.oid(oid);

        assertThat(TlsDer.oidToString(new TlsDer.Reader(encoded).next(TlsDer.OID, "oid").value())).isEqualTo(oid);
    }

    @Test
    void writesObjectIdentifiersAsX690Says() {
        assertThat(HEX.formatHex(TlsDer.oid("1.2.840.113549.1.1.11"))).isEqualTo("06092a864886f70d01010b");
        assertThat(HEX.formatHex(TlsDer.oid("2.5.29.17"))).isEqualTo("0603551d11");
    }

    @Test
    void writesUtcTimeBefore2050AndGeneralizedTimeFrom2050() {
        assertThat(TlsDer.time(Instant.parse("2049-12-31T23:59:59.900Z")))
                .isEqualTo(TlsDer.tlv(TlsDer.UTC_TIME, "491231235959Z".getBytes()));
        assertThat(TlsDer.time(Instant.parse("2050-01-01T00:00:00Z")))
                .isEqualTo(TlsDer.tlv(TlsDer.GENERALIZED_TIME, "20500101000000Z".getBytes()));
    }

    @Test
    void writesNamedBitsWithTheirUnusedBitCount() {
        assertThat(HEX.formatHex(TlsDer.namedBits(0, 2))).isEqualTo("030205a0"); // digitalSignature, keyEncipherment
        assertThat(HEX.formatHex(TlsDer.namedBits(0))).isEqualTo("03020780");
        assertThat(HEX.formatHex(TlsDer.namedBits(8))).isEqualTo("0303070080");
    }

    @Test
    void readsNestedElementsInOrder() {
        byte[] der = TlsDer.sequence(TlsDer.integer(1), TlsDer.explicit(0, TlsDer.oid("1.2.3")), TlsDer.nullValue());

        TlsDer.Reader fields = new TlsDer.Reader(der).next(TlsDer.SEQUENCE, "seq").children();

        assertThat(fields.next(TlsDer.INTEGER, "int").value()).containsExactly(1);
        assertThat(fields.peekTag()).isEqualTo(0xA0);
        assertThat(TlsDer.oidToString(fields.next().children().next(TlsDer.OID, "oid").value())).isEqualTo("1.2.3");
        assertThat(fields.next(TlsDer.NULL, "null").value()).isEmpty();
        assertThat(fields.hasNext()).isFalse();
        assertThat(fields.peekTag()).isEqualTo(-1);
    }

    @Test
    void rejectsMalformedInput() {
        assertThatThrownBy(() -> new TlsDer.Reader(new byte[] {0x30}).next()).hasMessageContaining("truncated");
        assertThatThrownBy(() -> new TlsDer.Reader(new byte[] {0x30, 0x05, 0x01}).next()).hasMessageContaining("longer");
        assertThatThrownBy(() -> new TlsDer.Reader(new byte[] {0x30, (byte) 0x80, 0, 0}).next()).hasMessageContaining("bad length");
        assertThatThrownBy(() -> new TlsDer.Reader(new byte[] {0x1F, 0x01, 0x00}).next()).hasMessageContaining("multi-byte tag");
        assertThatThrownBy(() -> new TlsDer.Reader(TlsDer.integer(1)).next(TlsDer.SEQUENCE, "a SEQUENCE"))
                .hasMessageContaining("expected a SEQUENCE");
        assertThatThrownBy(() -> TlsDer.oidToString(new byte[] {(byte) 0x86})).hasMessageContaining("malformed OID");
    }
}
