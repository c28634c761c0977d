package io.pdaltagent.transform;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The scrubber against its labelled sample set ({@code pii/samples.tsv}): the precision/recall table
 * per category (printed, and published in the README), minimum figures asserted, and the placement
 * rules (values only, at any depth; never keys, routing or dedup keys).
 */
class PiiScrubberTest {
    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    /** Floors the table must keep; a change to a pattern that lowers one fails here. */
    private static final double MIN_PRECISION = 0.95;
    private static final double MIN_RECALL = 0.9;

    record Sample(String input, String expected) {
    }

    static List<Sample> samples() throws IOException {
        List<Sample> out = new ArrayList<>();
        try (InputStream in = PiiScrubberTest.class.getResourceAsStream("/pii/samples.tsv")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\t", -1);
                if (parts.length != 2) {
                    throw new IllegalStateException("sample line without exactly one tab: " + line);
                }
                out.add(new Sample(parts[0], parts[1].equals("=") ? parts[0] : parts[1]));
            }
        }
        return out;
    }

    /** Per category: true positives, false positives, false negatives over the sample set. */
    static Map<PiiCategory, int[]> score(PiiScrubber scrubber, List<Sample> samples, List<String> mismatches) {
        Map<PiiCategory, int[]> counts = new EnumMap<>(PiiCategory.class);
        for (PiiCategory c : PiiCategory.values()) {
            counts.put(c, new int[3]);
        }
        for (Sample s : samples) {
            String got = scrubber.scrub(s.input());
            if (!got.equals(s.expected())) {
                mismatches.add("in:  " + s.input() + "\n     want: " + s.expected() + "\n     got:  " + got);
            }
            for (PiiCategory c : PiiCategory.values()) {
                int want = occurrences(s.expected(), c.placeholder);
                int have = occurrences(got, c.placeholder);
                int[] k = counts.get(c);
                k[0] += Math.min(want, have);
                k[1] += Math.max(0, have - want);
                k[2] += Math.max(0, want - have);
            }
        }
        return counts;
    }

    static String table(Map<PiiCategory, int[]> counts) {
        StringBuilder b = new StringBuilder("| category | placeholder | found | false positives | missed | precision | recall |\n"
                + "| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (Map.Entry<PiiCategory, int[]> e : counts.entrySet()) {
            int[] k = e.getValue();
            b.append(String.format("| %s | `%s` | %d | %d | %d | %.2f | %.2f |%n", e.getKey().configName,
                    e.getKey().placeholder, k[0], k[1], k[2], precision(k), recall(k)));
        }
        return b.toString();
    }

    static double precision(int[] k) {
        return k[0] + k[1] == 0 ? 1.0 : (double) k[0] / (k[0] + k[1]);
    }

    static double recall(int[] k) {
        return k[0] + k[2] == 0 ? 1.0 : (double) k[0] / (k[0] + k[2]);
    }

    private static int occurrences(String s, String token) {
        int n = 0;
        for (int i = s.indexOf(token); i >= 0; i = s.indexOf(token, i + token.length())) {
            n++;
        }
        return n;
    }

    @Test
    void keepsPrecisionAndRecallOnTheLabelledSampleSetInEveryCategory() throws IOException {
        PiiScrubber scrubber = new PiiScrubber(EnumSet.allOf(PiiCategory.class));
        List<String> mismatches = new ArrayList<>();
        Map<PiiCategory, int[]> counts = score(scrubber, samples(), mismatches);
        System.out.println("PII scrubber on " + samples().size() + " labelled samples:\n" + table(counts));
        mismatches.forEach(m -> System.out.println("mismatch " + m));
        for (Map.Entry<PiiCategory, int[]> e : counts.entrySet()) {
            assertThat(e.getValue()[0]).as("samples of %s", e.getKey()).isGreaterThanOrEqualTo(4);
            assertThat(precision(e.getValue())).as("precision of %s", e.getKey()).isGreaterThanOrEqualTo(MIN_PRECISION);
            assertThat(recall(e.getValue())).as("recall of %s", e.getKey()).isGreaterThanOrEqualTo(MIN_RECALL);
        }
    }

    @Test
    void leavesMonitoringTextWithoutPersonalDataUnchanged() throws IOException {
        PiiScrubber scrubber = new PiiScrubber(EnumSet.allOf(PiiCategory.class));
        for (Sample s : samples()) {
            if (s.input().equals(s.expected())) {
                assertThat(scrubber.scrub(s.input())).as("negative sample").isEqualTo(s.input());
            }
        }
    }

    @Test
    void scrubsOnlyTheChosenCategories() {
        PiiScrubber emailOnly = new PiiScrubber(EnumSet.of(PiiCategory.EMAIL));
        assertThat(emailOnly.scrub("a@example.com from 10.0.0.1"))
                .isEqualTo("{{EMAIL_ADDRESS}} from 10.0.0.1");
    }

    @Test
    void scrubsStringValuesAtAnyDepthButNeverKeysNorRoutingOrDedupKeys() throws IOException {
        ObjectNode event = (ObjectNode) MAPPER.readTree("""
                {"routing_key":"jane@example.com0000000000000000","dedup_key":"user jane@example.com",
                 "event_action":"trigger",
                 "payload":{"summary":"login by jane@example.com","source":"10.1.2.3","severity":"error",
                   "custom_details":{"jane@example.com":"ok","list":["x 192.168.0.1",{"deep":["+1 415-555-0132"]}],
                   "n":4111111111111111}}}""");
        TransformEvent te = new TransformEvent(event, TransformEvent.Kind.V2, "k");
        new PiiScrubber(EnumSet.allOf(PiiCategory.class)).apply(te);
        assertThat(te.changed()).isTrue();
        assertThat(event.get("routing_key").textValue()).isEqualTo("jane@example.com0000000000000000");
        assertThat(event.get("dedup_key").textValue()).isEqualTo("user jane@example.com");
        assertThat(event.at("/payload/summary").textValue()).isEqualTo("login by {{EMAIL_ADDRESS}}");
        assertThat(event.at("/payload/source").textValue()).isEqualTo("{{IP_ADDRESS}}");
        assertThat(event.at("/payload/custom_details").has("jane@example.com")).isTrue();
        assertThat(event.at("/payload/custom_details/list/0").textValue()).isEqualTo("x {{IP_ADDRESS}}");
        assertThat(event.at("/payload/custom_details/list/1/deep/0").textValue()).isEqualTo("{{PHONE}}");
        assertThat(event.at("/payload/custom_details/n").isNumber()).as("numbers are no strings: kept").isTrue();
    }

    @Test
    void reportsNoChangeForAnEventWithoutPersonalData() throws IOException {
        ObjectNode event = (ObjectNode) MAPPER.readTree("""
                {"payload":{"summary":"disk 95% full on db01 at 2024-05-01T10:00:00Z","source":"db01"}}""");
        TransformEvent te = new TransformEvent(event, TransformEvent.Kind.V2, "k");
        new PiiScrubber(EnumSet.allOf(PiiCategory.class)).apply(te);
        assertThat(te.changed()).isFalse();
    }

    /**
     * The scrubber's shape tests ({@link PiiShapes}) only skip positions where no pattern could
     * match: on the samples and on generated mixes of PII, monitoring text and stray separators,
     * the result equals that of trying every pattern at every token start.
     */
    @Test
    void theShapeTestsChangeNothingAgainstTryingEveryTokenStart() throws IOException {
        String[] fragments = {"+1 415-555-0132", "(415) 555-0199", "415.555.0123", "+44 20 7946 0958", "020 7946 0958",
            "06 12 34 56 78", "1-800-555-0199", "4111 1111 1111 1111", "378282246310005", "5555-5555-5555-4444",
            "123-45-6789", "666-12-3456", "192.168.0.1", "300.1.1.1", "010.1.1.1", "1.2.3.4.5", "221B Baker Street",
            "1600 Pennsylvania Avenue NW", "350 5th Ave", "12 N Main St, Apt 4", "2024-05-01T10:00:00Z",
            "2024-04-30 23:59:59", "00:05:30", "123e4567-e89b-12d3-a456-426614174000", "455 GB", "1234 ms",
            "order 1234567890123456", "+49 (0) 151 23456789", "Ünïcödé", "x@y.de", "PO Box 12"};
        String chars = "0123456789     .-:/_@+()#,AZSaex\u00e9";
        List<String> inputs = new ArrayList<>();
        samples().forEach(s -> inputs.add(s.input()));
        java.util.Random rnd = new java.util.Random(20261203L);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder b = new StringBuilder();
            for (int p = 1 + rnd.nextInt(5); p > 0; p--) {
                switch (rnd.nextInt(3)) {
                    case 0 -> b.append(fragments[rnd.nextInt(fragments.length)]);
                    case 1 -> b.append(inputs.get(rnd.nextInt(Math.min(inputs.size(), 120))));
                    default -> {
                        for (int k = rnd.nextInt(6); k > 0; k--) {
                            b.append(chars.charAt(rnd.nextInt(chars.length())));
                        }
                    }
                }
            }
            if (b.length() > 0 && rnd.nextBoolean()) {
                b.setCharAt(rnd.nextInt(b.length()), chars.charAt(rnd.nextInt(chars.length())));
            }
            inputs.add(b.toString());
        }
        PiiText fast = new PiiText(EnumSet.allOf(PiiCategory.class));
        PiiText everywhere = new PiiText(EnumSet.allOf(PiiCategory.class), false);
        int changed = 0;
        for (String in : inputs) {
            String want = everywhere.scrub(in);
            assertThat(fast.scrub(in)).as("scrub of [%s]", in).isEqualTo(want);
            changed += want.equals(in) ? 0 : 1;
        }
        assertThat(changed).as("inputs with something replaced").isGreaterThan(inputs.size() / 3);
    }
}
