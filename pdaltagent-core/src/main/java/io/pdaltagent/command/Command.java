package io.pdaltagent.command;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * One {@code pdagentd} sub-command ({@code pdagentd NAME ARGS...}). Runs on the caller's thread and
 * returns the exit code: 0 done, 1 failed, 2 usage or setting error. {@code pdagentd help NAME} and
 * {@code pdagentd NAME --help} print {@link #usage} (the command is not run).
 */
public interface Command {
    /** One line for {@code pdagentd --help}. */
    String summary();

    /**
     * The command's own help: a usage line, then what it does and what its arguments mean. The
     * default suits a command without arguments.
     *
     * @param name the command's name, as typed
     */
    default String usage(String name) {
        return "usage: pdagentd " + name + "\n\n" + summary() + ".\n";
    }

    /**
     * @param args the arguments after the command's name
     * @param env the process environment
     */
    int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err);
}
