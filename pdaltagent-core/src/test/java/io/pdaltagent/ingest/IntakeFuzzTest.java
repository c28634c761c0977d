package io.pdaltagent.ingest;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pdaltagent.config.AgentConfig;
import io.pdaltagent.queue.NewItem;
import io.pdaltagent.transform.Transforms;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing of the one intake path (parse, validate, transform, build the item) on
 * every route, of the Nagios form decoder and of Route's path matching. In the normal test run
 * (regression mode) each target runs over its committed corpus in
 * {@code src/test/resources/io/pdaltagent/ingest/IntakeFuzzTestInputs/<target>/}; {@code bench/fuzz.sh}
 * fuzzes them for longer.
 *
 * <p>What each target checks, beyond "nothing throws" (any exception is a finding):
 * <ul>
 *   <li>a refusal has a listener reason and a non-blank message for the client;</li>
 *   <li>what is stored is itself accepted when taken again (valid UTF-8 JSON, the same ordering key
 *       and dedup key): the agent never stores an event it would refuse, nor one that changes
 *       meaning when read back;</li>
 *   <li>with the transforms on (rules and the PII scrubber), the same holds, and a stored event is
 *       never larger than the body limit allows a delivery to be.</li>
 * </ul>
 */
class IntakeFuzzTest {
    static final String KEY = IngestBench.KEY;
    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
    private static final Intake PLAIN = Intake.plain();
    private static Path rulesDir;
    private static Transforms transforms;
    private static Intake transformed;

    @BeforeAll
    static void startTransforms() throws IOException {
        rulesDir = Files.createTempDirectory("intake-fuzz");
        Path rules = rulesDir.resolve("rules.yaml");
        Files.writeString(rules, """
                rules:
                  - name: tag-db
                    when: "has(event.payload) && has(event.payload.source) && event.payload.source.startsWith('db')"
                    actions:
                      - set: {field: payload.custom_details.team, value: dba}
                      - extract: {from: payload.summary, regex: 'host=(\\S+)', to: payload.custom_details.host}
                  - name: rename-detail
                    actions:
                      - rename: {from: payload.custom_details.hst, to: payload.custom_details.hostname}
                      - remove: payload.custom_details.password
                  - name: drop-tests
                    when: "has(event.payload) && has(event.payload.source) && event.payload.source == 'test'"
                    actions: [suppress]
                """);
        AgentConfig.TransformConfig config = new AgentConfig.TransformConfig(Set.copyOf(
                io.pdaltagent.config.EnvConfig.PII_CATEGORIES), rules, null, Duration.ofHours(1));
        transforms = Transforms.start(config, Clock.systemUTC());
        transformed = new Intake(transforms.chain());
    }

