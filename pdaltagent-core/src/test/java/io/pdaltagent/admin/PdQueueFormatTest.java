package io.pdaltagent.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pdaltagent.queue.DeliveryState;
import org.junit.jupiter.api.Test;

class PdQueueFormatTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void statusIsPagerDutyAgentsTableByteForByte() throws Exception {
        JsonNode doc = JSON.readTree("""
                {"keys":[{"key":"key1","pending":1,"succeeded":0,"dead":0,"throttled":false},
                         {"key":"key2","pending":1,"succeeded":0,"dead":1,"throttled":false},
                         {"key":"key3","pending":0,"succeeded":1,"dead":0,"throttled":false}],
                 "totals":{"pending":2,"succeeded":1,"dead":1,"throttled_keys":0}}""");
        // what PagerDuty Agent's "%-35s%10s%10s%10s" table prints for its own integration scenario
        assertThat(PdQueueFormat.status(doc)).isEqualTo(""
                + "Service Key                           Pending   Success  In Error\n"
                + "=================================================================\n"
                + "key1                                        1         0         0\n"
                + "key2                                        1         0         1\n"
                + "key3                                        0         1         0\n");
        // and what its test reads from it: `tail -n+3 | tr -s " "`
        assertThat(squeeze(PdQueueFormat.status(doc))).isEqualTo("key1 1 0 0\nkey2 1 0 1\nkey3 0 1 0\n");
    }

    @Test
    void aThrottledKeyIsFlaggedAfterItsCounts() throws Exception {
        JsonNode doc = JSON.readTree("""
                {"keys":[{"key":"R0123456789abcdef0123456789abcde","pending":12,"succeeded":3400,"dead":0,"throttled":true}],
                 "totals":{"pending":12,"succeeded":3400,"dead":0,"throttled_keys":1}}""");
        assertThat(PdQueueFormat.status(doc)).endsWith("\n"
                + "R0123456789abcdef0123456789abcde           12      3400         0  throttled\n");
        assertThat(squeeze(PdQueueFormat.status(doc))).isEqualTo("R0123456789abcdef0123456789abcde 12 3400 0 throttled\n");
    }

    @Test
    void nothingToReport() throws Exception {
        assertThat(PdQueueFormat.status(JSON.readTree("{\"keys\":[],\"totals\":{}}"))).isEqualTo("Nothing to report.\n");
    }

    @Test
    void retryAndPurgeMessages() throws Exception {
        assertThat(PdQueueFormat.retried(JSON.readTree("{\"retried\":2}"))).isEqualTo("2 event(s) set up for retry.\n");
        assertThat(PdQueueFormat.retried(JSON.readTree("{\"retried\":0}"))).isEqualTo("0 event(s) set up for retry.\n");
        assertThat(PdQueueFormat.purged(JSON.readTree("{\"purged\":3}"), DeliveryState.DEAD)).isEqualTo("3 dead event(s) purged.\n");
        assertThat(PdQueueFormat.purged(JSON.readTree("{\"purged\":1}"), DeliveryState.DELIVERED))
                .isEqualTo("1 delivered event(s) purged.\n");
    }

    @Test
    void deadListHasOneAlignedLineEachWithTheAnswerInFull() throws Exception {
        JsonNode doc = JSON.readTree("""
                {"events":[
                  {"seq":7,"key":"key2aaaaaaaaaaaaaaaaaaaaaaaaaaaa","dedup_key":"test21","state":"dead",
                   "destination":{"kind":"events","target":"/v2/enqueue"},"attempts":1,"accepted_at":"2025-03-01T12:00:00.123Z",
                   "last_status":400,"last_error":"HTTP 400: {\\"status\\":\\"invalid event\\"}"},
                  {"seq":1234,"key":"key3aaaaaaaaaaaaaaaaaaaaaaaaaaaa","dedup_key":null,"state":"dead",
                   "destination":{"kind":"events","target":"/v2/enqueue"},"attempts":12,"accepted_at":"2025-03-01T12:00:01Z",
                   "last_status":null,"last_error":"expired: not delivered within PT168H (11 attempt(s))"}],
                 "more":false}""");
        assertThat(PdQueueFormat.dead(doc, null)).isEqualTo(""
                + "Seq   Service Key                       Dedup Key  Attempts  Accepted At           Last Error\n"
                + "=============================================================================================\n"
                + "7     key2aaaaaaaaaaaaaaaaaaaaaaaaaaaa  test21            1  2025-03-01T12:00:00Z  HTTP 400: {\"status\":\"invalid event\"}\n"
                + "1234  key3aaaaaaaaaaaaaaaaaaaaaaaaaaaa  -                12  2025-03-01T12:00:01Z  expired: not delivered within PT168H (11 attempt(s))\n");
    }

    @Test
    void deadListSaysWhenItWasCutOrIsEmpty() throws Exception {
        JsonNode cut = JSON.readTree("""
                {"events":[{"seq":1,"key":"k","dedup_key":"d","attempts":1,"accepted_at":"2025-03-01T12:00:00Z",
                  "last_status":400,"last_error":"HTTP 400"}],"more":true}""");
        assertThat(PdQueueFormat.dead(cut, null)).endsWith("\n(more dead events than shown: pd-queue list --limit N shows more)\n");
        assertThat(PdQueueFormat.dead(JSON.readTree("{\"events\":[],\"more\":false}"), null)).isEqualTo("No dead events.\n");
        assertThat(PdQueueFormat.dead(JSON.readTree("{\"events\":[],\"more\":false}"), "key1"))
                .isEqualTo("No dead events for service key key1.\n");
    }

    @Test
    void oneEventWithItsAnswerAndBody() throws Exception {
        JsonNode doc = JSON.readTree("""
                {"seq":7,"key":"key2aaaaaaaaaaaaaaaaaaaaaaaaaaaa","dedup_key":"test21","state":"dead",
                 "destination":{"kind":"events","target":"/generic/2010-04-15/create_event.json"},"attempts":1,
                 "accepted_at":"2025-03-01T12:00:00Z","last_status":400,"last_error":"HTTP 400: {\\"status\\":\\"invalid event\\"}",
                 "content_type":"application/json","body":"{\\"service_key\\":\\"key2\\"}"}""");
        assertThat(PdQueueFormat.event(doc)).isEqualTo("""
                Seq:          7
                State:        dead
                Service Key:  key2aaaaaaaaaaaaaaaaaaaaaaaaaaaa
                Dedup Key:    test21
                Destination:  events /generic/2010-04-15/create_event.json
                Accepted At:  2025-03-01T12:00:00Z
                Attempts:     1
                Last Status:  400
                Last Error:   HTTP 400: {"status":"invalid event"}
                Content-Type: application/json

                {"service_key":"key2"}
                """);
    }

    /** {@code tail -n+3 | tr -s " "}, as PagerDuty Agent's integration test reads the table. */
    static String squeeze(String table) {
        String[] lines = table.split("\n", -1);
        StringBuilder out = new StringBuilder();
        for (int i = 2; i < lines.length; i++) {
            out.append(lines[i].replaceAll(" +", " ")).append(i < lines.length - 1 ? "\n" : "");
        }
        return out.toString();
    }
}
