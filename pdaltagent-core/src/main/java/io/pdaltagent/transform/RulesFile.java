package io.pdaltagent.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads and validates a rules file ({@code PDAGENTD_RULES_FILE}, YAML) into a {@link RuleSet}.
 * Every problem is collected, each naming the rule (or window) and the field, and the file is
 * refused as a whole when there is any: a half-loaded rules file would be worse than either.
 *
 * <pre>
 * rules:
 *   - name: route-db
 *     when: "event.payload.source.startsWith('db')"      # CEL over `event`; no `when`: every event
 *     actions:
 *       - set: {field: payload.custom_details.team, value: dba}
 *       - remove: payload.custom_details.password
 *       - rename: {from: payload.custom_details.host, to: payload.custom_details.hostname}
 *       - severity: warning
 *       - extract: {from: payload.summary, regex: 'host=(\S+)', to: payload.custom_details.host}
 *       - route: 0123456789abcdef0123456789abcdef
 *       - suppress
 *       - stop
 * maintenance_windows:
 *   - name: db-upgrade
 *     when: "event.payload.source == 'db01'"
 *     start: 2026-12-05T22:00
 *     end: 2026-12-06T02:00
 *     timezone: Europe/Berlin
 *   - name: nightly-backup
 *     cron: "0 2 * * *"
 *     duration: 90m
 *     timezone: America/New_York
 * </pre>
 *
 * Stateless; thread-safe.
 */
final class RulesFile {
    /** A rules file is written by people; anything larger is a mistake. */
    static final long MAX_FILE_BYTES = 1024 * 1024;
    static final int MAX_RULES = 1000;
    static final int MAX_ACTIONS = 100;
    static final int MAX_NAME_LENGTH = 100;
    private static final Set<String> SEVERITIES = Set.of("critical", "error", "warning", "info");
    /** Rules may not rewrite what routes and de-duplicates an event except through {@code route}. */
    private static final Set<String> PROTECTED_FIELDS = Set.of("routing_key", "service_key");
    /** PagerDuty's routing and integration keys: 32 characters, safe in a path too. */
    private static final Pattern ROUTING_KEY = Pattern.compile("[A-Za-z0-9._~-]{32}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern DURATION = Pattern.compile("(\\d+)([smhd])");
    private static final YAMLMapper YAML = new YAMLMapper();

    /** A rules file that cannot be used, with every problem found. */
    static final class InvalidRulesException extends Exception {
        final List<String> problems;

        InvalidRulesException(String file, List<String> problems) {
            super(file + ": " + String.join("; ", problems), null, false, false);
            this.problems = List.copyOf(problems);
        }
    }

    private RulesFile() {
    }

    static RuleSet load(Path file) throws InvalidRulesException {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new InvalidRulesException(file.toString(), List.of("larger than " + MAX_FILE_BYTES + " bytes"));
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InvalidRulesException(file.toString(), List.of("cannot be read: " + e.getMessage()));
        }
        return parse(file.toString(), bytes);
    }

