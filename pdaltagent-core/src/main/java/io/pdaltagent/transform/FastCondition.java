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
 * {@code path.startsWith/endsWith/contains('text')}, {@code has(path.field)}, and {@code &&},
 * {@code ||}, {@code !} of those, where a path is {@code event.a.b…}.
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
            case "_==_" -> equality(args, false);
            case "_!=_" -> equality(args, true);
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
