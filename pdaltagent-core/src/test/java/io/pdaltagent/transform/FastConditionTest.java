package io.pdaltagent.transform;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The direct checks of simple conditions give what CEL gives: on many generated conditions and
 * events (fields missing, JSON nulls, numbers, booleans, lists and objects where a string is
 * expected), the answer of {@link Condition#test(ObjectNode, Map)} equals CEL's alone, an error
 * included; and wherever the fast path answers by itself, CEL answers the same without an error.
 */
class FastConditionTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String[] WORDS = {"prod", "test-db", "critical", "warning", "disk", "bgp", "", "CPU high",
        "k8s-node-12", "db.payments.example", "heartbeat", "true", "Ünïcödé ✓ 𝄞", "hé"};
    private static final String[] REGEXES = {"^k8s-node-[0-9]+$", "payments", "^$", "[A-Z]", "^(test|prod)-?", "é$",
        "[", "(?i)CPU"};
    private static final String[] PATHS = {"event.routing_key", "event.event_action", "event.payload",
        "event.payload.summary", "event.payload.source", "event.payload.severity", "event.payload.class",
        "event.payload.group", "event.payload.custom_details", "event.payload.custom_details.host",
        "event.payload.custom_details.flapping", "event.payload.custom_details.owner", "event.missing",
        "event.missing.deeper", "event.payload.summary.inner"};
    private static final String[] COMPARISONS = {"<", "<=", ">", ">=", "==", "!="};
    private static final String[] FIELDS = {"summary", "severity", "custom_details", "host", "flapping", "owner",
        "missing"};

    enum Outcome { TRUE, FALSE, ERROR }

    @Test
    void theFastPathAndCelAgreeOnGeneratedConditionsAndEvents() {
        Random rnd = new Random(20261203L);
        List<ObjectNode> events = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            events.add(event(rnd));
        }
        int compared = 0;
        int answeredFast = 0;
        int withFastPath = 0;
        for (int c = 0; c < 400; c++) {
            String expr = condition(rnd, 3);
            Condition cond = Condition.compile(expr);
            if (cond.hasFastPath()) {
                withFastPath++;
            }
            for (ObjectNode e : events) {
                Map<String, Object> activation = Condition.activation(e);
                Outcome cel = outcome(() -> cond.test(activation));
                Outcome both = outcome(() -> cond.test(e, activation));
                assertThat(both).as("%s on %s", expr, e).isEqualTo(cel);
                int fast = cond.fastAnswer(e);
                if (fast != FastCondition.UNKNOWN) {
                    answeredFast++;
                    assertThat(cel).as("fast answer of %s on %s", expr, e)
                            .isEqualTo(fast == FastCondition.TRUE ? Outcome.TRUE : Outcome.FALSE);
                }
                compared++;
            }
        }
        assertThat(withFastPath).as("conditions with a fast path").isGreaterThan(200);
        assertThat(answeredFast).as("evaluations the fast path decided alone").isGreaterThan(compared / 5);
    }

    @Test
    void theBenchmarkRulesShapesHaveAFastPath() {
        assertThat(Condition.compile("event.payload.source.startsWith('test-')").hasFastPath()).isTrue();
        assertThat(Condition.compile("has(event.payload.custom_details) && !has(event.payload.custom_details.host)")
                .hasFastPath()).isTrue();
        assertThat(Condition.compile("event.payload.class in ['network', 'bgp', 'dns']").hasFastPath()).isTrue();
        assertThat(Condition.compile("has(event.payload.custom_details.flapping) && event.payload.custom_details.flapping == true")
                .hasFastPath()).isTrue();
        assertThat(Condition.compile("size(event.payload.summary) > 900").hasFastPath()).isTrue();
        assertThat(Condition.compile("event.payload.source.matches('^k8s-node-[0-9]+$')").hasFastPath()).isTrue();
        assertThat(Condition.compile("size(event.payload.summary) + 1 > 900").hasFastPath()).isFalse();
    }

    interface Eval {
        boolean run() throws Condition.ConditionException;
    }

    static Outcome outcome(Eval e) {
        try {
            return e.run() ? Outcome.TRUE : Outcome.FALSE;
        } catch (Condition.ConditionException ex) {
            return Outcome.ERROR;
        }
    }

    static String lit(Random rnd) {
        return "'" + WORDS[rnd.nextInt(WORDS.length)] + "'";
    }

    static String path(Random rnd) {
        return PATHS[rnd.nextInt(PATHS.length)];
    }

    static String condition(Random rnd, int depth) {
        int pick = rnd.nextInt(depth > 0 ? 20 : 16);
        return switch (pick) {
            case 0 -> path(rnd) + " == " + lit(rnd);
            case 1 -> lit(rnd) + " == " + path(rnd);
            case 2 -> path(rnd) + " != " + lit(rnd);
            case 3 -> path(rnd) + " == " + (rnd.nextBoolean() ? "true" : "false");
            case 4 -> path(rnd) + " != true";
            case 5 -> path(rnd) + " in [" + lit(rnd) + ", " + lit(rnd) + "]";
            case 6 -> path(rnd) + ".startsWith(" + lit(rnd) + ")";
            case 7 -> path(rnd) + ".endsWith(" + lit(rnd) + ")";
            case 8 -> path(rnd) + ".contains(" + lit(rnd) + ")";
            case 9 -> "has(" + path(rnd) + "." + FIELDS[rnd.nextInt(FIELDS.length)] + ")";
            case 10 -> rnd.nextBoolean() ? "size(" + path(rnd) + ") > 3" : path(rnd) + " == 1";
            case 11 -> "has(event." + FIELDS[rnd.nextInt(FIELDS.length)] + ")";
            case 12 -> path(rnd) + ".matches('" + REGEXES[rnd.nextInt(REGEXES.length)] + "')";
            case 13 -> "matches(" + path(rnd) + ", '" + REGEXES[rnd.nextInt(REGEXES.length)] + "')";
            case 14 -> "size(" + path(rnd) + ") " + COMPARISONS[rnd.nextInt(COMPARISONS.length)] + " " + rnd.nextInt(12);
            case 15 -> rnd.nextInt(12) + " " + COMPARISONS[rnd.nextInt(COMPARISONS.length)] + " " + path(rnd) + ".size()";
            case 16, 17 -> "(" + condition(rnd, depth - 1) + ") && (" + condition(rnd, depth - 1) + ")";
            case 18 -> "(" + condition(rnd, depth - 1) + ") || (" + condition(rnd, depth - 1) + ")";
            default -> "!(" + condition(rnd, depth - 1) + ")";
        };
    }

    /** A value of any JSON kind, strings most often. */
    static JsonNode value(Random rnd, int depth) {
        int pick = rnd.nextInt(12);
        return switch (pick) {
            case 0 -> F.nullNode();
            case 1 -> F.numberNode(rnd.nextInt(5));
            case 2 -> F.numberNode(1.5);
            case 3 -> F.booleanNode(rnd.nextBoolean());
            case 4 -> {
                ArrayNode a = F.arrayNode();
                a.add(WORDS[rnd.nextInt(WORDS.length)]);
                yield a;
            }
            case 5 -> depth > 0 ? object(rnd, depth - 1) : F.textNode("x");
            default -> F.textNode(WORDS[rnd.nextInt(WORDS.length)]);
        };
    }

    static ObjectNode object(Random rnd, int depth) {
        ObjectNode o = F.objectNode();
        for (String f : FIELDS) {
            if (rnd.nextInt(3) > 0) {
                o.set(f, value(rnd, depth));
            }
        }
        return o;
    }

    static ObjectNode event(Random rnd) {
        ObjectNode e = F.objectNode();
        if (rnd.nextInt(5) > 0) {
            e.set("routing_key", value(rnd, 0));
        }
        if (rnd.nextInt(5) > 0) {
            e.set("event_action", value(rnd, 0));
        }
        int p = rnd.nextInt(8);
        if (p == 0) {
            e.set("payload", F.nullNode());
        } else if (p == 1) {
            e.put("payload", "text");
        } else if (p > 2) {
            ObjectNode payload = object(rnd, 1);
            for (String f : new String[] {"source", "class", "group"}) {
                if (rnd.nextInt(4) > 0) {
                    payload.set(f, value(rnd, 0));
                }
            }
            if (rnd.nextInt(3) > 0) {
                payload.set("custom_details", object(rnd, 0));
            }
            e.set("payload", payload);
        }
        return e;
    }

}
