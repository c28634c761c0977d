package io.pdaltagent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code pdagentd --help}, {@code --version}, {@code help COMMAND} and {@code COMMAND --help} for every command. */
class MainHelpTest {
    record Run(int code, String out, String err) {
    }

    private static Run pdagentd(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.main(List.of(args), Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpListsEveryCommandWithItsTextInOneColumnApartFromTheLongestName() {
        Run help = pdagentd("--help");
        assertThat(help.code()).isZero();
        assertThat(help.err()).isEmpty();
        List<String> rows = help.out().lines().filter(l -> l.startsWith("  ") && !l.startsWith("   ")).toList();
        List<String> names = List.copyOf(Main.commands().keySet());
        assertThat(rows).extracting(r -> r.strip().split(" ")[0]).containsSubsequence(names);
        int column = -1;
        for (String name : names) {
            String row = rows.stream().filter(r -> r.startsWith("  " + name + " ")).findFirst().orElseThrow();
            int text = row.indexOf(Main.commands().get(name).summary());
            assertThat(text).as(name).isGreaterThan(0);
            assertThat(row.substring(2 + name.length(), text)).as("at least two spaces after " + name).matches(" {2,}");
            if (column < 0) {
                column = text;
            }
            assertThat(text).as("the text of " + name + " starts in the same column").isEqualTo(column);
        }
        assertThat(pdagentd("-h").out()).isEqualTo(help.out());
        assertThat(pdagentd("help").out()).isEqualTo(help.out());
    }

    @Test
    void versionPrintsTheVersionOnly() {
        for (String flag : new String[] {"--version", "-V", "version"}) {
            Run v = pdagentd(flag);
            assertThat(v.code()).as(flag).isZero();
            assertThat(v.out()).as(flag).isEqualTo("pdagentd " + Agent.version() + "\n");
        }
    }

    @Test
    void everyCommandHasItsOwnHelpThroughHelpAndThroughDashDashHelpWithoutRunning() {
        for (String name : Main.commands().keySet()) {
            Run viaHelp = pdagentd("help", name);
            assertThat(viaHelp.code()).as(name).isZero();
            assertThat(viaHelp.out()).as(name).startsWith("usage: pdagentd ").contains(name);
            assertThat(viaHelp.out().lines().count()).as(name + ": a usage line and what it does").isGreaterThanOrEqualTo(3);
            assertThat(pdagentd(name, "--help")).as(name).isEqualTo(viaHelp);
            assertThat(pdagentd(name, "-h")).as(name).isEqualTo(viaHelp);
        }
        assertThat(pdagentd("help", "import-pdagent").out()).contains("--include-dead", "--conf FILE", "DIR");
        assertThat(pdagentd("help", "check-rules").out()).contains("FILE [EVENT.json]");
    }

    @Test
    void anUnknownCommandOrHelpTopicIsAUsageError() {
        Run bad = pdagentd("--frobnicate");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).isEqualTo("pdagentd: unknown command or option '--frobnicate'; see pdagentd --help\n");
        Run topic = pdagentd("help", "frobnicate");
        assertThat(topic.code()).isEqualTo(2);
        assertThat(topic.err()).startsWith("pdagentd help: no command 'frobnicate'; the commands are run, config,");
        assertThat(pdagentd("run", "extra").code()).isEqualTo(2);
        assertThat(pdagentd("config", "extra").err()).isEqualTo("pdagentd config: takes no arguments\n");
    }
}
