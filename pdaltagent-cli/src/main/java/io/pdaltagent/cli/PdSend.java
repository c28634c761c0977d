package io.pdaltagent.cli;

import io.pdaltagent.common.Args;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bin/pd-send}: queue one event through the agent, with the flags of PagerDuty Agent's
 * pd-send ({@code -k -t -d -i -c -u -f -q}, and its {@code -x} contexts) and PDaltagent's
 * ({@code -s -o -m -g -l}), plus links, images, a timestamp, change events, Events API v1 and a
 * whole event from a JSON file or stdin. See {@link #HELP} and the README.
 *
 * <p>Prints {@code Event processed. Incident Key: <key>} and exits 0 once the agent has stored the
 * event, or once it is in the agent's spool on this host when the agent could not be reached (then
 * a second line on stderr says so and where); exits 2 with the reason for a usage error and 1 with
 * a one-line reason for a failure.
 *
 * <p>Started once per notification, often hundreds at once: it loads few classes, uses no lambdas
 * or string-concatenation bootstraps (the module is compiled with {@code -XDstringConcat=inline}),
 * and touches java.time, TLS and UUIDs only on the paths that need them.
 */
public final class PdSend {
    static final String PROG = "pd-send";

    static final String USAGE = "usage: pd-send [-h] -k SERVICE_KEY -t {trigger,acknowledge,resolve} [-d DESCRIPTION]\n"
            + "               [-i INCIDENT_KEY] [-c CLIENT] [-u CLIENT_URL] [-f KEY=VALUE] [-q]\n"
            + "               [-s {critical,error,warning,info}] [-o SOURCE] [-m COMPONENT] [-g GROUP] [-l CLASS]\n"
            + "               [--link URL [--link-text TEXT]] [--image SRC [--image-href URL] [--image-alt TEXT]]\n"
            + "               [-x TYPE:KEY=VALUE[,KEY=VALUE...]] [--timestamp ISO8601] [--v1]\n"
            + "       pd-send [-h] --change -k ROUTING_KEY -d SUMMARY [-o SOURCE] [-f KEY=VALUE] [--link URL] [--timestamp ISO8601] [-q]\n"
            + "       pd-send [-h] --json FILE|- [-q]\n";

    static final String HELP = USAGE + "\n"
            + "Queue up a trigger, acknowledge, or resolve event (or a change event) to PagerDuty through the local agent.\n"
            + "\n"
            + "options:\n"
            + "  -h, --help            show this help message and exit\n"
            + "  -k, --service-key, --routing-key KEY\n"
            + "                        integration (routing) key, 32 characters\n"
            + "  -t, --event-type {trigger,acknowledge,resolve}\n"
            + "                        event type\n"
            + "  -d, --description TEXT\n"
            + "                        short description of the problem (summary); required for trigger\n"
            + "  -i, --incident-key, --dedup-key KEY\n"
            + "                        incident (dedup) key; required for acknowledge and resolve\n"
            + "  -c, --client NAME     client (monitoring tool) name\n"
            + "  -u, --client-url URL  client URL\n"
            + "  -f, --field KEY=VALUE add KEY=VALUE to the event's details (repeatable; only the first '=' splits)\n"
            + "  -s, --severity {critical,error,warning,info}\n"
            + "                        severity (default: critical)\n"
            + "  -o, --source SOURCE   affected system (default: this host's name)\n"
            + "  -m, --component NAME  component of the source\n"
            + "  -g, --group NAME      logical group of components\n"
            + "  -l, --class NAME      class (type) of the event\n"
            + "  --link URL            add a link (repeatable)\n"
            + "  --link-text TEXT      text of the preceding --link\n"
            + "  --image SRC           add an image by its https:// URL (repeatable)\n"
            + "  --image-href URL      link of the preceding --image\n"
            + "  --image-alt TEXT      alternative text of the preceding --image\n"
            + "  -x, --context TYPE:KEY=VALUE[,KEY=VALUE...]\n"
            + "                        PagerDuty Agent's contexts: link:href=URL[,text=TEXT] or\n"
            + "                        image:src=URL[,href=URL][,alt=TEXT] (values cannot contain ',')\n"
            + "  --timestamp ISO8601   when the problem was detected, e.g. 2024-05-01T10:00:00Z\n"
            + "  --change              send a change event (to /v2/change/enqueue) instead of an alert event\n"
            + "  --v1                  send an Events API v1 event (to /generic/2010-04-15/create_event.json),\n"
            + "                        as PagerDuty Agent did; the default is Events API v2\n"
            + "  --json FILE           send the event in FILE ('-': standard input) as it is; its API is told from\n"
            + "                        its fields: routing_key + event_action (v2), service_key (v1), routing_key\n"
            + "                        alone (change event)\n"
            + "  -q, --quiet           operate quietly (no output on success)\n"
            + "  --version             print the version and exit\n"
            + "\n"
            + "environment: PDSEND_EVENTS_BASE_URL (default http://127.0.0.1:8080), PDSEND_SKIP_CERT_VERIFY,\n"
            + "PDAGENTD_DATA_DIR (where the event is queued when the agent cannot be reached).\n"
            + "exit status: 0 queued, 1 failed (the reason is printed), 2 usage error.\n";

