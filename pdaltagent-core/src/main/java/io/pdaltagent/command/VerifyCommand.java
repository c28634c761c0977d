package io.pdaltagent.command;

import io.pdaltagent.config.ConfigException;
import io.pdaltagent.queue.StoreCheck;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code pdagentd verify [DATA_DIR | FILE]}: checks an embedded queue offline ({@link StoreCheck}):
 * SQLite's integrity check, the schema, the state codes and the sequence numbers. Without an
 * argument it checks the configured data directory. Exit 0 and one line with the counts when the
 * store is sound, 1 and one line per problem when it is not, 2 for a usage or setting error.
 */
public final class VerifyCommand implements Command {
    @Override
    public String summary() {
        return "check an embedded queue offline: verify [DATA_DIR | FILE] (exit 0 sound, 1 damaged)";
    }

    @Override
    public int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (args.size() > 1 || (args.size() == 1 && args.get(0).startsWith("-"))) {
            err.println("usage: pdagentd verify [DATA_DIR | FILE]");
            return 2;
        }
        Path target;
        try {
            target = args.isEmpty() ? Settings.load(env).queue().dataDir() : Path.of(args.get(0));
        } catch (ConfigException e) {
            err.println("pdagentd: " + e.getMessage());
            return 2;
        }
        StoreCheck.Result r = StoreCheck.check(target);
        if (r.ok()) {
            long total = r.counts().values().stream().mapToLong(Long::longValue).sum();
            StringBuilder s = new StringBuilder();
            r.counts().forEach((state, n) -> s.append(s.isEmpty() ? "" : ", ").append(n).append(' ').append(state));
            out.println("pdagentd verify: " + r.file() + ": OK, " + total + " event(s)" + (s.isEmpty() ? "" : " (" + s + ")"));
            return 0;
        }
        err.println("pdagentd verify: " + r.file() + ": " + r.problems().size() + " problem(s):");
        for (String p : r.problems()) {
            err.println("  " + p);
        }
        return 1;
    }
}
