package io.pdaltagent.command;

import io.pdaltagent.dashboard.PasswordHash;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * {@code pdagentd hash-password}: prints a {@code PDAGENTD_ADMIN_PASSWORD_HASH} value for a
 * dashboard password. The password is read from the terminal (asked twice, not echoed) or, when
 * standard input is not a terminal, from its first line ({@code pdagentd hash-password < file},
 * a pipe from a secret store); never from the command line, where {@code ps} and shell history
 * would show it. Exit 0 with the hash on standard output, 2 for arguments or a password that is
 * empty, too short, too long or typed differently twice, 1 when nothing could be read.
 */
public final class HashPasswordCommand implements Command {
    private final Supplier<Console> console;
    private final InputStream stdin;
    private final SecureRandom random;

    public HashPasswordCommand() {
        this(System::console, System.in, new SecureRandom());
    }

    HashPasswordCommand(Supplier<Console> console, InputStream stdin, SecureRandom random) {
        this.console = Objects.requireNonNull(console, "console");
        this.stdin = Objects.requireNonNull(stdin, "stdin");
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public String summary() {
        return "print a PDAGENTD_ADMIN_PASSWORD_HASH for a dashboard password read from the terminal or stdin";
    }

    @Override
    public int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (!args.isEmpty()) {
            err.println("pdagentd hash-password: takes no arguments; type the password when asked, or pipe it on "
                    + "standard input (a password on the command line would show in ps and the shell history)");
            return 2;
        }
        char[] password = null;
        try {
            Console c = console.get();
            if (c != null && isTerminal(c)) {
                password = c.readPassword("Dashboard password: ");
                char[] again = c.readPassword("The same again: ");
                if (password == null || again == null) {
                    err.println("pdagentd hash-password: no password read");
                    return 1;
                }
                boolean same = Arrays.equals(password, again);
                Arrays.fill(again, '\0');
                if (!same) {
                    err.println("pdagentd hash-password: the two passwords differ; nothing printed");
                    return 2;
                }
            } else {
                password = firstLine();
                if (password == null) {
                    err.println("pdagentd hash-password: no password on standard input");
                    return 1;
                }
            }
            String problem = problem(password);
            if (problem != null) {
                err.println("pdagentd hash-password: " + problem);
                return 2;
            }
            out.println(PasswordHash.create(password, random).encoded());
            return 0;
        } catch (IOException e) {
            err.println("pdagentd hash-password: cannot read the password: " + e.getMessage());
            return 1;
        } finally {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
    }

    /**
     * From Java 22 {@link System#console()} also answers when standard input is redirected, and
     * {@code Console.isTerminal()} tells; Java 21 has no such method and no console then.
     */
    static boolean isTerminal(Console c) {
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    static String problem(char[] password) {
        if (password.length < PasswordHash.MIN_PASSWORD_CHARS) {
            return "the password must have at least " + PasswordHash.MIN_PASSWORD_CHARS + " characters";
        }
        if (password.length > PasswordHash.MAX_PASSWORD_CHARS) {
            return "the password must have at most " + PasswordHash.MAX_PASSWORD_CHARS + " characters";
        }
        return null;
    }

    /** The first line of standard input without its line end (LF or CRLF), or null at once at end of input. */
    private char[] firstLine() throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        char[] buf = new char[PasswordHash.MAX_PASSWORD_CHARS + 2];
        int n = 0;
        int c = in.read();
        if (c == -1) {
            return null;
        }
        while (n < buf.length && c != -1 && c != '\n') {
            buf[n++] = (char) c;
            c = in.read();
        }
        if (n > 0 && buf[n - 1] == '\r') {
            n--;
        }
        char[] line = Arrays.copyOf(buf, n);
        Arrays.fill(buf, '\0');
        return line;
    }
}