    // option ids (the first long name)
    static final String KEY = "--service-key";
    static final String TYPE = "--event-type";
    static final String DESCRIPTION = "--description";
    static final String INCIDENT_KEY = "--incident-key";
    static final String CLIENT = "--client";
    static final String CLIENT_URL = "--client-url";
    static final String FIELD = "--field";
    static final String QUIET = "--quiet";
    static final String SEVERITY = "--severity";
    static final String SOURCE = "--source";
    static final String COMPONENT = "--component";
    static final String GROUP = "--group";
    static final String CLASS = "--class";
    static final String LINK = "--link";
    static final String LINK_TEXT = "--link-text";
    static final String IMAGE = "--image";
    static final String IMAGE_HREF = "--image-href";
    static final String IMAGE_ALT = "--image-alt";
    static final String CONTEXT = "--context";
    static final String TIMESTAMP = "--timestamp";
    static final String CHANGE = "--change";
    static final String V1 = "--v1";
    static final String JSON = "--json";
    static final String HELP_FLAG = "--help";
    static final String VERSION = "--version";

    static final Args.Spec SPEC = new Args.Spec()
            .flag("-h", HELP_FLAG)
            .value("-k", KEY, "--routing-key")
            .value("-t", TYPE)
            .value("-d", DESCRIPTION)
            .value("-i", INCIDENT_KEY, "--dedup-key")
            .value("-c", CLIENT)
            .value("-u", CLIENT_URL)
            .value("-f", FIELD)
            .flag("-q", QUIET)
            .value("-s", SEVERITY)
            .value("-o", SOURCE)
            .value("-m", COMPONENT)
            .value("-g", GROUP)
            .value("-l", CLASS)
            .value(LINK)
            .value(LINK_TEXT)
            .value(IMAGE)
            .value(IMAGE_HREF)
            .value(IMAGE_ALT)
            .value("-x", CONTEXT)
            .value(TIMESTAMP)
            .flag(CHANGE)
            .flag(V1)
            .value(JSON)
            .flag(VERSION);

    /** Options that describe an event; none may go with --json. */
    private static final String[] EVENT_OPTIONS = {KEY, TYPE, DESCRIPTION, INCIDENT_KEY, CLIENT, CLIENT_URL, FIELD,
        SEVERITY, SOURCE, COMPONENT, GROUP, CLASS, LINK, LINK_TEXT, IMAGE, IMAGE_HREF, IMAGE_ALT, CONTEXT, TIMESTAMP,
        CHANGE, V1};

    private PdSend() {
    }

