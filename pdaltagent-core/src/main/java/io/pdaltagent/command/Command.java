package io.pdaltagent.command;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * One {@code pdagentd} sub-command ({@code pdagentd NAME ARGS...}). Runs on the caller's thread and
 * returns the exit code: 0 done, 1 failed, 2 usage or setting error.
 */
public interface Command {
    /** One line for {@code pdagentd --help}. */
    String summary();

    /**
     * @param args the arguments after the command's name
     * @param env the process environment
     */
    int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err);
}
