package io.pdaltagent.transform;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Coverage-guided fuzzing of the rules file loader ({@link RulesFile}) and of rule conditions.
 * Corpus: {@code src/test/resources/io/pdaltagent/transform/RulesFuzzTestInputs/<target>/}.
 *
 * <ul>
 *   <li>{@link #rulesFile}: any bytes load as a rule set or are refused with
 *       {@link RulesFile.InvalidRulesException} listing one-line problems; a rule set that loads runs
 *       on sample events without throwing.</li>
 *   <li>{@link #condition}: any expression compiles or is refused with an
 *       {@link IllegalArgumentException}; one that compiles gives, on every sample event, the same
 *       answer through its direct checks ({@link FastCondition}) as through CEL.</li>
 * </ul>
 */
class RulesFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-06T00:30:00Z");
    private static final List<String> SAMPLES = List.of("""
            {"routing_key":"0123456789abcdef0123456789abcdef","event_action":"trigger","dedup_key":"d",
             "payload":{"summary":"disk full host=db01","source":"db01","severity":"error","component":"disk",
              "custom_details":{"team":"dba","n":3,"ok":true,"list":["a","b"],"nested":{"k":"v"},"nothing":null}}}""",
            """
            {"routing_key":"0123456789abcdef0123456789abcdef","event_action":"resolve","dedup_key":"d"}""",
            """
            {"service_key":"0123456789abcdef0123456789abcdef","event_type":"trigger","description":"v1",
             "details":{"a":1.5,"b":"text"},"payload":null}""",
            """
            {"payload":{"summary":"","source":"test","severity":"info","custom_details":"a string"},"links":[{}]}""");

    @FuzzTest
    void rulesFile(byte[] yaml) {
        RuleSet set;
        try {
            set = RulesFile.parse("rules.yaml", yaml);
        } catch (RulesFile.InvalidRulesException e) {
            if (e.problems.isEmpty() || e.problems.stream().anyMatch(p -> p == null || p.isBlank() || p.contains("\n"))) {
                throw new AssertionError("a refused rules file must list one-line problems: " + e.problems);
            }
            return;
        }
        for (String sample : SAMPLES) {
            TransformEvent event = new TransformEvent(tree(sample), TransformEvent.Kind.V2,
                    "0123456789abcdef0123456789abcdef");
            set.apply(event, NOW, new HashMap<>(), new ArrayList<>());
            set.apply(new TransformEvent(tree(sample), TransformEvent.Kind.V1, "k"), NOW, new HashMap<>(), null);
        }
    }

    @FuzzTest
    void condition(byte[] utf8) {
        String expression = new String(utf8, java.nio.charset.StandardCharsets.UTF_8);
        Condition c;
        try {
            c = Condition.compile(expression);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("a refused condition needs a message", e);
            }
            return;
        }
        for (String sample : SAMPLES) {
            ObjectNode event = tree(sample);
            Map<String, Object> activation = Condition.activation(event);
            int fast = c.fastAnswer(event);
            Boolean cel;
            try {
                cel = c.test(activation);
            } catch (Condition.ConditionException e) {
                cel = null;
            }
            if (fast != FastCondition.UNKNOWN && (cel == null || cel != (fast == FastCondition.TRUE))) {
                throw new AssertionError("the direct checks say " + (fast == FastCondition.TRUE) + " where CEL says "
                        + (cel == null ? "error" : cel) + " for '" + expression + "' on " + sample);
            }
        }
    }

    private static ObjectNode tree(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
