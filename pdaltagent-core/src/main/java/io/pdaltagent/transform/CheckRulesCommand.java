package io.pdaltagent.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code pdagentd check-rules FILE [EVENT.json]}: validates a rules file as the agent would load
 * it, lists its rules and maintenance windows, and with an event shows what the rules would do to
 * it now: each rule matched or not, each action, the maintenance windows, and the event as it
 * would be stored (or the rule that would suppress it). Exit status: 0 the file is valid, 1 it is
 * not (every problem is printed, each naming the rule and the field), 2 a usage error or an event
 * that cannot be read.
 */
public final class CheckRulesCommand {
    static final String USAGE = "usage: pdagentd check-rules FILE [EVENT.json]";
    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    private CheckRulesCommand() {
    }

    public static int run(List<String> args, PrintStream out, PrintStream err) {
        return run(args, out, err, Clock.systemUTC());
    }

    static int run(List<String> args, PrintStream out, PrintStream err, Clock clock) {
        if (args.isEmpty() || args.size() > 2 || args.get(0).startsWith("-")) {
            err.println(USAGE);
            return args.size() == 1 && (args.get(0).equals("-h") || args.get(0).equals("--help")) ? 0 : 2;
        }
        Path file = Path.of(args.get(0));
        RuleSet rules;
        try {
            rules = RulesFile.load(file);
        } catch (RulesFile.InvalidRulesException e) {
            err.println(file + ": refused, " + e.problems.size() + " problem(s):");
            e.problems.forEach(p -> err.println("  " + p));
            return 1;
        }
        out.println(file + ": valid, " + rules.rules().size() + " rule(s), " + rules.windows().size()
                + " maintenance window(s)");
        for (Rule r : rules.rules()) {
            out.println("  rule " + r.name() + ": when " + r.condition().source());
            r.actions().forEach(a -> out.println("    " + a.describe()));
        }
        for (MaintenanceWindow w : rules.windows()) {
            out.println("  " + w.describe());
        }
        if (args.size() == 1) {
            return 0;
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(Files.readAllBytes(Path.of(args.get(1))));
        } catch (IOException e) {
            err.println(args.get(1) + ": not a JSON event: " + e.getMessage().lines().findFirst().orElse(""));
            return 2;
        }
        if (!(node instanceof ObjectNode event)) {
            err.println(args.get(1) + ": not a JSON object");
            return 2;
        }
        TransformEvent.Kind kind = event.has("service_key") ? TransformEvent.Kind.V1
                : event.has("event_action") ? TransformEvent.Kind.V2 : TransformEvent.Kind.CHANGE;
        String key = event.path(kind == TransformEvent.Kind.V1 ? "service_key" : "routing_key").asText("");
        TransformEvent te = new TransformEvent(event, kind, key);
        List<String> trace = new ArrayList<>();
        rules.apply(te, clock.instant(), new ConcurrentHashMap<>(), trace);
        out.println();
        out.println("On " + args.get(1) + " (a " + kind.label + " event), now (" + clock.instant() + "):");
        trace.forEach(t -> out.println("  " + t));
        out.println();
        if (te.suppressedBy() != null) {
            out.println("Result: suppressed by " + te.suppressedBy() + " (kept, not delivered; the client gets success)");
            return 0;
        }
        if (!te.routingKey().equals(key)) {
            out.println("Result: routed to " + te.routingKey());
            event.put(kind == TransformEvent.Kind.V1 ? "service_key" : "routing_key", te.routingKey());
        } else {
            out.println(te.changed() ? "Result: changed" : "Result: unchanged");
        }
        try {
            out.println(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(event));
        } catch (IOException e) {
            err.println("the event cannot be written: " + e.getMessage());
            return 2;
        }
        return 0;
    }
}
