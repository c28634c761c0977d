package io.pdaltagent.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.queue.DeliveryState;
import org.junit.jupiter.api.Test;

class PdQueueArgsTest {

    @Test
    void statusWithAndWithoutAKey() throws Exception {
        PdQueueArgs.Command c = PdQueueArgs.parse("status");
        assertThat(c.command()).isEqualTo("status");
        assertThat(c.key()).isNull();
        assertThat(c.json()).isFalse();
        assertThat(PdQueueArgs.parse("status", "-k", "key1").key()).isEqualTo("key1");
        assertThat(PdQueueArgs.parse("status", "--service-key", "key1").key()).isEqualTo("key1");
        assertThat(PdQueueArgs.parse("status", "--service-key=key1").key()).isEqualTo("key1");
        assertThat(PdQueueArgs.parse("status", "--routing-key", "key1").key()).isEqualTo("key1");
        assertThat(PdQueueArgs.parse("status", "-kkey1").key()).isEqualTo("key1");
        PdQueueArgs.Command j = PdQueueArgs.parse("status", "--json", "-k", "key1");
        assertThat(j.json()).isTrue();
        assertThat(j.key()).isEqualTo("key1");
    }

    @Test
    void retryNeedsExactlyOneOfKeyOrAllWithPagerDutyAgentsWords() throws Exception {
        assertThat(PdQueueArgs.parse("retry", "-k", "key2").key()).isEqualTo("key2");
        assertThat(PdQueueArgs.parse("retry", "-a").all()).isTrue();
        assertThat(PdQueueArgs.parse("retry", "--all-keys", "--json").json()).isTrue();
        assertUsage(new String[] {"retry"}, "pd-queue retry: error: A specific service key or a flag for all keys required",
                "usage: pd-queue retry [-h] [-k SERVICE_KEY] [-a] [--seq SEQ] [--json]");
        assertUsage(new String[] {"retry", "-k", "key1", "-a"},
                "pd-queue retry: error: Only one of specific service key or flag for all keys required", null);
        assertUsage(new String[] {"retry", "-a", "--service-key", "key1"},
                "pd-queue retry: error: Only one of specific service key or flag for all keys required", null);
    }

    @Test
    void retryAndPurgeTakeChosenEventsExclusiveOfKeysAndAll() throws Exception {
        assertThat(PdQueueArgs.parse("retry", "--seq", "12").seqs()).containsExactly(12L);
        assertThat(PdQueueArgs.parse("retry", "--seq", "12", "--seq=14,13", "--seq", "12").seqs()).containsExactly(12L, 14L, 13L);
        assertThat(PdQueueArgs.parse("retry", "-k", "key2").seqs()).isEmpty();
        PdQueueArgs.Command p = PdQueueArgs.parse("purge", "--seq", "7", "--yes");
        assertThat(p.seqs()).containsExactly(7L);
        assertThat(p.purgeState()).isEqualTo(DeliveryState.DEAD);
        assertUsage(new String[] {"retry", "--seq", "3", "-a"}, "pd-queue retry: error: argument --seq: not allowed with argument -a/--all-keys", null);
        assertUsage(new String[] {"retry", "--seq", "3", "-k", "k"},
                "pd-queue retry: error: argument --seq: not allowed with argument -k/--service-key", null);
        assertUsage(new String[] {"purge", "--seq", "3", "--delivered"},
                "pd-queue purge: error: argument --seq: not allowed with argument --delivered (only dead events)", null);
        assertUsage(new String[] {"retry", "--seq", "0"},
                "pd-queue retry: error: argument --seq: invalid value: '0' (an event's sequence number, as pd-queue list shows it)", null);
        assertUsage(new String[] {"retry", "--seq", "x"},
                "pd-queue retry: error: argument --seq: invalid value: 'x' (an event's sequence number, as pd-queue list shows it)", null);
        assertThatThrownBy(() -> PdQueueArgs.parse("status", "--seq", "3")).isInstanceOf(PdQueueArgs.UsageException.class);
    }

