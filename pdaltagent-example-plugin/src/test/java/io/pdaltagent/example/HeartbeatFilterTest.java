package io.pdaltagent.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.pdaltagent.api.FilterResult;
import io.pdaltagent.api.PluginEvent;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeartbeatFilterTest {
    private static Map<String, Object> v2(String cls) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("summary", "s");
        if (cls != null) {
            payload.put("class", cls);
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("payload", payload);
        return e;
    }

    @Test
    void dropsHeartbeatsAndMarksEveryOtherAlertEvent() {
        HeartbeatFilter f = new HeartbeatFilter();
        assertThat(f.filter(new PluginEvent("v2", "k", v2("heartbeat")))).isEqualTo(FilterResult.drop());
        FilterResult r = f.filter(new PluginEvent("v2", "k", v2("disk")));
        assertThat(r.body()).extractingByKey("payload").asString().contains("relayed_by=pdaltagent example plugin");
        assertThat(f.filter(new PluginEvent("change", "k", v2(null)))).isEqualTo(FilterResult.unchanged());
    }

    @Test
    void portCheckTriggersWhenThePortStopsAnsweringAndResolvesWhenItAnswersAgain() throws Exception {
        try (ServerSocket server = new ServerSocket(0)) {
            String target = "127.0.0.1:" + server.getLocalPort();
            PortCheckSource s = new PortCheckSource(target, "k".repeat(32), Duration.ofSeconds(1));
            assertThat(s.fetchEvents()).as("up from the start: nothing to say").isEmpty();
            server.close();
            assertThat(s.fetchEvents()).singleElement().satisfies(e -> assertThat(e.body().get("event_action"))
                    .isEqualTo("trigger"));
            assertThat(s.fetchEvents()).as("still down: no second trigger").isEmpty();
            try (ServerSocket again = new ServerSocket(Integer.parseInt(target.substring(target.indexOf(':') + 1)))) {
                assertThat(s.fetchEvents()).singleElement().satisfies(e -> assertThat(e.body().get("event_action"))
                        .isEqualTo("resolve"));
            }
        }
    }
}
