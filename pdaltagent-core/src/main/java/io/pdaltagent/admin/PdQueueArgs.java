package io.pdaltagent.admin;

import io.pdaltagent.queue.DeliveryState;
import java.util.List;
import java.util.Map;

/**
 * {@code pd-queue}'s command line, parsed the way PagerDuty Agent's argparse parser does it: the
 * same sub-commands, flags and error texts for {@code status} and {@code retry}; a usage error
 * names the sub-command, e.g. {@code pd-queue retry: error: A specific service key or a flag for all
 * keys required}, and exits 2.
 *
 * <pre>
 * pd-queue status [-k KEY] [--json]
 * pd-queue retry (-k KEY | -a) [--json]
 * pd-queue list [-k KEY] [--limit N] [--json]
 * pd-queue show SEQ [--json]
 * pd-queue purge [--dead | --delivered] [-k KEY] [--yes] [--json]
 * </pre>
 *
 * Options may come in any order, as {@code --opt VALUE}, {@code --opt=VALUE} or {@code -kVALUE};
 * {@code --} ends the options.
 */
public final class PdQueueArgs {
    public static final String PROG = "pd-queue";
    static final List<String> COMMANDS = List.of("status", "retry", "list", "show", "purge", "suppressed");

    private static final String KEY_OPT = "-k/--service-key";
    private static final Map<String, String> USAGE = Map.of(
            "", "usage: pd-queue [-h] [--version] {status,retry,list,show,purge,suppressed} ...",
            "suppressed", "usage: pd-queue suppressed [-h] [-k SERVICE_KEY] [--limit N] [--json]",
            "status", "usage: pd-queue status [-h] [-k SERVICE_KEY] [--json]",
            "retry", "usage: pd-queue retry [-h] [-k SERVICE_KEY] [-a] [--json]",
            "list", "usage: pd-queue list [-h] [-k SERVICE_KEY] [--limit N] [--json]",
            "show", "usage: pd-queue show [-h] [--json] SEQ",
            "purge", "usage: pd-queue purge [-h] [--dead | --delivered] [-k SERVICE_KEY] [-y] [--json]");

    private PdQueueArgs() {
    }

    /**
     * A parsed command line.
     *
     * @param command status, retry, list, show, purge; or "help" / "version" (with {@code text} to print)
     * @param key the service (routing) key given with -k, or null
     * @param all retry: -a was given
     * @param limit list: how many dead events at most
     * @param seq show: the event's sequence number
     * @param purgeState purge: DEAD (the default) or DELIVERED
     * @param yes purge: no confirmation question
     * @param json print the admin API's JSON document instead of the table
     * @param text what to print for help
     */
    public record Command(String command, String key, boolean all, int limit, long seq, DeliveryState purgeState,
                          boolean yes, boolean json, String text) {
    }

    /** A command line that cannot be run: {@link #getMessage()} is what argparse would print. */
    public static final class UsageException extends Exception {
        private final String usage;

        UsageException(String command, String reason) {
            super(PROG + (command.isEmpty() ? "" : " " + command) + ": error: " + reason);
            this.usage = USAGE.get(command);
        }

        /** The usage line printed before the error. */
        public String usage() {
            return usage;
        }
    }

    public static Command parse(String... args) throws UsageException {
        if (args.length == 0) {
            throw new UsageException("", "a command is required: one of " + String.join(", ", COMMANDS));
        }
        String first = args[0];
        if (first.equals("-h") || first.equals("--help")) {
            return help(mainHelp());
        }
        if (first.equals("--version") || first.equals("-V")) {
            return new Command("version", null, false, 0, 0, null, false, false, null);
        }
        if (!COMMANDS.contains(first)) {
            throw new UsageException("", first.startsWith("-") ? "unrecognized arguments: " + first
                    : "argument command: invalid choice: '" + first + "' (choose from 'status', 'retry', 'list', 'show', 'purge')");
        }
        return parseCommand(first, args);
    }

