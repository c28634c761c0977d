package io.pdaltagent.admin;

import io.pdaltagent.common.Args;
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
 * pd-queue retry (-k KEY | -a | --seq N...) [--json]
 * pd-queue list [-k KEY] [--limit N] [--json]
 * pd-queue show SEQ [--json]
 * pd-queue purge [--dead | --delivered] [-k KEY | --seq N...] [--yes] [--json]
 * </pre>
 *
 * Options may come in any order, as {@code --opt VALUE}, {@code --opt=VALUE}, {@code -kVALUE} or a
 * unique prefix of a long name; {@code --} ends the options: the shared argparse-style parser of
 * every command, {@link Args}. {@code --seq} (repeatable, or a comma list) goes beyond PagerDuty
 * Agent, which knew only whole keys; it excludes {@code -k} and {@code -a}, and without it retry keeps
 * PagerDuty Agent's checks and words.
 */
public final class PdQueueArgs {
    public static final String PROG = "pd-queue";
    static final List<String> COMMANDS = List.of("status", "retry", "list", "show", "purge", "suppressed");

    private static final String KEY_OPT = "-k/--service-key";
    private static final Map<String, String> USAGE = Map.of(
            "", "usage: pd-queue [-h] [--version] {status,retry,list,show,purge,suppressed} ...",
            "suppressed", "usage: pd-queue suppressed [-h] [-k SERVICE_KEY] [--limit N] [--json]",
            "status", "usage: pd-queue status [-h] [-k SERVICE_KEY] [--json]",
            "retry", "usage: pd-queue retry [-h] [-k SERVICE_KEY] [-a] [--seq SEQ] [--json]",
            "list", "usage: pd-queue list [-h] [-k SERVICE_KEY] [--limit N] [--json]",
            "show", "usage: pd-queue show [-h] [--json] SEQ",
            "purge", "usage: pd-queue purge [-h] [--dead | --delivered] [-k SERVICE_KEY] [--seq SEQ] [-y] [--json]");

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
     * @param seqs retry, purge: the chosen events (--seq), empty when whole keys are meant
     */
    public record Command(String command, String key, boolean all, int limit, long seq, DeliveryState purgeState,
                          boolean yes, boolean json, String text, List<Long> seqs) {
        public Command {
            seqs = seqs == null ? List.of() : List.copyOf(seqs);
        }
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
            return new Command("version", null, false, 0, 0, null, false, false, null, null);
        }
        if (!COMMANDS.contains(first)) {
            throw new UsageException("", first.startsWith("-") ? "unrecognized arguments: " + first
                    : "argument command: invalid choice: '" + first + "' (choose from 'status', 'retry', 'list', 'show', 'purge')");
        }
        return parseCommand(first, args);
    }

    /** Each command's options, for the shared parser ({@link Args}): a command knows only its own. */
    private static Args.Spec spec(String cmd) {
        Args.Spec spec = new Args.Spec().flag("-h", "--help").flag("--json");
        if (List.of("status", "retry", "list", "purge", "suppressed").contains(cmd)) {
            spec.value("-k", "--service-key", "--routing-key", "--key");
        }
        switch (cmd) {
            case "retry" -> spec.flag("-a", "--all-keys", "--all").value("--seq");
            case "list", "suppressed" -> spec.value("--limit", "-n");
            case "purge" -> spec.flag("--dead").flag("--delivered").flag("--yes", "-y").value("--seq");
            default -> { }
        }
        return spec;
    }

    private static Command parseCommand(String cmd, String[] args) throws UsageException {
        Args parsed;
        try {
            parsed = spec(cmd).parse(java.util.Arrays.copyOfRange(args, 1, args.length));
        } catch (Args.UsageException e) {
            throw new UsageException(cmd, e.getMessage());
        }
        if (parsed.has("--help")) {
            return help(commandHelp(cmd));
        }
        String key = parsed.last("--service-key");
        if (key != null && key.isBlank()) {
            throw new UsageException(cmd, "argument " + KEY_OPT + ": must not be empty");
        }
        boolean all = parsed.has("--all-keys");
        boolean json = parsed.has("--json");
        boolean yes = parsed.has("--yes");
        Integer limit = null;
        if (parsed.has("--limit")) {
            limit = number(cmd, "--limit", parsed.last("--limit"));
            if (limit < 1 || limit > QueueAdmin.MAX_LIST_LIMIT) {
                throw new UsageException(cmd, "argument --limit: must be from 1 to " + QueueAdmin.MAX_LIST_LIMIT);
            }
        }
        DeliveryState purge = null;
        String purgeFlag = null;
        for (Args.Given g : parsed.given()) {
            if (g.id().equals("--dead") || g.id().equals("--delivered")) {
                DeliveryState s = g.id().equals("--dead") ? DeliveryState.DEAD : DeliveryState.DELIVERED;
                if (purge != null && purge != s) {
                    throw new UsageException(cmd, "argument " + g.id() + ": not allowed with argument " + purgeFlag);
                }
                purge = s;
                purgeFlag = g.id();
            }
        }
        List<String> positional = parsed.positional();
        String seqText = null;
        if (cmd.equals("show") && !positional.isEmpty()) {
            seqText = positional.get(0);
            positional = positional.subList(1, positional.size());
        }
        if (!positional.isEmpty()) {
            throw new UsageException(cmd, "unrecognized arguments: " + String.join(" ", positional));
        }
        List<Long> seqs = seqs(cmd, parsed);
        if (!seqs.isEmpty()) {
            if (key != null) {
                throw new UsageException(cmd, "argument --seq: not allowed with argument " + KEY_OPT);
            }
            if (all) {
                throw new UsageException(cmd, "argument --seq: not allowed with argument -a/--all-keys");
            }
            if (purge == DeliveryState.DELIVERED) {
                throw new UsageException(cmd, "argument --seq: not allowed with argument --delivered (only dead events)");
            }
        }
        long seq = 0;
        switch (cmd) {
            case "retry" -> {
                // PagerDuty Agent's own checks and words
                if (key == null && !all && seqs.isEmpty()) {
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
                purge == null ? DeliveryState.DEAD : purge, yes, json, null, seqs);
    }

    /** Every {@code --seq} value (repeated, or comma lists), duplicates dropped; at most {@link QueueAdmin#MAX_SEQS}. */
    private static List<Long> seqs(String cmd, Args parsed) throws UsageException {
        java.util.LinkedHashSet<Long> out = new java.util.LinkedHashSet<>();
        for (Args.Given g : parsed.given()) {
            if (!g.id().equals("--seq")) {
                continue;
            }
            for (String part : g.value().split(",", -1)) {
                long n;
                try {
                    n = Long.parseLong(part.trim());
                } catch (NumberFormatException e) {
                    n = -1;
                }
                if (n < 1) {
                    throw new UsageException(cmd, "argument --seq: invalid value: '" + part
                            + "' (an event's sequence number, as pd-queue list shows it)");
                }
                out.add(n);
            }
        }
        if (out.size() > QueueAdmin.MAX_SEQS) {
            throw new UsageException(cmd, "argument --seq: at most " + QueueAdmin.MAX_SEQS + " events at once");
        }
        return List.copyOf(out);
    }

    private static int number(String cmd, String option, String v) throws UsageException {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(cmd, "argument " + option + ": invalid int value: '" + v + "'");
        }
    }

    private static Command help(String text) {
        return new Command("help", null, false, 0, 0, null, false, false, text, null);
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
                + "The running agent is found through the endpoint it writes into its data dir (PDAGENTD_DATA_DIR,\n"
                + "default /var/lib/pdaltagent when it exists, else ~/.pdaltagent), else at PDQUEUE_AGENT_URL or\n"
                + "http://127.0.0.1:$PDAGENTD_ADMIN_PORT (8081); PDAGENTD_ADMIN_TOKEN is sent when set. When the agent\n"
                + "is not running, its queue in the data dir is used directly. Exit codes: 0 done, 1 failed, 2 usage error.\n";
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
                    + "  -a, --all-keys        retry events in all Service API Keys (not to be used with -k)\n"
                    + "  --seq SEQ             retry this dead event only (repeatable, or SEQ,SEQ; see pd-queue list)\n" + json;
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
                    + "  --seq SEQ             purge this dead event only (repeatable, or SEQ,SEQ; see pd-queue list)\n"
                    + "  -y, --yes             do not ask for confirmation (required without a terminal)\n" + json;
            case "suppressed" -> "Count per key and rule, then list (oldest first), the events a rule, maintenance\n"
                    + "window or plugin suppressed at ingest: kept, never delivered.\n\noptional arguments:\n" + h + k
                    + "                        only events of given Service API Key\n"
                    + "  --limit N             list at most N events (default " + QueueAdmin.DEFAULT_LIST_LIMIT + ")\n" + json;
            default -> "";
        };
    }
}
