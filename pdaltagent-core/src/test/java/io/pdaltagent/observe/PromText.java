package io.pdaltagent.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict little parser of the Prometheus text format 0.0.4, for tests: it fails on anything the
 * agent should never write (a sample without HELP and TYPE, families interleaved, a duplicate
 * series, histogram buckets that are not cumulative or do not end with +Inf equal to the count).
 */
public final class PromText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    public record Sample(String name, Map<String, String> labels, double value) {
    }

    public static final class Family {
        public final String name;
        public String help;
        public String type;
        public final List<Sample> samples = new ArrayList<>();

        Family(String name) {
            this.name = name;
        }

        /** The value of the sample with exactly these labels (name, value, ...) and this name. */
        public double value(String sampleName, String... labels) {
            Map<String, String> want = new TreeMap<>();
            for (int i = 0; i < labels.length; i += 2) {
                want.put(labels[i], labels[i + 1]);
            }
            return samples.stream()
                    .filter(s -> s.name.equals(sampleName) && new TreeMap<>(s.labels).equals(want))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no sample " + sampleName + want + " in " + samples))
                    .value;
        }
    }

    private PromText() {
    }

    /** The families in the order written. */
    public static Map<String, Family> parse(String text) {
        assertThat(text).endsWith("\n");
        Map<String, Family> families = new LinkedHashMap<>();
        Set<String> series = new HashSet<>();
        Family current = null;
        for (String line : text.split("\n", -1)) {
            if (line.isEmpty()) {
                continue; // the one after the final line feed
            }
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                String rest = line.substring(7);
                int sp = rest.indexOf(' ');
                assertThat(sp).as("HELP/TYPE line %s", line).isPositive();
                String name = rest.substring(0, sp);
                assertThat(name).matches(NAME);
                Family f = families.get(name);
                if (f == null) {
                    assertThat(current == null || !current.samples.isEmpty() || current.type != null)
                            .as("family %s declared while %s is incomplete", name, current == null ? "" : current.name)
                            .isTrue();
                    f = new Family(name);
                    families.put(name, f);
                } else {
                    assertThat(f).as("family %s declared again after another family", name).isSameAs(current);
                    assertThat(f.samples).as("HELP/TYPE of %s after its samples", name).isEmpty();
                }
                current = f;
                String arg = rest.substring(sp + 1);
                if (line.startsWith("# HELP ")) {
                    assertThat(f.help).as("second HELP for %s", name).isNull();
                    assertThat(arg).doesNotContain("\n");
                    f.help = arg;
                } else {
                    assertThat(f.type).as("second TYPE for %s", name).isNull();
                    assertThat(TYPES).contains(arg);
                    f.type = arg;
                }
                continue;
            }
            assertThat(line).as("comment lines other than HELP/TYPE").doesNotStartWith("#");
            Sample s = sample(line);
            assertThat(current).as("sample before any family: %s", line).isNotNull();
            assertThat(current.help).as("HELP of %s", current.name).isNotNull();
            assertThat(current.type).as("TYPE of %s", current.name).isNotNull();
            assertThat(belongsTo(s.name, current))
                    .as("sample %s belongs to the family just declared, %s", s.name, current.name).isTrue();
            assertThat(series.add(s.name + new TreeMap<>(s.labels))).as("duplicate series %s", line).isTrue();
            current.samples.add(s);
        }
        for (Family f : families.values()) {
            assertThat(f.help).as("HELP of %s", f.name).isNotNull();
            assertThat(f.type).as("TYPE of %s", f.name).isNotNull();
            if (f.type.equals("counter")) {
                assertThat(f.name).endsWith("_total");
                f.samples.forEach(s -> assertThat(s.value).as("counter %s", s).isGreaterThanOrEqualTo(0));
            }
            if (f.type.equals("histogram")) {
                checkHistogram(f);
            }
        }
        return families;
    }

    private static boolean belongsTo(String sampleName, Family f) {
        if (f.type.equals("histogram")) {
            return sampleName.equals(f.name + "_bucket") || sampleName.equals(f.name + "_sum")
                    || sampleName.equals(f.name + "_count");
        }
        return sampleName.equals(f.name);
    }

    private static void checkHistogram(Family f) {
        Map<Map<String, String>, List<Sample>> buckets = new LinkedHashMap<>();
        Map<Map<String, String>, Double> counts = new LinkedHashMap<>();
        Set<Map<String, String>> sums = new HashSet<>();
        for (Sample s : f.samples) {
            Map<String, String> rest = new TreeMap<>(s.labels);
            if (s.name.endsWith("_bucket")) {
                assertThat(rest).as("bucket %s has le", s).containsKey("le");
                rest.remove("le");
                buckets.computeIfAbsent(rest, k -> new ArrayList<>()).add(s);
            } else if (s.name.endsWith("_count")) {
                counts.put(rest, s.value);
            } else {
                sums.add(rest);
            }
        }
        assertThat(buckets).as("buckets of %s", f.name).isNotEmpty();
        buckets.forEach((labels, bs) -> {
            double prevLe = Double.NEGATIVE_INFINITY;
            double prevCount = 0;
            for (Sample b : bs) {
                double le = number(b.labels.get("le"));
                assertThat(le).as("le ascending in %s", f.name).isGreaterThan(prevLe);
                assertThat(b.value).as("cumulative buckets in %s", f.name).isGreaterThanOrEqualTo(prevCount);
                prevLe = le;
                prevCount = b.value;
            }
            Sample last = bs.get(bs.size() - 1);
            assertThat(last.labels.get("le")).as("last bucket of %s", f.name).isEqualTo("+Inf");
            assertThat(counts).as("_count of %s", f.name).containsKey(labels);
            assertThat(counts.get(labels)).as("+Inf bucket equals _count in %s", f.name).isEqualTo(last.value);
            assertThat(sums).as("_sum of %s", f.name).contains(labels);
        });
    }

    private static Sample sample(String line) {
        Matcher m = NAME.matcher(line);
        if (!m.lookingAt()) {
            fail("no metric name at the start of %s", line);
        }
        String name = m.group();
        int i = m.end();
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                Matcher ln = LABEL_NAME.matcher(line).region(i, line.length());
                if (!ln.lookingAt()) {
                    fail("bad label name at %d in %s", i, line);
                }
                String label = ln.group();
                i = ln.end();
                assertThat(line.substring(i, i + 2)).as("=\" after label in %s", line).isEqualTo("=\"");
                i += 2;
                StringBuilder v = new StringBuilder();
                while (true) {
                    char c = line.charAt(i++);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        char e = line.charAt(i++);
                        switch (e) {
                            case '\\' -> v.append('\\');
                            case '"' -> v.append('"');
                            case 'n' -> v.append('\n');
                            default -> fail("bad escape \\%s in %s", e, line);
                        }
                    } else {
                        v.append(c);
                    }
                }
                assertThat(labels.put(label, v.toString())).as("duplicate label in %s", line).isNull();
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
        }
        assertThat(line.charAt(i)).as("space before value in %s", line).isEqualTo(' ');
        String value = line.substring(i + 1);
        assertThat(value).as("value of %s (no timestamp written)", line).doesNotContain(" ");
        return new Sample(name, labels, number(value));
    }

    private static double number(String s) {
        return switch (s) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(s);
        };
    }
}