    @AfterAll
    static void stopTransforms() throws IOException {
        transforms.close();
        try (var files = Files.walk(rulesDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @FuzzTest
    void v2Enqueue(byte[] body) {
        takeOnBoth("/v2/enqueue", body);
    }

    @FuzzTest
    void v2Change(byte[] body) {
        takeOnBoth("/v2/change/enqueue", body);
    }

    @FuzzTest
    void v1Generic(byte[] body) {
        takeOnBoth("/generic/2010-04-15/create_event.json", body);
    }

    /** The key of the path-keyed routes is fuzzed too: first a path key, then the body. */
    @FuzzTest
    void pathKeyed(FuzzedDataProvider data) {
        boolean integration = data.consumeBoolean();
        String key = data.consumeString(300);
        byte[] body = data.consumeRemainingAsBytes();
        String path = integration ? "/integration/" + key + "/enqueue" : "/x-ere/" + key;
        Route.Match match;
        try {
            match = Route.match(path);
        } catch (IllegalArgumentException e) {
            throw new AssertionError("Route.match threw on a path", e);
        }
        if (match == null) {
            return; // not an ingest path: ingest leaves it to the next handler (404)
        }
        if (match.pathKey() == null) {
            throw new AssertionError("a path-keyed route matched without a key: " + printable(path));
        }
        takeOnBoth(path, body);
    }

    @FuzzTest
    void nagiosForm(byte[] body) {
        Map<String, String> form = NagiosForm.parse(body);
        if (form != null) {
            NagiosForm.problems(form);
            for (Map.Entry<String, String> field : form.entrySet()) {
                if (field.getKey() == null || field.getValue() == null) {
                    throw new AssertionError("a decoded form has a null name or value");
                }
            }
        }
        NagiosForm.acceptsContentType(new String(body, StandardCharsets.ISO_8859_1));
        Intake.Outcome outcome = check(PLAIN, "/nagios/2010-04-15/create_event", body);
        if (outcome instanceof Intake.Store store && !Arrays.equals(store.item().body(), body)) {
            throw new AssertionError("a Nagios form is stored as the client sent it");
        }
    }

    /** Any path, as the request's path: matching never throws, and a match names a route. */
    @FuzzTest
    void anyPath(byte[] raw) {
        String path = new String(raw, StandardCharsets.UTF_8);
        Route.Match match = Route.match(path);
        if (match != null && match.route().hasPathKey() && match.pathKey() == null) {
            throw new AssertionError("a path-keyed match without a key: " + printable(path));
        }
        if (match != null && match.route().hasPathKey()) {
            Route.pathKeyProblem(match.pathKey());
        }
        if (Intake.validationErrors(path, "{}".getBytes(StandardCharsets.UTF_8)).isEmpty() && match == null) {
            throw new AssertionError("an event accepted for a path that is no ingest path: " + printable(path));
        }
    }

    private static void takeOnBoth(String path, byte[] body) {
        Intake.Outcome plain = check(PLAIN, path, body);
        Intake.Outcome changed = check(transformed, path, body);
        if (plain instanceof Intake.Rejected r && "malformed".equals(r.reason())
                && !(changed instanceof Intake.Rejected c && "malformed".equals(c.reason()))) {
            throw new AssertionError("the transforms changed whether a body parses");
        }
    }

    /** Takes {@code body}, checks the outcome's shape, and takes what would be stored once more. */
    static Intake.Outcome check(Intake intake, String path, byte[] body) {
        Route.Match match = Route.match(path);
        if (match == null) {
            throw new AssertionError("not an ingest path: " + printable(path));
        }
        Intake.Outcome outcome = intake.take(match, path, body, NOW);
        switch (outcome) {
            case Intake.Rejected r -> {
                if (!Set.of("malformed", "invalid").contains(r.reason())) {
                    throw new AssertionError("unknown refusal reason " + r.reason());
                }
                if (r.describe() == null || r.describe().isBlank()) {
                    throw new AssertionError("a refusal without a message");
                }
                if (r.errors().stream().anyMatch(e -> e == null || e.isBlank())) {
                    throw new AssertionError("a refusal with a blank error");
                }
            }
            case Intake.Store s -> checkStored(match, s);
        }
        return outcome;
    }

    private static void checkStored(Route.Match match, Intake.Store s) {
        NewItem item = s.item();
        if (item.orderingKey().isEmpty()) {
            throw new AssertionError("an event stored without an ordering key");
        }
        if (!match.route().isJson()) {
            return;
        }
        if (!(Json.parseObject(item.body()) instanceof Json.ParsedObject)) {
            throw new AssertionError("stored bytes that are no JSON object: " + Json.parseObject(item.body()));
        }
        String storedPath = pathOf(item);
        Route.Match again = Route.match(storedPath);
        if (again == null || again.route() != match.route()) {
            throw new AssertionError("stored for another route's path: " + printable(storedPath));
        }
        Intake.Outcome second = PLAIN.take(again, storedPath, item.body(), NOW);
        if (!(second instanceof Intake.Store s2)) {
            throw new AssertionError("a stored event is refused when taken again: "
                    + ((Intake.Rejected) second).describe());
        }
        if (!s2.item().orderingKey().equals(item.orderingKey())) {
            throw new AssertionError("a stored event changes its ordering key when taken again");
        }
        if (s.dedupKey() != null && !s.dedupKey().equals(s2.dedupKey())) {
            throw new AssertionError("a stored event changes its dedup key when taken again");
        }
    }

    /** The path the item is delivered to, without a query (a rule may have moved a path-keyed event). */
    private static String pathOf(NewItem item) {
        String target = item.destination().target();
        int query = target.indexOf('?');
        return query < 0 ? target : target.substring(0, query);
    }

    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(200).forEach(c -> b.append(c >= 0x20 && c < 0x7f ? Character.toString(c)
                : String.format("\\u%04x", c)));
        return b.toString();
    }
}