    public static void main(String[] argv) {
        int code = run(argv, System.getenv(), System.in, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    /** Runs pd-send; returns the exit code. */
    static int run(String[] argv, Map<String, String> env, InputStream stdin, PrintStream out, PrintStream err) {
        boolean quiet = false;
        try {
            Args args = CliException.parse(SPEC, argv);
            quiet = args.has(QUIET);
            if (args.has(HELP_FLAG)) {
                out.print(HELP);
                return 0;
            }
            if (args.has(VERSION)) {
                out.println("pd-send " + AgentClient.version());
                return 0;
            }
            if (!args.positional().isEmpty()) {
                throw CliException.usage("unrecognized arguments: " + String.join(" ", args.positional()));
            }
            OutboundEvent event = args.has(JSON) ? fromJson(args, env, stdin) : fromFlags(args, env);
            AgentClient client = AgentClient.fromEnv(env);
            AgentClient.Result result = client.submit(event);
            boolean change = event.path().equals(EventCheck.CHANGE_PATH);
            if (result instanceof AgentClient.Result.Accepted a) {
                if (!quiet) {
                    out.println(processed(change, a.dedupKey()));
                }
                return 0;
            }
            if (result instanceof AgentClient.Result.Spooled s) {
                if (!quiet) {
                    out.println(processed(change, s.dedupKey()));
                    err.println("(the agent at " + client.baseUrl() + " could not be reached: " + client.unreachableReason()
                            + "; the event is queued in " + s.file() + " and will be sent when the agent runs)");
                }
                return 0;
            }
            AgentClient.Result.Rejected r = (AgentClient.Result.Rejected) result;
            if (r.status() == 429 || r.status() == 403) {
                err.println(PROG + ": the agent's queue is full, try again later (" + r.status() + "): " + r.message());
            } else {
                err.println(PROG + ": the agent rejected the event (" + r.status() + "): " + r.message());
            }
            return 1;
        } catch (CliException e) {
            if (e.isUsageError()) {
                err.print(USAGE);
                err.println(PROG + ": error: " + e.getMessage());
            } else {
                err.println(PROG + ": " + e.getMessage());
            }
            return e.exitCode();
        } catch (RuntimeException e) {
            err.println(PROG + ": internal error: " + CliException.oneLine(String.valueOf(e)));
            return 1;
        }
    }

    /** PagerDuty Agent's line: {@code Event processed. Incident Key: <key>}. */
    static String processed(boolean change, String key) {
        if (change) {
            return "Change event processed.";
        }
        return key == null ? "Event processed." : "Event processed. Incident Key: " + key;
    }

    // ------------------------------------------------------------------ --json

    private static OutboundEvent fromJson(Args args, Map<String, String> env, InputStream stdin) throws CliException {
        for (String o : EVENT_OPTIONS) {
            if (args.has(o)) {
                throw CliException.usage("argument " + args.display(o) + ": not allowed with argument --json "
                        + "(the event is sent as it is in the file)");
            }
        }
        String file = args.last(JSON);
        String name = file.equals("-") ? "standard input" : file;
        String text;
        try {
            byte[] bytes = file.equals("-") ? readAll(stdin) : Files.readAllBytes(Path.of(file));
            text = new String(bytes, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw CliException.usage("argument --json: no such file: " + file);
        } catch (IOException | RuntimeException e) {
            throw CliException.usage("argument --json: cannot read " + name + ": " + e.getMessage());
        }
        Map<String, Object> event;
        try {
            event = Json.parseObject(text);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("argument --json: " + name + " is not a JSON object: " + e.getMessage());
        }
        String path;
        if (event.containsKey("routing_key") && event.containsKey("event_action")) {
            path = EventCheck.V2_PATH;
        } else if (event.containsKey("service_key")) {
            path = EventCheck.V1_PATH;
        } else if (event.containsKey("routing_key")) {
            path = EventCheck.CHANGE_PATH;
        } else {
            throw CliException.usage("argument --json: cannot tell the event's API from its fields: expected "
                    + "routing_key and event_action (Events API v2), service_key (v1) or routing_key alone (change event)");
        }
        List<String> problems = EventCheck.problems(path, event);
        if (!problems.isEmpty()) {
            throw CliException.usage("the event in " + name + " is invalid: " + String.join("; ", problems));
        }
        String key = event.get("dedup_key") instanceof String k ? k
                : event.get("incident_key") instanceof String k2 ? k2 : null;
        // the text as it was given: unknown fields and number formats stay exactly as written
        return OutboundEvent.json(path, text.startsWith("\uFEFF") ? text.substring(1) : text,
                key == null || key.isBlank() ? null : key);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------ flags

    private static OutboundEvent fromFlags(Args args, Map<String, String> env) throws CliException {
        boolean change = args.has(CHANGE);
        boolean v1 = args.has(V1);
        if (change && v1) {
            throw CliException.usage("argument --v1: not allowed with argument --change (change events are Events API v2)");
        }
        String key = args.last(KEY);
        String type = args.last(TYPE);
        List<String> missing = new ArrayList<>();
        if (key == null) {
            missing.add(args.display(KEY));
        }
        if (type == null && !change) {
            missing.add(args.display(TYPE));
        }
        if (change && args.has(TYPE)) {
            throw CliException.usage("argument " + args.display(TYPE) + ": not allowed with argument --change");
        }
        if (!missing.isEmpty()) {
            throw CliException.usage("the following arguments are required: " + String.join(", ", missing));
        }
        if (EventCheck.length(key) != EventCheck.ROUTING_KEY_LENGTH) {
            throw CliException.usage("argument " + args.display(KEY) + ": Please supply a valid PagerDuty "
                    + (v1 ? "service" : "routing") + " key (" + EventCheck.ROUTING_KEY_LENGTH
                    + " characters; this one has " + EventCheck.length(key) + ")");
        }
        if (type != null) {
            type = type.toLowerCase(Locale.ROOT);
            if (!EventCheck.isAction(type)) {
                throw CliException.usage("argument " + args.display(TYPE) + ": invalid choice: '" + args.last(TYPE)
                        + "' (choose from 'trigger', 'acknowledge', 'resolve')");
            }
        }
        String severity = args.last(SEVERITY);
        if (severity != null) {
            severity = severity.toLowerCase(Locale.ROOT);
            if (!EventCheck.isSeverity(severity)) {
                throw CliException.usage("argument " + args.display(SEVERITY) + ": invalid choice: '" + args.last(SEVERITY)
                        + "' (choose from 'critical', 'error', 'warning', 'info')");
            }
        }
        String description = args.last(DESCRIPTION);
        String incidentKey = args.last(INCIDENT_KEY);
        if (change || "trigger".equals(type)) {
            if (description == null || description.isBlank()) {
                throw CliException.usage(change ? "a change event requires description (-d/--description)"
                        : "Event type 'trigger' requires description");
            }
            if (EventCheck.length(description) > EventCheck.MAX_SUMMARY_LENGTH) {
                throw CliException.usage("argument " + args.display(DESCRIPTION) + ": too long ("
                        + EventCheck.length(description) + " characters; the maximum is " + EventCheck.MAX_SUMMARY_LENGTH + ")");
            }
        } else if (incidentKey == null || incidentKey.isBlank()) {
            throw CliException.usage("Event type '" + type + "' requires incident key");
        }
        if (incidentKey != null && EventCheck.length(incidentKey) > EventCheck.MAX_DEDUP_KEY_LENGTH) {
            throw CliException.usage("argument " + args.display(INCIDENT_KEY) + ": too long (" + EventCheck.length(incidentKey)
                    + " characters; the maximum is " + EventCheck.MAX_DEDUP_KEY_LENGTH + ")");
        }
        if (incidentKey != null && incidentKey.isBlank()) {
            incidentKey = null;
        }
        if (change) {
            for (String o : new String[] {INCIDENT_KEY, SEVERITY, COMPONENT, GROUP, CLASS, CLIENT, CLIENT_URL, IMAGE,
                IMAGE_HREF, IMAGE_ALT}) {
                if (args.has(o)) {
                    throw CliException.usage("argument " + args.display(o) + ": not allowed with argument --change "
                            + "(change events have a summary, source, timestamp, custom details and links)");
                }
            }
            if (key.startsWith("R")) {
                throw CliException.usage("argument " + args.display(KEY) + ": a ruleset key (starting with 'R') cannot "
                        + "take change events");
            }
        }
        if (v1) {
            for (String o : new String[] {SEVERITY, SOURCE, COMPONENT, GROUP, CLASS, TIMESTAMP}) {
                if (args.has(o)) {
                    throw CliException.usage("argument " + args.display(o) + ": not allowed with argument --v1 "
                            + "(Events API v1 has no such field)");
                }
            }
        }
        String timestamp = args.last(TIMESTAMP);
        if (timestamp != null) {
            checkTimestamp(timestamp);
        }
        Map<String, Object> details = fields(args);
        List<Object> links = new ArrayList<>();
        List<Object> images = new ArrayList<>();
        contexts(args, links, images);

        Map<String, Object> e = Json.object();
        if (v1) {
            e.put("service_key", key);
            e.put("event_type", type);
            if (incidentKey != null) {
                e.put("incident_key", incidentKey);
            }
            if (description != null) {
                e.put("description", description);
            }
            putIfGiven(e, "client", args.last(CLIENT));
            putIfGiven(e, "client_url", args.last(CLIENT_URL));
            e.put("details", details);
            if (!links.isEmpty() || !images.isEmpty()) {
                List<Object> contexts = new ArrayList<>();
                for (Object l : links) {
                    Map<String, Object> c = Json.object();
                    c.put("type", "link");
                    c.putAll(asMap(l));
                    contexts.add(c);
                }
                for (Object i : images) {
                    Map<String, Object> c = Json.object();
                    c.put("type", "image");
                    c.putAll(asMap(i));
                    contexts.add(c);
                }
                e.put("contexts", contexts);
            }
            return OutboundEvent.json(EventCheck.V1_PATH, Json.write(e), incidentKey);
        }
        e.put("routing_key", key);
        if (change) {
            Map<String, Object> payload = Json.object();
            payload.put("summary", description);
            payload.put("source", source(args, env));
            putIfGiven(payload, "timestamp", timestamp);
            if (!details.isEmpty()) {
                payload.put("custom_details", details);
            }
            e.put("payload", payload);
            if (!links.isEmpty()) {
                e.put("links", links);
            }
            return OutboundEvent.json(EventCheck.CHANGE_PATH, Json.write(e), null);
        }
        e.put("event_action", type);
        if (incidentKey != null) {
            e.put("dedup_key", incidentKey);
        }
        if (type.equals("trigger")) {
            Map<String, Object> payload = Json.object();
            payload.put("summary", description);
            payload.put("source", source(args, env));
            payload.put("severity", severity == null ? "critical" : severity);
            putIfGiven(payload, "timestamp", timestamp);
            putIfGiven(payload, "component", args.last(COMPONENT));
            putIfGiven(payload, "group", args.last(GROUP));
            putIfGiven(payload, "class", args.last(CLASS));
            if (!details.isEmpty()) {
                payload.put("custom_details", details);
            }
            e.put("payload", payload);
            if (!links.isEmpty()) {
                e.put("links", links);
            }
            if (!images.isEmpty()) {
                e.put("images", images);
            }
            putIfGiven(e, "client", args.last(CLIENT));
            putIfGiven(e, "client_url", args.last(CLIENT_URL));
        }
        return OutboundEvent.json(EventCheck.V2_PATH, Json.write(e), incidentKey);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        return (Map<String, Object>) o;
    }

    private static void putIfGiven(Map<String, Object> m, String field, String value) {
        if (value != null) {
            m.put(field, value);
        }
    }

    /** {@code -f KEY=VALUE}: only the first '=' splits, so values may contain '='; a later KEY wins. */
    private static Map<String, Object> fields(Args args) throws CliException {
        Map<String, Object> details = Json.object();
        for (String f : args.all(FIELD)) {
            int eq = f.indexOf('=');
            if (eq <= 0) {
                throw CliException.usage("argument " + args.display(FIELD) + ": expected KEY=VALUE, got '" + f + "'");
            }
            details.put(f.substring(0, eq), f.substring(eq + 1));
        }
        return details;
    }

    /** {@code --link}/{@code --image} with their modifiers, and PagerDuty Agent's {@code -x}, in command-line order. */
    private static void contexts(Args args, List<Object> links, List<Object> images) throws CliException {
        Map<String, Object> lastLink = null;
        Map<String, Object> lastImage = null;
        for (Args.Given g : args.given()) {
            switch (g.id()) {
                case LINK -> {
                    lastLink = Json.object();
                    lastLink.put("href", nonBlank(g.value(), LINK));
                    links.add(lastLink);
                }
                case LINK_TEXT -> {
                    if (lastLink == null || lastLink.containsKey("text")) {
                        throw CliException.usage("argument --link-text: must follow a --link (one text per link)");
                    }
                    lastLink.put("text", g.value());
                }
                case IMAGE -> {
                    lastImage = Json.object();
                    lastImage.put("src", nonBlank(g.value(), IMAGE));
                    images.add(lastImage);
                }
                case IMAGE_HREF, IMAGE_ALT -> {
                    String field = g.id().equals(IMAGE_HREF) ? "href" : "alt";
                    if (lastImage == null || lastImage.containsKey(field)) {
                        throw CliException.usage("argument " + g.id() + ": must follow an --image (one per image)");
                    }
                    lastImage.put(field, g.value());
                }
                case CONTEXT -> context(g.value(), args.display(CONTEXT), links, images);
                default -> {
                    // not a context option
                }
            }
        }
    }

    /** PagerDuty Agent's {@code -x link:href=URL,text=TEXT} and {@code -x image:src=URL,href=URL,alt=TEXT}. */
    private static void context(String spec, String display, List<Object> links, List<Object> images) throws CliException {
        int colon = spec.indexOf(':');
        String type = colon < 0 ? spec : spec.substring(0, colon);
        Map<String, Object> params = Json.object();
        if (colon >= 0) {
            for (String p : spec.substring(colon + 1).split(",", -1)) {
                int eq = p.indexOf('=');
                if (eq <= 0) {
                    throw CliException.usage("argument " + display + ": expected TYPE:KEY=VALUE[,KEY=VALUE...], got '"
                            + spec + "'");
                }
                params.put(p.substring(0, eq), p.substring(eq + 1));
            }
        }
        Map<String, Object> c = Json.object();
        if (type.equals("link")) {
            copy(params, c, "href", true, display, spec);
            copy(params, c, "text", false, display, spec);
            links.add(c);
        } else if (type.equals("image")) {
            copy(params, c, "src", true, display, spec);
            copy(params, c, "href", false, display, spec);
            copy(params, c, "alt", false, display, spec);
            images.add(c);
        } else {
            throw CliException.usage("argument " + display + ": unknown context type '" + type + "' (choose from 'link', 'image')");
        }
    }

    private static void copy(Map<String, Object> from, Map<String, Object> to, String field, boolean required,
                             String display, String spec) throws CliException {
        Object v = from.get(field);
        if (v instanceof String s && !s.isEmpty()) {
            to.put(field, s);
        } else if (required) {
            throw CliException.usage("argument " + display + ": '" + spec + "' has no " + field + "=");
        }
    }

    private static String nonBlank(String v, String option) throws CliException {
        if (v.isBlank()) {
            throw CliException.usage("argument " + option + ": must not be blank");
        }
        return v;
    }

    /** ISO 8601 with an offset, e.g. 2024-05-01T10:00:00Z or 2024-05-01T12:00:00.5+02:00. */
    private static void checkTimestamp(String t) throws CliException {
        try {
            java.time.OffsetDateTime.parse(t);
        } catch (RuntimeException e) {
            throw CliException.usage("argument --timestamp: '" + t + "' is not an ISO 8601 date and time with an offset "
                    + "(e.g. 2024-05-01T10:00:00Z)");
        }
    }

    /** {@code -o}, else this host's name (PagerDuty asks for the affected host), read without a DNS lookup. */
    private static String source(Args args, Map<String, String> env) {
        String s = args.last(SOURCE);
        if (s != null && !s.isBlank()) {
            return s;
        }
        try {
            String h = new String(Files.readAllBytes(Path.of("/proc/sys/kernel/hostname")), StandardCharsets.UTF_8).strip();
            if (!h.isEmpty()) {
                return h;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        String h = env.get("HOSTNAME");
        return h == null || h.isBlank() ? PROG : h;
    }
}
