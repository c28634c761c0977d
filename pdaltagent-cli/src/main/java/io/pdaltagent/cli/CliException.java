package io.pdaltagent.cli;

/**
 * Why a command could not do its job, in one line a person can act on. The command prints
 * {@code <command>: <message>} on stderr and exits with {@link #exitCode()}: 1 for a failure (the
 * agent rejected the event, nothing could store it), 2 for a usage error (a missing or bad flag).
 */
public class CliException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Exit code of a failure. */
    public static final int FAILURE = 1;
    /** Exit code of a usage error, as argparse (PagerDuty Agent's pd-send) uses it. */
    public static final int USAGE = 2;

    private final int exitCode;

    /** A failure: exit code 1. */
    public CliException(String message) {
        this(message, FAILURE);
    }

    public CliException(String message, int exitCode) {
        super(oneLine(message), null, false, false);
        this.exitCode = exitCode;
    }

    /** Parses a command line with the shared parser; its usage error becomes a usage error here (exit 2). */
    static io.pdaltagent.common.Args parse(io.pdaltagent.common.Args.Spec spec, String[] argv) throws CliException {
        try {
            return spec.parse(argv);
        } catch (io.pdaltagent.common.Args.UsageException e) {
            throw usage(e.getMessage());
        }
    }

    /** A usage error: exit code 2; the command prints its usage with it. */
    public static CliException usage(String message) {
        return new CliException(message, USAGE);
    }

    public int exitCode() {
        return exitCode;
    }

    public boolean isUsageError() {
        return exitCode == USAGE;
    }

    /** Line breaks become spaces: a monitoring system logs the first line only. */
    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
        }
        return b.toString().strip();
    }
}
