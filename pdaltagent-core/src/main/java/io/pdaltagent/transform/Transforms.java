package io.pdaltagent.transform;

import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.observe.Metrics;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The transform stage as configured ({@link AgentConfig.TransformConfig}): builds the chain in its
 * fixed order (rules and maintenance windows, then the plugins' event filters, then the PII
 * scrubber), holds the plugins' webhook filters for the webhook relay, starts what runs in the background (the rules reloader, the plugins' event sources), writes the per-rule counters into {@code /metrics}, and stops
 * it all. With nothing configured the chain is {@link TransformChain#NONE}.
 *
 * <p>Threads: built and closed by the composition root; {@link #write} is called by metrics scrapes.
 */
public final class Transforms implements Metrics.Section, AutoCloseable {
    private static final String P = "pdaltagent_transform_";

    private final TransformChain chain;
    private final RulesStage rules;
    private final PiiScrubber scrubber;
    private final Plugins plugins;
    private final PluginStage pluginStage;
    private final WebhookPluginStage webhookStage;
    private volatile SourceRunner sources;

    private Transforms(TransformChain chain, RulesStage rules, PiiScrubber scrubber, Plugins plugins,
                       PluginStage pluginStage, WebhookPluginStage webhookStage) {
        this.webhookStage = webhookStage;
        this.chain = chain;
        this.rules = rules;
        this.scrubber = scrubber;
        this.plugins = plugins;
        this.pluginStage = pluginStage;
    }

    /** The plugins loaded from {@code PDAGENTD_PLUGINS_DIR} ({@link Plugins#NONE} without one). */
    public Plugins plugins() {
        return plugins;
    }

    /**
     * The plugins' webhook filters for the webhook relay, bounded by the plugin timeout and counted
     * here; {@link io.pdaltagent.webhook.WebhookFilterChain#NONE} without any.
     */
    public io.pdaltagent.webhook.WebhookFilterChain webhookFilters() {
        return webhookStage == null ? io.pdaltagent.webhook.WebhookFilterChain.NONE : webhookStage;
    }

    /**
     * Starts the plugins' event sources, each event going to {@code sink} (the intake path); none
     * without sources. Call once, after the queue is open.
     */
    public void startSources(Clock clock, SourceRunner.Sink sink) {
        if (plugins.eventSources().isEmpty()) {
            return;
        }
        SourceRunner r = new SourceRunner(plugins.eventSources(), clock, sink);
        r.start();
        sources = r;
    }

    /** Loads what {@code config} names; throws {@code ConfigException} for a rules file that does not load. */
    public static Transforms start(AgentConfig.TransformConfig config, Clock clock) {
        List<EventStage> stages = new ArrayList<>();
        RulesStage rules = null;
        if (config.rulesFile() != null) {
            rules = new RulesStage(config.rulesFile(), clock, RulesStage.DEFAULT_POLL);
            stages.add(rules);
        }
        Plugins plugins = config.pluginsDir() == null ? Plugins.NONE : Plugins.load(config.pluginsDir());
        PluginStage pluginStage = null;
        if (!plugins.eventFilters().isEmpty()) {
            pluginStage = new PluginStage(plugins.eventFilters(), config.pluginTimeout());
            stages.add(pluginStage);
        }
        WebhookPluginStage webhookStage = plugins.webhookFilters().isEmpty() ? null
                : new WebhookPluginStage(plugins.webhookFilters(), config.pluginTimeout());
        PiiScrubber scrubber = null;
        if (!config.scrubPii().isEmpty()) {
            EnumSet<PiiCategory> cats = EnumSet.noneOf(PiiCategory.class);
            for (String name : config.scrubPii()) {
                PiiCategory c = PiiCategory.ofConfigName(name);
                if (c == null) {
                    throw new IllegalArgumentException("no PII category '" + name + "'");
                }
                cats.add(c);
            }
            scrubber = new PiiScrubber(cats);
            stages.add(scrubber); // last: nothing a rule adds reaches the disk unscrubbed
        }
        if (rules != null) {
            rules.start();
        }
        return new Transforms(TransformChain.of(stages), rules, scrubber, plugins, pluginStage, webhookStage);
    }

    public TransformChain chain() {
        return chain;
    }

    @Override
    public void write(Appendable out) throws IOException {
        if (chain.isEmpty() && webhookStage == null) {
            return;
        }
        if (rules != null) {
            Map<String, RuleStats> byName = new TreeMap<>(rules.stats());
            family(out, "rule_matched_total", "counter", "Events a rule or maintenance window matched.");
            byName.forEach((n, s) -> sample(out, "rule_matched_total", "rule", n, s.matched()));
            family(out, "rule_suppressed_total", "counter", "Events a rule or maintenance window suppressed.");
            byName.forEach((n, s) -> sample(out, "rule_suppressed_total", "rule", n, s.suppressed()));
            family(out, "rule_failed_total", "counter", "Events on which a rule's condition or action could not run.");
            byName.forEach((n, s) -> sample(out, "rule_failed_total", "rule", n, s.failed()));
            family(out, "rule_seconds_total", "counter", "Time spent in a rule or maintenance window.");
            byName.forEach((n, s) -> sample(out, "rule_seconds_total", "rule", n, s.nanos() / 1e9));
            family(out, "rules_reloads_total", "counter", "Reloads of the rules file, by result.");
            out.append(P).append("rules_reloads_total{result=\"ok\"} ").append(Long.toString(rules.reloads())).append('\n');
            out.append(P).append("rules_reloads_total{result=\"refused\"} ").append(Long.toString(rules.reloadFailures()))
                    .append('\n');
        }
        if (pluginStage != null) {
            plugin(out, "event_filter", pluginStage.stats());
        }
        if (webhookStage != null) {
            plugin(out, "webhook_filter", webhookStage.stats());
        }
        SourceRunner src = sources;
        if (src != null) {
            plugin(out, "event_source", src.stats());
        }
        if (scrubber != null) {
            family(out, "pii_scrubbed_events_total", "counter", "Events in which the PII scrubber replaced something.");
            out.append(P).append("pii_scrubbed_events_total ").append(Long.toString(scrubber.eventsChanged())).append('\n');
            family(out, "pii_seconds_total", "counter", "Time spent scrubbing.");
            out.append(P).append("pii_seconds_total ").append(Double.toString(scrubber.nanos() / 1e9)).append('\n');
        }
        family(out, "stage_bugs_total", "counter", "Exceptions that escaped a transform stage (bugs; the event went on).");
        out.append(P).append("stage_bugs_total ").append(Long.toString(chain.stageBugs())).append('\n');
    }

    private static void plugin(Appendable out, String kind, Map<String, RuleStats> stats) throws IOException {
        Map<String, RuleStats> byName = new TreeMap<>(stats);
        family(out, "plugin_" + kind + "_matched_total", "counter", kind.equals("event_source")
                ? "Events a plugin's event source produced and the intake took."
                : kind.equals("webhook_filter") ? "Webhooks a plugin's filter changed or dropped."
                : "Events a plugin's filter changed, dropped or re-routed.");
        byName.forEach((n, s) -> sample(out, "plugin_" + kind + "_matched_total", "plugin", n, s.matched()));
        if (!kind.equals("event_source")) {
            family(out, "plugin_" + kind + "_suppressed_total", "counter", kind.equals("webhook_filter")
                    ? "Webhooks a plugin's filter dropped (never sent; the log entry counts as forwarded)."
                    : "Events a plugin's filter dropped (kept as suppressed).");
            byName.forEach((n, s) -> sample(out, "plugin_" + kind + "_suppressed_total", "plugin", n, s.suppressed()));
        }
        family(out, "plugin_" + kind + "_failed_total", "counter", "Calls of a plugin that threw, timed out or returned "
                + "something unusable.");
        byName.forEach((n, s) -> sample(out, "plugin_" + kind + "_failed_total", "plugin", n, s.failed()));
        family(out, "plugin_" + kind + "_seconds_total", "counter", "Time spent in a plugin's calls.");
        byName.forEach((n, s) -> sample(out, "plugin_" + kind + "_seconds_total", "plugin", n, s.nanos() / 1e9));
    }

    private static void family(Appendable out, String name, String type, String help) throws IOException {
        out.append("# HELP ").append(P).append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(P).append(name).append(' ').append(type).append('\n');
    }

    /** Names are [A-Za-z0-9._-] (checked on load): no escaping needed in a label value. */
    private static void sample(Appendable out, String name, String label, String value, Number n) {
        try {
            out.append(P).append(name).append('{').append(label).append("=\"").append(value).append("\"} ")
                    .append(n.toString()).append('\n');
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        SourceRunner src = sources;
        if (src != null) {
            src.close();
        }
        if (pluginStage != null) {
            pluginStage.close();
        }
        if (webhookStage != null) {
            webhookStage.close();
        }
        if (rules != null) {
            rules.close();
        }
    }
}
