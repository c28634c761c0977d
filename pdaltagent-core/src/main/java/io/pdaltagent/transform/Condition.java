package io.pdaltagent.transform;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.Map;

/**
 * A rule's condition: a CEL expression (Common Expression Language, github.com/google/cel-spec)
 * over the variable {@code event}, the event as a map (a live view of its tree: strings, integers as {@code int}, decimals
 * as {@code double}, booleans, lists, maps; JSON nulls are left out, so {@code has()} is false for
 * them). CEL cannot loop without bound, call out or change anything: a condition is safe to run on
 * every event. An expression is compiled (parsed and type-checked) when the rules file is loaded;
 * one that does not compile is an error naming the rule. At run time an error (a missing field
 * read without {@code has()}, a wrong type) makes the condition false, and the rule counts a failure.
 *
 * <p>{@link #ALWAYS} is the condition of a rule without {@code when}. Thread-safe: compiled programs
 * are immutable.
 */
final class Condition {
    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("event", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .build();
    /**
     * The runtime's options, stated so that {@link FastCondition} follows the same ones (e.g.
     * {@code matches} finds a partial match): CEL's standard runtime's own, {@code CelOptions.current()}.
     */
    static final CelOptions OPTIONS = CelOptions.current().build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(OPTIONS).build();
    /** Longer expressions are no condition a person maintains; a limit on every input. */
    static final int MAX_EXPRESSION_LENGTH = 4096;

    static final Condition ALWAYS = new Condition("true", null, null);

    private final String source;
    private final CelRuntime.Program program;
    /** The direct checks of a simple expression, or null (see {@link FastCondition}). */
    private final FastCondition fast;

    private Condition(String source, CelRuntime.Program program, FastCondition fast) {
        this.source = source;
        this.program = program;
        this.fast = fast;
    }

    /** Compiles {@code expression}; throws {@link IllegalArgumentException} with CEL's message. */
    static Condition compile(String expression) {
        if (expression.length() > MAX_EXPRESSION_LENGTH) {
            throw new IllegalArgumentException("the expression is longer than " + MAX_EXPRESSION_LENGTH + " characters");
        }
        try {
            var ast = COMPILER.compile(expression).getAst();
            if (!ast.getResultType().equals(SimpleType.BOOL) && !ast.getResultType().equals(SimpleType.DYN)) {
                throw new IllegalArgumentException("the expression gives " + ast.getResultType().name()
                        + ", not a bool");
            }
            return new Condition(expression, RUNTIME.createProgram(ast), FastCondition.of(ast.getExpr()));
        } catch (CelValidationException e) {
            throw new IllegalArgumentException(e.getMessage().replace("<input>", "expression"));
        } catch (dev.cel.common.CelException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    String source() {
        return source;
    }

    /** Whether the expression has a shape {@link FastCondition} checks without CEL (when it is sure). */
    boolean hasFastPath() {
        return fast != null;
    }

    /** The direct checks' answer alone: {@link FastCondition#UNKNOWN} without them, or when CEL must decide. */
    int fastAnswer(ObjectNode event) {
        return fast == null ? FastCondition.UNKNOWN : fast.test(event);
    }

    /**
     * Evaluates the condition on {@code event}: by its direct checks when it has them and they are
     * sure, else by CEL on {@code activation} (from {@link #activation} of the same event). Always
     * the answer, or the error, CEL gives.
     *
     * @throws ConditionException when CEL cannot evaluate it on this event, or it gives no bool
     */
    boolean test(ObjectNode event, Map<String, Object> activation) throws ConditionException {
        if (fast != null) {
            int r = fast.test(event);
            if (r != FastCondition.UNKNOWN) {
                return r == FastCondition.TRUE;
            }
        }
        return test(activation);
    }

    /**
     * Evaluates the condition by CEL alone on {@code activation} (from {@link #activation}).
     *
     * @throws ConditionException when CEL cannot evaluate it on this event, or it gives no bool
     */
    boolean test(Map<String, Object> activation) throws ConditionException {
        if (program == null) {
            return true;
        }
        Object r;
        try {
            r = program.eval(activation);
        } catch (CelEvaluationException e) {
            throw new ConditionException(e.getMessage().replace("<input>", "expression"));
        }
        if (r instanceof Boolean b) {
            return b;
        }
        throw new ConditionException("the expression gave " + (r == null ? "null" : r.getClass().getSimpleName())
                + ", not a bool");
    }

    /** A condition that could not be evaluated on one event. */
    static final class ConditionException extends Exception {
        ConditionException(String message) {
            super(message, null, false, false);
        }
    }

    /** The CEL variables for one event: {@code event} as a live view of its tree (see {@link JsonView}). */
    static Map<String, Object> activation(ObjectNode event) {
        return Map.of("event", JsonView.of(event));
    }
}
