package io.pdaltagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The pieces pd-nagios, pd-zabbix and pd-sensu share. */
class PdIntegrationTest {
    @Test
    void timestampsAreWhatPythonsUtcnowIsoformatWrote() {
        // pdagent/pdagentutil.py utcnow_isoformat: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        SplittableRandom random = new SplittableRandom(42);
        long[] edges = {0L, 951_782_400L /* 2000-02-29 */, 4_107_542_399L /* 2100-02-28T23:59:59 */, -1L,
            253_402_300_799L /* 9999-12-31T23:59:59 */};
        for (long s : edges) {
            assertThat(PdIntegration.utcTimestamp(s)).isEqualTo(Instant.ofEpochSecond(s).toString());
        }
        for (int i = 0; i < 10_000; i++) {
            long s = random.nextLong(0L, 253_402_300_800L);
            assertThat(PdIntegration.utcTimestamp(s)).isEqualTo(Instant.ofEpochSecond(s).truncatedTo(ChronoUnit.SECONDS).toString());
        }
    }

    @Test
    void theAgentContextHasPagerDutyAgentsThreeFields() {
        Map<String, Object> agent = PdIntegration.agentContext("id", "pd-zabbix", 1_714_557_600_999L);

        assertThat(Json.write(agent)).isEqualTo(
                "{\"agent_id\":\"id\",\"queued_at\":\"2024-05-01T10:00:00Z\",\"queued_by\":\"pd-zabbix\"}");
    }

    @Test
    void theAgentIdIsAStableUuid() {
        String id = PdIntegration.agentId();

        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(PdIntegration.agentId()).isEqualTo(id);
    }

    @Test
    void stripRemovesWhatPythonCallsWhiteSpace() {
        assertThat(PdIntegration.pyStrip(" \t\r\n\u000b\f\u001c\u00a0\u2003x y\u3000\u0085 ")).isEqualTo("x y");
        assertThat(PdIntegration.pyStrip("\u200bx")).isEqualTo("\u200bx"); // a zero-width space is no space to Python
    }

    @Test
    void truncationCountsCharactersAndNeverSplitsASurrogatePair() {
        assertThat(PdIntegration.truncate("abc", 5)).isEqualTo("abc");
        assertThat(PdIntegration.truncate("a\uD83D\uDE00b", 2)).isEqualTo("a\uD83D\uDE00");
    }

    @Test
    void keysAreSortedAtEveryLevelAsSortKeysTrue() {
        Object tree = Json.parse("{\"b\":1,\"a\":[{\"z\":null,\"y\":true}],\"C\":{\"b\":\"x\",\"a\":1.50}}");

        assertThat(Json.write(PdIntegration.sortKeys(tree)))
                .isEqualTo("{\"C\":{\"a\":1.50,\"b\":\"x\"},\"a\":[{\"y\":true,\"z\":null}],\"b\":1}");
    }

    @Test
    void pythonsPercentSFormatsJsonScalarsAsPythonDid() {
        assertThat(List.of(PdIntegration.pyStr("s"), PdIntegration.pyStr(7L), PdIntegration.pyStr(true),
                PdIntegration.pyStr(null))).containsExactly("s", "7", "True", "None");
    }
}
