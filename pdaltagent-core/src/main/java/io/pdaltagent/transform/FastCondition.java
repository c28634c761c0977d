package io.pdaltagent.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The common, simple shapes of a rule's CEL condition compiled into direct checks on the event's
 * JSON tree, so that most rules never reach CEL's interpreter: {@code path == 'text'} (and
 * {@code !=}, either side), {@code path == true}, {@code path in ['a', 'b']},
 * {@code path.startsWith/endsWith/contains('text')}, {@code path.matches('regex')},
 * {@code size(path) < 10} (any comparison with an integer), {@code has(path.field)}, and
 * {@code &&}, {@code ||}, {@code !} of those, where a path is {@code event.a.b…}.
 *
 * <p><b>Never a different answer than CEL.</b> Each check answers only in the case it is sure of
 * (the path leads through objects to a string, or to a boolean for a boolean literal, or to an
 * object for {@code has}) and otherwise says {@link #UNKNOWN}: a missing field, a JSON null, another
 * type, anything CEL might turn into an error or a conversion. {@code &&} and {@code ||} combine as
 * CEL does with errors (CEL's are commutative: {@code false && error} is false, {@code true || error}
 * is true), so an unknown side is decided only by the other side's deciding value. When the whole
 * condition is {@link #UNKNOWN}, {@link Condition} runs the CEL program, which gives the answer or
 * the error. An expression with any other shape is not compiled ({@link #of} returns null).
 *
 * <p>Immutable, thread-safe.
 */
final class FastCondition {
    /** {@link #test} answers: true, false, or "ask CEL". */
    static final int FALSE = 0;
    static final int TRUE = 1;
    static final int UNKNOWN = 2;

    private sealed interface Node {
        int eval(ObjectNode event);
    }

    private record And(Node left, Node right) implements Node {
        public int eval(ObjectNode event) {
            int l = left.eval(event);
            if (l == FALSE) {
                return FALSE;
            }
            int r = right.eval(event);
            if (r == FALSE) {
                return FALSE;
            }
            return l == TRUE && r == TRUE ? TRUE : UNKNOWN;
        }
    }

    private record Or(Node left, Node right) implements Node {
        public int eval(ObjectNode event) {
            int l = left.eval(event);
            if (l == TRUE) {
                return TRUE;
            }
            int r = right.eval(event);
            if (r == TRUE) {
                return TRUE;
            }
            return l == FALSE && r == FALSE ? FALSE : UNKNOWN;
        }
    }

    private record Not(Node inner) implements Node {
        public int eval(ObjectNode event) {
            int v = inner.eval(event);
            return v == UNKNOWN ? UNKNOWN : 1 - v;
        }
    }

    private enum StringTest { EQUALS, NOT_EQUALS, STARTS_WITH, ENDS_WITH, CONTAINS }

    private record StringCheck(String[] path, StringTest test, String literal) implements Node {
        public int eval(ObjectNode event) {
            JsonNode v = resolve(event, path);
            if (v == null || !v.isTextual()) {
                return UNKNOWN;
            }
            String s = v.textValue();
            boolean r = switch (test) {
                case EQUALS -> s.equals(literal);
                case NOT_EQUALS -> !s.equals(literal);
                case STARTS_WITH -> s.startsWith(literal);
                case ENDS_WITH -> s.endsWith(literal);
                case CONTAINS -> s.contains(literal);
            };
            return r ? TRUE : FALSE;
        }
    }

    private record BoolCheck(String[] path, boolean literal, boolean negated) implements Node {
        public int eval(ObjectNode event) {
            JsonNode v = resolve(event, path);
            if (v == null || !v.isBoolean()) {
                return UNKNOWN;
            }
            return (v.booleanValue() == literal) != negated ? TRUE : FALSE;
        }
    }

    private record InList(String[] path, Set<String> literals) implements Node {
        public int eval(ObjectNode event) {
            JsonNode v = resolve(event, path);
            if (v == null || !v.isTextual()) {
                return UNKNOWN;
            }
            return literals.contains(v.textValue()) ? TRUE : FALSE;
        }
    }

    private record Has(String[] path, String field) implements Node {
        public int eval(ObjectNode event) {
            JsonNode v = resolve(event, path);
            if (!(v instanceof ObjectNode o)) {
                return UNKNOWN;
            }
            JsonNode f = o.get(field);
            return f != null && !f.isNull() && !f.isMissingNode() ? TRUE : FALSE;
        }
    }

    /**
     * {@code path.matches('regex')} (or {@code matches(path, 'regex')}): the pattern compiled once, by
     * the engine and with the options CEL's runtime uses (RE2/J; a partial match when
     * {@link Condition#OPTIONS} say so), where CEL compiles it again on every evaluation.
     */
    private record Matches(String[] path, com.google.re2j.Pattern regex, boolean partial) implements Node {
        public int eval(ObjectNode event) {
            JsonNode v = resolve(event, path);
            if (v == null || !v.isTextual()) {
                return UNKNOWN;
            }
            com.google.re2j.Matcher m = regex.matcher(v.textValue());
            return (partial ? m.find() : m.matches()) ? TRUE : FALSE;
        }
    }

    private enum Comparison { LESS, LESS_OR_EQUAL, GREATER, GREATER_OR_EQUAL, EQUALS, NOT_EQUALS }

    /**
     * {@code size(path) OP n} for an integer literal {@code n} (either side, or {@code path.size()}):
     * the size of a string in code points, as CEL counts it, or of a list. Other types are CEL's to
     * decide.
     */
    private record SizeCheck(String[] path, Comparison op, long literal) implements Node {
        public int eval(ObjectNode event) {
            JsonNode v = resolve(event, path);
            long size;
            if (v == null) {
                return UNKNOWN;
            } else if (v.isTextual()) {
                String s = v.textValue();
                size = s.codePointCount(0, s.length());
            } else if (v.isArray()) {
                size = v.size();
            } else {
                return UNKNOWN;
            }
            boolean r = switch (op) {
                case LESS -> size < literal;
                case LESS_OR_EQUAL -> size <= literal;
                case GREATER -> size > literal;
                case GREATER_OR_EQUAL -> size >= literal;
                case EQUALS -> size == literal;
                case NOT_EQUALS -> size != literal;
            };
            return r ? TRUE : FALSE;
        }
    }

    private final Node root;

    private FastCondition(Node root) {
        this.root = root;
    }

    /** {@link #TRUE}, {@link #FALSE}, or {@link #UNKNOWN} when CEL must decide. */
    int test(ObjectNode event) {
        return root.eval(event);
    }

    /** The fast form of a checked expression, or null when it has a shape not handled here. */
    static FastCondition of(CelExpr expr) {
        Node n = node(expr);
        return n == null ? null : new FastCondition(n);
    }

    /** The node at {@code path} below the event: null when a step is no object or the field is absent or null. */
    static JsonNode resolve(ObjectNode event, String[] path) {
        JsonNode n = event;
        for (String step : path) {
            if (!(n instanceof ObjectNode o)) {
                return null;
            }
            n = o.get(step);
            if (n == null || n.isNull()) {
                return null;
            }
        }
        return n;
    }

    private static Node node(CelExpr e) {
        return switch (e.getKind()) {
            case SELECT -> e.select().testOnly() ? has(e) : null;
            case CALL -> call(e);
            default -> null;
        };
    }

    private static Node has(CelExpr e) {
        String[] path = path(e.select().operand());
        return path == null ? null : new Has(path, e.select().field());
    }

    private static Node call(CelExpr e) {
        CelExpr.CelCall c = e.call();
        List<CelExpr> args = c.args();
        if (c.target().isPresent()) {
            return method(c.function(), c.target().get(), args);
        }
        return switch (c.function()) {
            case "_&&_" -> both(args, true);
            case "_||_" -> both(args, false);
            case "!_" -> {
                Node inner = args.size() == 1 ? node(args.get(0)) : null;
                yield inner == null ? null : new Not(inner);
            }
            case "_==_" -> size(args, Comparison.EQUALS) != null ? size(args, Comparison.EQUALS) : equality(args, false);
            case "_!=_" -> size(args, Comparison.NOT_EQUALS) != null ? size(args, Comparison.NOT_EQUALS)
                    : equality(args, true);
            case "_<_" -> size(args, Comparison.LESS);
            case "_<=_" -> size(args, Comparison.LESS_OR_EQUAL);
            case "_>_" -> size(args, Comparison.GREATER);
            case "_>=_" -> size(args, Comparison.GREATER_OR_EQUAL);
            case "matches" -> args.size() == 2 ? matches(path(args.get(0)), string(args.get(1))) : null;
            case "@in" -> in(args);
            default -> null;
        };
    }

    private static Node both(List<CelExpr> args, boolean and) {
        if (args.size() != 2) {
            return null;
        }
        Node l = node(args.get(0));
        Node r = node(args.get(1));
        if (l == null || r == null) {
            return null;
        }
        return and ? new And(l, r) : new Or(l, r);
    }

    private static Node method(String function, CelExpr target, List<CelExpr> args) {
        String[] path = path(target);
        String literal = args.size() == 1 ? string(args.get(0)) : null;
        if (path == null || literal == null) {
            return null;
        }
        return switch (function) {
            case "startsWith" -> new StringCheck(path, StringTest.STARTS_WITH, literal);
            case "endsWith" -> new StringCheck(path, StringTest.ENDS_WITH, literal);
            case "contains" -> new StringCheck(path, StringTest.CONTAINS, literal);
            case "matches" -> matches(path, literal);
            default -> null;
        };
    }

    private static Node equality(List<CelExpr> args, boolean negated) {
        if (args.size() != 2) {
            return null;
        }
        String[] path = path(args.get(0));
        CelExpr other = args.get(1);
        if (path == null) {
            path = path(args.get(1));
            other = args.get(0);
        }
        if (path == null || other.getKind() != CelExpr.ExprKind.Kind.CONSTANT) {
            return null;
        }
        CelConstant k = other.constant();
        return switch (k.getKind()) {
            case STRING_VALUE -> new StringCheck(path, negated ? StringTest.NOT_EQUALS : StringTest.EQUALS, k.stringValue());
            case BOOLEAN_VALUE -> new BoolCheck(path, k.booleanValue(), negated);
            default -> null;
        };
    }

    /** A regex the fast path can run as CEL would, or null (an invalid or oversized one: CEL says why). */
    private static Node matches(String[] path, String regex) {
        if (path == null || regex == null) {
            return null;
        }
        com.google.re2j.Pattern p;
        try {
            p = com.google.re2j.Pattern.compile(regex);
        } catch (com.google.re2j.PatternSyntaxException e) {
            return null;
        }
        int max = Condition.OPTIONS.maxRegexProgramSize();
        if (max >= 0 && p.programSize() > max) {
            return null;
        }
        return new Matches(path, p, Condition.OPTIONS.enableRegexPartialMatch());
    }

    /** {@code size(path) OP n} or {@code n OP size(path)} (the operator mirrored), or null. */
    private static Node size(List<CelExpr> args, Comparison op) {
        if (args.size() != 2) {
            return null;
        }
        String[] path = sizePath(args.get(0));
        Long literal = integer(args.get(1));
        if (path == null || literal == null) {
            path = sizePath(args.get(1));
            literal = integer(args.get(0));
            op = switch (op) {
                case LESS -> Comparison.GREATER;
                case LESS_OR_EQUAL -> Comparison.GREATER_OR_EQUAL;
                case GREATER -> Comparison.LESS;
                case GREATER_OR_EQUAL -> Comparison.LESS_OR_EQUAL;
                case EQUALS, NOT_EQUALS -> op;
            };
        }
        return path == null || literal == null ? null : new SizeCheck(path, op, literal);
    }

    /** The path of {@code size(path)} or {@code path.size()}, or null. */
    private static String[] sizePath(CelExpr e) {
        if (e.getKind() != CelExpr.ExprKind.Kind.CALL || !e.call().function().equals("size")) {
            return null;
        }
        CelExpr.CelCall c = e.call();
        if (c.target().isPresent()) {
            return c.args().isEmpty() ? path(c.target().get()) : null;
        }
        return c.args().size() == 1 ? path(c.args().get(0)) : null;
    }

    private static Long integer(CelExpr e) {
        return e.getKind() == CelExpr.ExprKind.Kind.CONSTANT
                && e.constant().getKind() == CelConstant.Kind.INT64_VALUE ? e.constant().int64Value() : null;
    }

    private static Node in(List<CelExpr> args) {
        if (args.size() != 2 || args.get(1).getKind() != CelExpr.ExprKind.Kind.LIST) {
            return null;
        }
        String[] path = path(args.get(0));
        if (path == null || !args.get(1).list().optionalIndices().isEmpty()) {
            return null;
        }
        List<String> literals = new ArrayList<>();
        for (CelExpr x : args.get(1).list().elements()) {
            String s = string(x);
            if (s == null) {
                return null;
            }
            literals.add(s);
        }
        return new InList(path, Set.copyOf(literals));
    }

    private static String string(CelExpr e) {
        return e.getKind() == CelExpr.ExprKind.Kind.CONSTANT
                && e.constant().getKind() == CelConstant.Kind.STRING_VALUE ? e.constant().stringValue() : null;
    }

    /** {@code event.a.b} as {@code [a, b]} ({@code event} alone as {@code []}), or null for anything else. */
    private static String[] path(CelExpr e) {
        List<String> steps = new ArrayList<>();
        CelExpr x = e;
        while (x.getKind() == CelExpr.ExprKind.Kind.SELECT && !x.select().testOnly()) {
            steps.add(0, x.select().field());
            x = x.select().operand();
        }
        if (x.getKind() != CelExpr.ExprKind.Kind.IDENT || !x.ident().name().equals("event")) {
            return null;
        }
        return steps.toArray(String[]::new);
    }
}