    private static Command parseCommand(String cmd, String[] args) throws UsageException {
        String key = null;
        boolean all = false;
        Integer limit = null;
        String seqText = null;
        DeliveryState purge = null;
        String purgeFlag = null;
        boolean yes = false;
        boolean json = false;
        boolean optionsEnded = false;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (optionsEnded || !a.startsWith("-") || a.equals("-")) {
                if (cmd.equals("show") && seqText == null) {
                    seqText = a;
                    continue;
                }
                throw new UsageException(cmd, "unrecognized arguments: " + a);
            }
            if (a.equals("--")) {
                optionsEnded = true;
                continue;
            }
            String name = a;
            String inline = null;
            if (a.startsWith("--") && a.contains("=")) {
                name = a.substring(0, a.indexOf('='));
                inline = a.substring(a.indexOf('=') + 1);
            } else if (a.startsWith("-k") && a.length() > 2) {
                name = "-k";
                inline = a.substring(2);
            }
            switch (name) {
                case "-h", "--help" -> {
                    return help(commandHelp(cmd));
                }
                case "--json" -> json = noValue(cmd, name, inline, true);
                case "-k", "--service-key", "--routing-key", "--key" -> {
                    requireIn(cmd, name, "status", "retry", "list", "purge", "suppressed");
                    String v = inline != null ? inline : value(cmd, KEY_OPT, args, ++i);
                    if (v.isBlank()) {
                        throw new UsageException(cmd, "argument " + KEY_OPT + ": must not be empty");
                    }
                    key = v;
                }
                case "-a", "--all-keys", "--all" -> {
                    requireIn(cmd, name, "retry");
                    all = noValue(cmd, name, inline, true);
                }
                case "--limit", "-n" -> {
                    requireIn(cmd, name, "list", "suppressed");
                    String v = inline != null ? inline : value(cmd, "--limit", args, ++i);
                    limit = number(cmd, "--limit", v);
                    if (limit < 1 || limit > QueueAdmin.MAX_LIST_LIMIT) {
                        throw new UsageException(cmd, "argument --limit: must be from 1 to " + QueueAdmin.MAX_LIST_LIMIT);
                    }
                }
                case "--dead", "--delivered" -> {
                    requireIn(cmd, name, "purge");
                    noValue(cmd, name, inline, true);
                    DeliveryState s = name.equals("--dead") ? DeliveryState.DEAD : DeliveryState.DELIVERED;
                    if (purge != null && purge != s) {
                        throw new UsageException(cmd, "argument " + name + ": not allowed with argument " + purgeFlag);
                    }
                    purge = s;
                    purgeFlag = name;
                }
                case "-y", "--yes" -> {
                    requireIn(cmd, name, "purge");
                    yes = noValue(cmd, name, inline, true);
                }
                default -> throw new UsageException(cmd, "unrecognized arguments: " + a);
            }
        }
        long seq = 0;
        switch (cmd) {
            case "retry" -> {
                // PagerDuty Agent's own checks and words
                if (key == null && !all) {
                    throw new UsageException(cmd, QueueAdmin.RETRY_NEITHER);
                }
                if (key != null && all) {
                    throw new UsageException(cmd, QueueAdmin.RETRY_BOTH);
                }
            }
            case "show" -> {
                if (seqText == null) {
                    throw new UsageException(cmd, "the following arguments are required: SEQ");
                }
                try {
                    seq = Long.parseLong(seqText);
                } catch (NumberFormatException e) {
                    seq = -1;
                }
                if (seq < 1) {
                    throw new UsageException(cmd, "argument SEQ: invalid value: '" + seqText
                            + "' (an event's sequence number, as pd-queue list shows it)");
                }
            }
            default -> { }
        }
        return new Command(cmd, key, all, limit == null ? QueueAdmin.DEFAULT_LIST_LIMIT : limit, seq,
                purge == null ? DeliveryState.DEAD : purge, yes, json, null);
    }

    private static void requireIn(String cmd, String option, String... commands) throws UsageException {
        if (!List.of(commands).contains(cmd)) {
            throw new UsageException(cmd, "unrecognized arguments: " + option);
        }
    }

    private static boolean noValue(String cmd, String option, String inline, boolean v) throws UsageException {
        if (inline != null) {
            throw new UsageException(cmd, "argument " + option + ": ignored explicit argument '" + inline + "'");
        }
        return v;
    }

    private static String value(String cmd, String option, String[] args, int i) throws UsageException {
        if (i >= args.length || (args[i].startsWith("-") && args[i].length() > 1)) {
            throw new UsageException(cmd, "argument " + option + ": expected one argument");
        }
        return args[i];
    }

    private static int number(String cmd, String option, String v) throws UsageException {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(cmd, "argument " + option + ": invalid int value: '" + v + "'");
        }
    }

    private static Command help(String text) {
        return new Command("help", null, false, 0, 0, null, false, false, text);
    }

    /** The usage line of a command ("" for pd-queue itself). */
    static String usage(String command) {
        return USAGE.get(command);
    }

    static String mainHelp() {
        return USAGE.get("") + "\n\n"
                + "Access the local queue of the PagerDuty agent (pdaltagent).\n\n"
                + "sub-commands:\n"
                + "  status    print out status of local event queue.\n"
                + "  retry     set up 'dead' PagerDuty events for retry.\n"
                + "  list      list dead events with PagerDuty's answer.\n"
                + "  show      print out one event, its last answer and its body.\n"
                + "  purge     delete dead (or delivered) events.\n"
                + "  suppressed  count and list events suppressed at ingest, with the rule that did it.\n\n"
                + "optional arguments:\n"
                + "  -h, --help   show this help message and exit\n"
                + "  --version    print the version and exit\n\n"
                + "The running agent is reached at PDQUEUE_AGENT_URL (default http://127.0.0.1:$PDAGENTD_HTTP_PORT,\n"
                + "port 8080); when it is not running, its queue in PDAGENTD_DATA_DIR (default ~/.pdaltagent) is used\n"
                + "directly. Exit codes: 0 done, 1 failed, 2 usage error.\n";
    }

    static String commandHelp(String cmd) {
        String k = "  -k SERVICE_KEY, --service-key SERVICE_KEY\n";
        String json = "  --json                print the admin API's JSON document instead\n";
        String h = "  -h, --help            show this help message and exit\n";
        return USAGE.get(cmd) + "\n\n" + switch (cmd) {
            case "status" -> "Print out status of local event queue.\n\noptional arguments:\n" + h + k
                    + "                        print status of events in given Service API Key\n" + json
                    + "\nColumns: pending (to be delivered), succeeded (delivered; kept for\n"
                    + "PDAGENTD_DELIVERED_RETENTION_SECONDS, a day by default), in error (dead: rejected by\n"
                    + "PagerDuty or expired); 'throttled' marks a key waiting out a retry.\n";
            case "retry" -> "Set up 'dead' PagerDuty events for retry.\n\noptional arguments:\n" + h + k
                    + "                        retry events in given Service API Key (not to be used with -a)\n"
                    + "  -a, --all-keys        retry events in all Service API Keys (not to be used with -k)\n" + json;
            case "list" -> "List dead events, oldest first, with PagerDuty's answer.\n\noptional arguments:\n" + h + k
                    + "                        list dead events of given Service API Key only\n"
                    + "  --limit N             list at most N events (default " + QueueAdmin.DEFAULT_LIST_LIMIT + ")\n" + json;
            case "show" -> "Print out one event: its state, PagerDuty's last answer and the stored body.\n\n"
                    + "positional arguments:\n  SEQ                   the event's sequence number (see pd-queue list)\n\n"
                    + "optional arguments:\n" + h + json;
            case "purge" -> "Delete dead (default) or delivered events for good.\n\noptional arguments:\n" + h
                    + "  --dead                purge dead events (the default)\n"
                    + "  --delivered           purge the records of delivered events\n" + k
                    + "                        purge events of given Service API Key only\n"
                    + "  -y, --yes             do not ask for confirmation (required without a terminal)\n" + json;
            case "suppressed" -> "Count per key and rule, then list (oldest first), the events a rule, maintenance\n"
                    + "window or plugin suppressed at ingest: kept, never delivered.\n\noptional arguments:\n" + h + k
                    + "                        only events of given Service API Key\n"
                    + "  --limit N             list at most N events (default " + QueueAdmin.DEFAULT_LIST_LIMIT + ")\n" + json;
            default -> "";
        };
    }
}
