package io.pdaltagent.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.config.ConfigException;
import io.pdaltagent.testing.PluginJar;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plugin jars built here, loaded from a directory by ServiceLoader, each call bounded in time. */
class PluginsTest {
    static final String KEY = "0123456789abcdef0123456789abcdef";
    static final String OTHER = "fedcba9876543210fedcba9876543210";
    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    /** Filters: enrich (adds payload.custom_details.enriched_by), drop heartbeats, reroute, throw, hang. */
    static Path pluginJar(Path dir) throws Exception {
        Files.createDirectories(dir);
        return PluginJar.builder()
                .source("demo.Enrich", """
                        package demo;
                        import io.pdaltagent.api.*;
                        import java.util.*;
                        public class Enrich implements EventFilter {
                            @SuppressWarnings("unchecked")
                            public FilterResult filter(PluginEvent e) {
                                Map<String, Object> p = (Map<String, Object>) e.body().get("payload");
                                if (p == null) return FilterResult.unchanged();
                                Map<String, Object> d = (Map<String, Object>) p.computeIfAbsent("custom_details", k -> new LinkedHashMap<>());
                                d.put("enriched_by", "demo");
                                String summary = String.valueOf(p.get("summary"));
                                if (summary.contains("heartbeat")) return FilterResult.drop();
                                if (summary.contains("reroute")) return FilterResult.reroute("%s", e.body());
                                return FilterResult.changed(e.body());
                            }
                        }""".formatted(OTHER))
                .source("demo.Throws", """
                        package demo;
                        import io.pdaltagent.api.*;
                        public class Throws implements EventFilter {
                            public FilterResult filter(PluginEvent e) { throw new IllegalStateException("plugin bug"); }
                        }""")
                .source("demo.Hangs", """
                        package demo;
                        import io.pdaltagent.api.*;
                        public class Hangs implements EventFilter {
                            public FilterResult filter(PluginEvent e) throws Exception {
                                if (String.valueOf(e.body()).contains("hang")) {
                                    long until = System.nanoTime() + 3_000_000_000L;
                                    while (System.nanoTime() < until) {
                                        try { Thread.sleep(100); } catch (InterruptedException ignored) { }
                                    }
                                }
                                return FilterResult.unchanged();
                            }
                        }""")
                .source("demo.Tick", """
                        package demo;
                        import io.pdaltagent.api.*;
                        import java.time.Duration;
                        import java.util.*;
                        public class Tick implements EventSource {
                            public Schedule schedule() { return Schedule.every(Duration.ofMillis(200)); }
                            public List<Event> fetchEvents() {
                                Map<String, Object> payload = new LinkedHashMap<>();
                                payload.put("summary", "tick from the source, mail ops@example.com");
                                payload.put("source", "tick");
                                payload.put("severity", "info");
                                Map<String, Object> e = new LinkedHashMap<>();
                                e.put("routing_key", "%s");
                                e.put("event_action", "trigger");
                                e.put("dedup_key", "tick");
                                e.put("payload", payload);
                                return List.of(Event.v2(e));
                            }
                        }""".formatted(KEY))
                .service("io.pdaltagent.api.EventFilter", "demo.Throws")
                .service("io.pdaltagent.api.EventFilter", "demo.Hangs")
                .service("io.pdaltagent.api.EventFilter", "demo.Enrich")
                .service("io.pdaltagent.api.EventSource", "demo.Tick")
                .write(dir.resolve("demo-plugin.jar"));
    }

    static TransformEvent event(String summary) throws Exception {
        ObjectNode e = (ObjectNode) MAPPER.readTree("""
                {"routing_key":"%s","event_action":"trigger","dedup_key":"d",
                 "payload":{"summary":"%s","source":"s","severity":"info"}}""".formatted(KEY, summary));
        return new TransformEvent(e, TransformEvent.Kind.V2, KEY);
    }