    static RuleSet parse(String name, byte[] yaml) throws InvalidRulesException {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new InvalidRulesException(name, List.of("not YAML: " + msg));
        }
        List<String> problems = new ArrayList<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return RuleSet.EMPTY; // an empty file: no rules
        }
        if (!root.isObject()) {
            throw new InvalidRulesException(name, List.of("the top level must be a mapping with 'rules' and/or "
                    + "'maintenance_windows'"));
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("rules") && !f.equals("maintenance_windows")) {
                problems.add("unknown top-level field '" + f + "' (expected 'rules', 'maintenance_windows')");
            }
        }
        Set<String> names = new HashSet<>();
        List<Rule> rules = new ArrayList<>();
        JsonNode rs = root.get("rules");
        if (rs != null && !rs.isNull()) {
            if (!rs.isArray()) {
                problems.add("'rules' must be a list");
            } else if (rs.size() > MAX_RULES) {
                problems.add("more than " + MAX_RULES + " rules");
            } else {
                for (int i = 0; i < rs.size(); i++) {
                    Rule r = rule(rs.get(i), i, names, problems);
                    if (r != null) {
                        rules.add(r);
                    }
                }
            }
        }
        List<MaintenanceWindow> windows = new ArrayList<>();
        JsonNode ws = root.get("maintenance_windows");
        if (ws != null && !ws.isNull()) {
            if (!ws.isArray()) {
                problems.add("'maintenance_windows' must be a list");
            } else if (ws.size() > MAX_RULES) {
                problems.add("more than " + MAX_RULES + " maintenance windows");
            } else {
                for (int i = 0; i < ws.size(); i++) {
                    MaintenanceWindow w = window(ws.get(i), i, names, problems);
                    if (w != null) {
                        windows.add(w);
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidRulesException(name, problems);
        }
        return new RuleSet(rules, windows);
    }

    private static String name(JsonNode n, String what, int i, Set<String> names, List<String> problems) {
        JsonNode nm = n.get("name");
        String label = what + " #" + (i + 1);
        if (nm == null || !nm.isTextual() || nm.textValue().isBlank()) {
            problems.add(label + ": 'name' is required (letters, digits, . _ -)");
            return null;
        }
        String name = nm.textValue().strip();
        if (name.length() > MAX_NAME_LENGTH || !NAME.matcher(name).matches()) {
            problems.add(label + ": 'name' may hold only letters, digits, . _ - (at most " + MAX_NAME_LENGTH + ")");
            return null;
        }
        if (!names.add(name)) {
            problems.add(label + " '" + name + "': the name is used twice (names are unique across rules and windows)");
            return null;
        }
        return name;
    }

    private static Condition condition(JsonNode n, String label, List<String> problems) {
        JsonNode when = n.get("when");
        if (when == null || when.isNull()) {
            return Condition.ALWAYS;
        }
        if (!when.isTextual()) {
            problems.add(label + ": field 'when' must be a CEL expression in a string");
            return null;
        }
        try {
            return Condition.compile(when.textValue());
        } catch (IllegalArgumentException e) {
            problems.add(label + ": field 'when': " + e.getMessage().strip().replace('\n', ' '));
            return null;
        }
    }

    private static Rule rule(JsonNode n, int i, Set<String> names, List<String> problems) {
        if (n == null || !n.isObject()) {
            problems.add("rule #" + (i + 1) + ": must be a mapping with name, when and actions");
            return null;
        }
        String name = name(n, "rule", i, names, problems);
        String label = "rule '" + (name == null ? "#" + (i + 1) : name) + "'";
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("name", "when", "actions", "description").contains(f)) {
                problems.add(label + ": unknown field '" + f + "'");
            }
        }
        Condition c = condition(n, label, problems);
        JsonNode as = n.get("actions");
        List<Action> actions = new ArrayList<>();
        if (as == null || !as.isArray() || as.isEmpty()) {
            problems.add(label + ": field 'actions' must be a non-empty list");
        } else if (as.size() > MAX_ACTIONS) {
            problems.add(label + ": more than " + MAX_ACTIONS + " actions");
        } else {
            for (int k = 0; k < as.size(); k++) {
                Action a = action(as.get(k), label + ": field 'actions[" + k + "]'", name, problems);
                if (a != null) {
                    actions.add(a);
                }
            }
        }
        return name == null || c == null || as == null || actions.size() != as.size() ? null : new Rule(name, c, actions);
    }

    private static Action action(JsonNode n, String label, String rule, List<String> problems) {
        String kind;
        JsonNode arg;
        if (n.isTextual()) {
            kind = n.textValue();
            arg = null;
        } else if (n.isObject() && n.size() == 1) {
            Map.Entry<String, JsonNode> e = n.fields().next();
            kind = e.getKey();
            arg = e.getValue();
        } else {
            problems.add(label + ": an action is one of set, remove, rename, severity, extract, route, suppress, stop");
            return null;
        }
        try {
            return switch (kind) {
                case "set" -> new Action.Set(field(arg, "field", label), required(arg, "value", label));
                case "remove" -> new Action.Remove(path(arg, label));
                case "rename" -> new Action.Rename(field(arg, "from", label), field(arg, "to", label));
                case "severity" -> {
                    if (arg == null || !arg.isTextual() || !SEVERITIES.contains(arg.textValue())) {
                        throw new IllegalArgumentException("severity must be one of critical, error, warning, info");
                    }
                    yield new Action.Severity(arg.textValue());
                }
                case "extract" -> extract(arg, label);
                case "route" -> {
                    if (arg == null || !arg.isTextual() || !ROUTING_KEY.matcher(arg.textValue()).matches()) {
                        throw new IllegalArgumentException("route needs a routing key: 32 letters, digits or . _ ~ -");
                    }
                    yield new Action.Route(arg.textValue());
                }
                case "suppress" -> {
                    if (arg != null && !(arg.isBoolean() && arg.booleanValue())) {
                        throw new IllegalArgumentException("suppress takes no value (or true)");
                    }
                    yield new Action.Suppress(rule == null ? "?" : rule);
                }
                case "stop" -> new Action.Stop();
                default -> throw new IllegalArgumentException("unknown action '" + kind
                        + "' (set, remove, rename, severity, extract, route, suppress, stop)");
            };
        } catch (IllegalArgumentException e) {
            problems.add(label + ": " + e.getMessage());
            return null;
        }
    }

    private static Action extract(JsonNode arg, String label) {
        FieldPath from = field(arg, "from", label);
        FieldPath to = field(arg, "to", label);
        JsonNode re = required(arg, "regex", label);
        if (!re.isTextual()) {
            throw new IllegalArgumentException("extract.regex must be a string");
        }
        Pattern p;
        try {
            p = Pattern.compile(re.textValue());
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("extract.regex does not compile: " + e.getDescription());
        }
        int group = 1;
        JsonNode g = arg.get("group");
        if (g != null) {
            if (!g.canConvertToInt()) {
                throw new IllegalArgumentException("extract.group must be a number");
            }
            group = g.intValue();
        }
        if (group < 0 || group > p.matcher("").groupCount()) {
            throw new IllegalArgumentException("extract.group " + group + " is not a group of the regex (it has "
                    + p.matcher("").groupCount() + ")");
        }
        return new Action.Extract(from, p, group, to);
    }

    private static JsonNode required(JsonNode arg, String f, String label) {
        if (arg == null || !arg.isObject() || !arg.has(f)) {
            throw new IllegalArgumentException("'" + f + "' is required");
        }
        return arg.get(f);
    }

    private static FieldPath field(JsonNode arg, String f, String label) {
        JsonNode v = required(arg, f, label);
        return path(v, label);
    }

    private static FieldPath path(JsonNode v, String label) {
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("a field path (a string like payload.severity) is required");
        }
        FieldPath p = FieldPath.parse(v.textValue());
        if (p.startsAtAny(PROTECTED_FIELDS)) {
            throw new IllegalArgumentException("'" + p.text() + "' is changed with the route action only");
        }
        return p;
    }

    private static MaintenanceWindow window(JsonNode n, int i, Set<String> names, List<String> problems) {
        if (n == null || !n.isObject()) {
            problems.add("maintenance window #" + (i + 1) + ": must be a mapping");
            return null;
        }
        String name = name(n, "maintenance window", i, names, problems);
        String label = "maintenance window '" + (name == null ? "#" + (i + 1) : name) + "'";
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("name", "when", "start", "end", "cron", "duration", "timezone", "description").contains(f)) {
                problems.add(label + ": unknown field '" + f + "'");
            }
        }
        Condition c = condition(n, label, problems);
        ZoneId zone = ZoneId.of("UTC");
        JsonNode tz = n.get("timezone");
        if (tz != null) {
            try {
                zone = ZoneId.of(tz.asText());
            } catch (DateTimeException e) {
                problems.add(label + ": field 'timezone': '" + tz.asText() + "' is no time zone (e.g. Europe/Berlin)");
                return null;
            }
        }
        boolean fixed = n.has("start") || n.has("end");
        boolean recurring = n.has("cron") || n.has("duration");
        if (fixed == recurring) {
            problems.add(label + ": give either start and end, or cron and duration");
            return null;
        }
        try {
            if (fixed) {
                LocalDateTime s = dateTime(n, "start");
                LocalDateTime e = dateTime(n, "end");
                return name == null || c == null ? null : MaintenanceWindow.fixed(name, c, zone, s, e);
            }
            JsonNode cron = n.get("cron");
            if (cron == null || !cron.isTextual()) {
                throw new IllegalArgumentException("field 'cron' is required (e.g. \"0 2 * * SUN\")");
            }
            CronSchedule schedule = CronSchedule.parse(cron.textValue());
            Duration d = duration(n.get("duration"));
            return name == null || c == null ? null : MaintenanceWindow.recurring(name, c, zone, schedule, d);
        } catch (IllegalArgumentException e) {
            problems.add(label + ": " + e.getMessage());
            return null;
        }
    }

    private static LocalDateTime dateTime(JsonNode n, String f) {
        JsonNode v = n.get(f);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("field '" + f + "' is required (a local date-time like 2026-12-05T22:00)");
        }
        try {
            return LocalDateTime.parse(v.textValue().strip());
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("field '" + f + "': '" + v.textValue()
                    + "' is no local date-time (like 2026-12-05T22:00; the zone goes in 'timezone')");
        }
    }

    private static Duration duration(JsonNode v) {
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("field 'duration' is required (e.g. 90m, 2h, 1d)");
        }
        var m = DURATION.matcher(v.textValue().strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("field 'duration': '" + v.textValue() + "' is no duration (e.g. 90m, 2h, 1d)");
        }
        long k = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(k);
            case "m" -> Duration.ofMinutes(k);
            case "h" -> Duration.ofHours(k);
            default -> Duration.ofDays(k);
        };
    }
}