    @Test
    void listShowAndPurge() throws Exception {
        PdQueueArgs.Command l = PdQueueArgs.parse("list");
        assertThat(l.limit()).isEqualTo(QueueAdmin.DEFAULT_LIST_LIMIT);
        assertThat(PdQueueArgs.parse("list", "--limit", "5", "-k", "k").limit()).isEqualTo(5);
        assertThat(PdQueueArgs.parse("list", "--limit=7").limit()).isEqualTo(7);
        assertThat(PdQueueArgs.parse("show", "12").seq()).isEqualTo(12);
        assertThat(PdQueueArgs.parse("show", "--json", "12").json()).isTrue();
        assertThat(PdQueueArgs.parse("show", "--", "12").seq()).isEqualTo(12);
        PdQueueArgs.Command p = PdQueueArgs.parse("purge");
        assertThat(p.purgeState()).isEqualTo(DeliveryState.DEAD);
        assertThat(p.yes()).isFalse();
        assertThat(PdQueueArgs.parse("purge", "--delivered", "--yes").purgeState()).isEqualTo(DeliveryState.DELIVERED);
        assertThat(PdQueueArgs.parse("purge", "--dead", "-y", "-k", "k").yes()).isTrue();
        assertThat(PdQueueArgs.parse("purge", "--dead", "--dead").purgeState()).isEqualTo(DeliveryState.DEAD);
    }

    @Test
    void usageErrorsSayWhatIsWrong() {
        assertUsage(new String[] {}, "pd-queue: error: a command is required: one of status, retry, list, show, purge, suppressed",
                "usage: pd-queue [-h] [--version] {status,retry,list,show,purge,suppressed} ...");
        assertUsage(new String[] {"stats"}, "pd-queue: error: argument command: invalid choice: 'stats' "
                + "(choose from 'status', 'retry', 'list', 'show', 'purge')", null);
        assertUsage(new String[] {"--bogus"}, "pd-queue: error: unrecognized arguments: --bogus", null);
        assertUsage(new String[] {"status", "-x"}, "pd-queue status: error: unrecognized arguments: -x", null);
        assertUsage(new String[] {"status", "extra"}, "pd-queue status: error: unrecognized arguments: extra", null);
        assertUsage(new String[] {"status", "-a"}, "pd-queue status: error: unrecognized arguments: -a", null);
        assertUsage(new String[] {"status", "-k"}, "pd-queue status: error: argument -k/--service-key: expected one argument", null);
        assertUsage(new String[] {"status", "-k", "--json"},
                "pd-queue status: error: argument -k/--service-key: expected one argument (a value starting with '-' must be "
                        + "attached: -k--json)", null);
        assertUsage(new String[] {"status", "-k", ""}, "pd-queue status: error: argument -k/--service-key: must not be empty", null);
        assertUsage(new String[] {"list", "--limit", "x"}, "pd-queue list: error: argument --limit: invalid int value: 'x'", null);
        assertUsage(new String[] {"list", "--limit", "0"}, "pd-queue list: error: argument --limit: must be from 1 to 10000", null);
        assertUsage(new String[] {"show"}, "pd-queue show: error: the following arguments are required: SEQ",
                "usage: pd-queue show [-h] [--json] SEQ");
        assertUsage(new String[] {"show", "abc"}, "pd-queue show: error: argument SEQ: invalid value: 'abc' "
                + "(an event's sequence number, as pd-queue list shows it)", null);
        assertUsage(new String[] {"show", "1", "2"}, "pd-queue show: error: unrecognized arguments: 2", null);
        assertUsage(new String[] {"purge", "--dead", "--delivered"},
                "pd-queue purge: error: argument --delivered: not allowed with argument --dead", null);
        assertUsage(new String[] {"purge", "--yes=no"}, "pd-queue purge: error: argument --yes: ignored explicit argument 'no'", null);
        assertUsage(new String[] {"retry", "--json=1", "-a"}, "pd-queue retry: error: argument --json: ignored explicit argument '1'", null);
    }

    @Test
    void helpAndVersion() throws Exception {
        PdQueueArgs.Command h = PdQueueArgs.parse("--help");
        assertThat(h.command()).isEqualTo("help");
        assertThat(h.text()).startsWith("usage: pd-queue [-h]").contains("status", "retry", "list", "show", "purge",
                "PDQUEUE_AGENT_URL", "PDAGENTD_DATA_DIR");
        for (String cmd : PdQueueArgs.COMMANDS) {
            PdQueueArgs.Command ch = PdQueueArgs.parse(cmd, "-h");
            assertThat(ch.command()).isEqualTo("help");
            assertThat(ch.text()).startsWith(PdQueueArgs.usage(cmd));
        }
        assertThat(PdQueueArgs.parse("retry", "-h").text()).contains("retry events in all Service API Keys (not to be used with -k)");
        assertThat(PdQueueArgs.parse("--version").command()).isEqualTo("version");
    }

    private static void assertUsage(String[] args, String message, String usage) {
        assertThatThrownBy(() -> PdQueueArgs.parse(args))
                .isInstanceOfSatisfying(PdQueueArgs.UsageException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo(message);
                    assertThat(e.usage()).startsWith("usage: pd-queue");
                    if (usage != null) {
                        assertThat(e.usage()).isEqualTo(usage);
                    }
                });
    }
}