    @Test
    void loadsFiltersFromAJarInTheDirectoryAndAppliesThemDespiteAThrowingAndAHangingOne(@TempDir Path dir) throws Exception {
        pluginJar(dir.resolve("plugins"));
        AgentConfig.TransformConfig tc = new AgentConfig.TransformConfig(Set.of("email"), null, dir.resolve("plugins"),
                Duration.ofMillis(200));
        try (Transforms t = Transforms.start(tc, Clock.systemUTC())) {
            assertThat(t.plugins().eventFilters()).extracting(f -> f.name()).containsExactly("demo.Throws", "demo.Hangs",
                    "demo.Enrich");
            TransformEvent plain = event("disk full");
            t.chain().run(plain);
            assertThat(plain.changed()).isTrue();
            assertThat(plain.event().at("/payload/custom_details/enriched_by").textValue()).isEqualTo("demo");

            TransformEvent hang = event("hang please");
            long t0 = System.nanoTime();
            t.chain().run(hang);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("bounded by the timeout, not the 3 s hang")
                    .isLessThan(Duration.ofMillis(2500));
            assertThat(hang.event().at("/payload/custom_details/enriched_by").textValue())
                    .as("the filters after a hanging one still run").isEqualTo("demo");

            TransformEvent heartbeat = event("heartbeat ok");
            t.chain().run(heartbeat);
            assertThat(heartbeat.suppressedBy()).isEqualTo("plugin:demo.Enrich");

            TransformEvent reroute = event("reroute me, jane@example.com");
            t.chain().run(reroute);
            assertThat(reroute.routingKey()).isEqualTo(OTHER);
            assertThat(reroute.event().at("/payload/summary").textValue())
                    .as("the scrubber runs after the plugins").isEqualTo("reroute me, {{EMAIL_ADDRESS}}");

            StringBuilder metrics = new StringBuilder();
            t.write(metrics);
            assertThat(metrics.toString()).contains(
                    "pdaltagent_transform_plugin_event_filter_failed_total{plugin=\"demo.Throws\"} 4",
                    "pdaltagent_transform_plugin_event_filter_failed_total{plugin=\"demo.Hangs\"} 1",
                    "pdaltagent_transform_plugin_event_filter_matched_total{plugin=\"demo.Enrich\"} 4",
                    "pdaltagent_transform_plugin_event_filter_suppressed_total{plugin=\"demo.Enrich\"} 1");
        }
    }

    @Test
    void runsAnEventSourceOnItsIntervalIntoTheSink(@TempDir Path dir) throws Exception {
        pluginJar(dir.resolve("plugins"));
        AgentConfig.TransformConfig tc = new AgentConfig.TransformConfig(Set.of(), null, dir.resolve("plugins"),
                Duration.ofMillis(200));
        List<String> got = new CopyOnWriteArrayList<>();
        try (Transforms t = Transforms.start(tc, Clock.systemUTC())) {
            t.startSources(Clock.systemUTC(), (path, body) -> {
                got.add(path + " " + new String(body, StandardCharsets.UTF_8));
                return null;
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> got.size() >= 2);
            assertThat(got.get(0)).startsWith("/v2/enqueue {\"routing_key\":\"" + KEY + "\"").contains("\"dedup_key\":\"tick\"");
        }
    }

    @Test
    void aPluginThatCannotBeCreatedStopsTheAgentNamingIt(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("p"));
        PluginJar.builder()
                .source("bad.NoCtor", """
                        package bad;
                        import io.pdaltagent.api.*;
                        public class NoCtor implements EventFilter {
                            public NoCtor(String x) { }
                            public FilterResult filter(PluginEvent e) { return FilterResult.unchanged(); }
                        }""")
                .service("io.pdaltagent.api.EventFilter", "bad.NoCtor")
                .write(dir.resolve("p/bad.jar"));
        assertThatThrownBy(() -> Plugins.load(dir.resolve("p")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PDAGENTD_PLUGINS_DIR")
                .hasMessageContaining("bad.NoCtor");
    }

    @Test
    void aCronSourceRunsWhenItsScheduleFiresInItsTimeZone() {
        SourceRunner r = new SourceRunner(List.of(), Clock.systemUTC(), (p, b) -> null);
        io.pdaltagent.api.EventSource.Schedule daily = io.pdaltagent.api.EventSource.Schedule.cron("30 2 * * *",
                "America/New_York");
        // 02:30 EST is 07:30Z
        assertThat(r.next(daily, java.time.Instant.parse("2026-01-07T07:00:00Z")))
                .isEqualTo(java.time.Instant.parse("2026-01-07T07:30:00Z"));
        assertThat(r.next(daily, java.time.Instant.parse("2026-01-07T07:30:00Z")))
                .isEqualTo(java.time.Instant.parse("2026-01-08T07:30:00Z"));
        // 2026-03-08 has no 02:30 in New York: the run is at 03:00 EDT (07:00Z), right after the gap
        assertThat(r.next(daily, java.time.Instant.parse("2026-03-08T05:00:00Z")))
                .isEqualTo(java.time.Instant.parse("2026-03-08T07:00:00Z"));
        io.pdaltagent.api.EventSource.Schedule every = io.pdaltagent.api.EventSource.Schedule.every(Duration.ofSeconds(90));
        assertThat(r.next(every, java.time.Instant.parse("2026-01-07T07:00:00Z")))
                .isEqualTo(java.time.Instant.parse("2026-01-07T07:01:30Z"));
    }
}
