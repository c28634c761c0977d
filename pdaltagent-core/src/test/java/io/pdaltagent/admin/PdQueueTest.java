package io.pdaltagent.admin;

import static io.pdaltagent.admin.QueueAdminHandlerTest.K1;
import static io.pdaltagent.admin.QueueAdminHandlerTest.K2;
import static io.pdaltagent.admin.QueueAdminHandlerTest.K3;
import static io.pdaltagent.admin.QueueAdminHandlerTest.K4;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.testing.ManualClock;
import io.pdaltagent.queue.EventQueue;
import io.pdaltagent.queue.SqliteEventQueue;
import io.pdaltagent.testing.AgentProcess;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PdQueue#run} in-process: against a real admin API server, and directly on a data directory. */
class PdQueueTest {
    static final String INSTANCE = "3f1c2b9e-0000-4000-8000-000000000001";
    private final ManualClock clock = new ManualClock(Instant.parse("2025-03-01T12:00:00Z"));
    private Server server;
    private EventQueue queue;

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
        if (queue != null) {
            queue.close();
        }
    }

    @Test
    void statusRetryListShowAndPurgeThroughTheAdminApi() throws Exception {
        Map<String, String> env = serve();
        Result status = run(env, "status");
        assertThat(status.code()).isZero();
        assertThat(status.err()).isEmpty();
        assertThat(PdQueueFormatTest.squeeze(status.out()))
                .isEqualTo(K1 + " 1 0 0 throttled\n" + K2 + " 1 0 1\n" + K3 + " 0 1 0\n");
        assertThat(PdQueueFormatTest.squeeze(run(env, "status", "-k", K2).out())).isEqualTo(K2 + " 1 0 1\n");
        assertThat(run(env, "status", "-k", K4).out()).isEqualTo("Nothing to report.\n");

        Result list = run(env, "list");
        assertThat(list.code()).isZero();
        assertThat(list.out()).contains(K2, "test21", "HTTP 400: {\"status\":\"invalid event\"");
        long seq = queue.listDead(K2, 1).get(0).seq();
        Result show = run(env, "show", String.valueOf(seq));
        assertThat(show.out()).contains("State:        dead", "Last Status:  400", "Event object is invalid",
                "{\"routing_key\":\"" + K2 + "\",\"dedup_key\":\"test21\"}");
        Result missing = run(env, "show", "999");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).isEqualTo("pd-queue: no event with seq 999 in the queue\n");

        assertThat(run(env, "retry", "-k", K2).out()).isEqualTo("1 event(s) set up for retry.\n");
        assertThat(run(env, "retry", "-a").out()).isEqualTo("0 event(s) set up for retry.\n");
        QueueAdminHandlerTest.deadEvent(queue, K4, "x");
        assertThat(run(env, "retry", "-a", "--json").out()).isEqualTo("{\"retried\":1}\n");

        QueueAdminHandlerTest.deadEvent(queue, "key5aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "y");
        Result purge = run(env, "purge", "--yes");
        assertThat(purge.code()).isZero();
        assertThat(purge.out()).isEqualTo("1 dead event(s) purged.\n");
        assertThat(run(env, "purge", "--delivered", "-y", "--json").out()).isEqualTo("{\"purged\":1}\n");
    }

    @Test
    void retryAndPurgeChosenEventsThroughTheAdminApiAndDirectly() throws Exception {
        Map<String, String> apiEnv = serve();
        QueueAdminHandlerTest.deadEvent(queue, K4, "x");
        long deadK2 = queue.listDead(K2, 1).get(0).seq();
        long deadK4 = queue.listDead(K4, 1).get(0).seq();
        assertThat(run(apiEnv, "retry", "--seq", String.valueOf(deadK2)).out()).isEqualTo("1 event(s) set up for retry.\n");
        assertThat(queue.keyStats(K2).get(0).dead()).isZero();
        assertThat(queue.keyStats(K4).get(0).dead()).isEqualTo(1);
        Result declined = run(apiEnv, "n\n", true, "purge", "--seq", String.valueOf(deadK4));
        assertThat(declined.code()).isEqualTo(1);
        assertThat(declined.err()).startsWith("Purge 1 chosen event(s) where they are dead? [y/N] ");
        assertThat(queue.keyStats(K4).get(0).dead()).isEqualTo(1);
        stop();
        queue = null;
        server = null;

        Map<String, String> env = Map.of("PDQUEUE_AGENT_URL", "http://127.0.0.1:" + AgentProcess.freePort(),
                "PDAGENTD_DATA_DIR", dir.toString());
        // a seq that is not dead (K2's, retried above) is left alone
        Result purge = run(env, "purge", "--seq", deadK4 + "," + deadK2, "--yes", "--json");
        assertThat(purge.code()).isZero();
        assertThat(purge.out()).isEqualTo("{\"purged\":1}\n");
        assertThat(PdQueueFormatTest.squeeze(run(env, "status", "-k", K2).out())).isEqualTo(K2 + " 2 0 0\n");
    }

    @Test
    void purgeAsksOnATerminalUnlessYes() throws Exception {
        Map<String, String> env = serve();
        Result no = run(env, "n\n", true, "purge");
        assertThat(no.code()).isEqualTo(1);
        assertThat(no.err()).isEqualTo("Purge 1 dead event(s)? [y/N] Nothing purged.\n");
        assertThat(no.out()).isEmpty();
        assertThat(queue.stats().dead()).isEqualTo(1);
        Result eof = run(env, "", true, "purge", "-k", K2);
        assertThat(eof.code()).isEqualTo(1);
        assertThat(eof.err()).startsWith("Purge 1 dead event(s) of service key " + K2 + "? [y/N] ");

        Result yes = run(env, "y\n", true, "purge");
        assertThat(yes.code()).isZero();
        assertThat(yes.out()).isEqualTo("1 dead event(s) purged.\n");
        assertThat(queue.stats().dead()).isZero();
        // nothing to purge: no question
        Result none = run(env, "", true, "purge");
        assertThat(none.code()).isZero();
        assertThat(none.err()).isEmpty();
        assertThat(none.out()).isEqualTo("0 dead event(s) purged.\n");
    }

    @Test
    void purgeWithoutATerminalNeedsYes() throws Exception {
        Map<String, String> env = serve();
        Result r = run(env, "y\n", false, "purge");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("usage: pd-queue purge [-h] [--dead | --delivered] [-k SERVICE_KEY] [--seq SEQ] [-y] [--json]\n"
                + "pd-queue purge: error: no terminal to ask for confirmation on; pass --yes to purge without asking\n");
        assertThat(queue.stats().dead()).isEqualTo(1);
    }

    @Test
    void usageErrorsExit2WithTheReason() throws Exception {
        Map<String, String> env = serve();
        Result neither = run(env, "retry");
        assertThat(neither.code()).isEqualTo(2);
        assertThat(neither.out()).isEmpty();
        assertThat(neither.err()).isEqualTo("usage: pd-queue retry [-h] [-k SERVICE_KEY] [-a] [--seq SEQ] [--json]\n"
                + "pd-queue retry: error: A specific service key or a flag for all keys required\n");
        Result both = run(env, "retry", "-k", K2, "-a");
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).endsWith("pd-queue retry: error: Only one of specific service key or flag for all keys required\n");
        assertThat(queue.stats().dead()).isEqualTo(1);
        assertThat(run(env, "--help").code()).isZero();
        assertThat(run(env, "--version").out()).startsWith("pd-queue ");
    }

    @Test
    void theSameCommandsWorkDirectlyOnTheDataDirectoryOfAStoppedAgent() throws Exception {
        Map<String, String> apiEnv = serve();
        String listJson = run(apiEnv, "list", "--json").out();
        long seq = queue.listDead(K2, 1).get(0).seq();
        String showJson = run(apiEnv, "show", "--json", String.valueOf(seq)).out();
        stop();
        queue = null;
        server = null;

        Map<String, String> env = Map.of("PDQUEUE_AGENT_URL", "http://127.0.0.1:" + AgentProcess.freePort(),
                "PDAGENTD_DATA_DIR", dir.toString());
        Result status = run(env, "status");
        assertThat(status.code()).isZero();
        assertThat(status.err()).isEmpty();
        // nothing backs off while the agent is stopped
        assertThat(PdQueueFormatTest.squeeze(status.out())).isEqualTo(K1 + " 1 0 0\n" + K2 + " 1 0 1\n" + K3 + " 0 1 0\n");
        // the very same documents as the admin API's
        assertThat(run(env, "list", "--json").out()).isEqualTo(listJson);
        assertThat(run(env, "show", "--json", String.valueOf(seq)).out()).isEqualTo(showJson);

        Result retry = run(env, "retry", "-a");
        assertThat(retry.out()).isEqualTo("1 event(s) set up for retry.\n");
        assertThat(retry.err()).isEqualTo("pd-queue: the agent is not running; they are sent when it starts\n");
        assertThat(run(env, "purge", "--delivered", "--yes").out()).isEqualTo("1 delivered event(s) purged.\n");
        assertThat(PdQueueFormatTest.squeeze(run(env, "status").out())).isEqualTo(K1 + " 1 0 0\n" + K2 + " 2 0 0\n");
        assertThat(run(env, "show", "999").code()).isEqualTo(1);
    }

    @Test
    void aQueueInUseWithNoReachableAgentIsAnAgentWhoseAdminApiIsElsewhere() throws Exception {
        queue = SqliteEventQueue.open(dir, clock, 100);
        String url = "http://127.0.0.1:" + AgentProcess.freePort();
        Result r = run(Map.of("PDQUEUE_AGENT_URL", url, "PDAGENTD_DATA_DIR", dir.toString()), "status");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("pd-queue: the agent seems to be running (its queue in " + dir + " is in use) but its admin API "
                + "is not reachable at " + url + " (connection refused); set PDQUEUE_AGENT_URL to the agent's admin address (PDAGENTD_ADMIN_PORT)\n");
    }

    @Test
    void noAgentAndNoQueueIsOneLineAndExit1() throws Exception {
        String url = "http://127.0.0.1:" + AgentProcess.freePort();
        Path none = dir.resolve("nothing-here");
        Result r = run(Map.of("PDQUEUE_AGENT_URL", url, "PDAGENTD_DATA_DIR", none.toString()), "status");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("pd-queue: the agent is not reachable at " + url + " (connection refused) and there is no queue in "
                + none + " (set PDQUEUE_AGENT_URL or PDAGENTD_DATA_DIR?)\n");
        assertThat(Files.exists(none)).as("pd-queue creates nothing").isFalse();
    }

    @Test
    void somethingElseAtTheUrlIsNotTakenForTheAgent() throws Exception {
        server = new Server();
        ServerConnector c = new ServerConnector(server);
        c.setHost("127.0.0.1");
        server.addConnector(c);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Response.writeError(request, response, callback, 404);
                return true;
            }
        });
        server.start();
        String url = "http://127.0.0.1:" + c.getLocalPort();
        Result r = run(Map.of("PDQUEUE_AGENT_URL", url, "PDAGENTD_DATA_DIR", dir.toString()), "status");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("pd-queue: the agent at " + url + " has no queue admin API (HTTP 404 for "
                + "/admin/v1/queue/status); is PDQUEUE_AGENT_URL right?\n");
    }

    @Test
    void whereTheAgentIsFollowsItsOwnSettings() {
        Path home = Path.of(System.getProperty("user.home"));
        Path noFile = dir.resolve("no-such.yaml");
        PdQueue.Target d = PdQueue.Target.fromEnv(Map.of(), noFile);
        assertThat(d.agentUrl()).isEqualTo(URI.create("http://127.0.0.1:8081"));
        assertThat(d.dataDir()).isEqualTo(io.pdaltagent.config.EnvConfig.defaultDataDir());
        assertThat(d.token()).isNull();
        PdQueue.Target t = PdQueue.Target.fromEnv(Map.of("PDAGENTD_ADMIN_PORT", "9090", "PDAGENTD_DATA_DIR", "/var/lib/x",
                "PDAGENTD_ADMIN_TOKEN", "0123456789abcdef0123"), noFile);
        assertThat(t.agentUrl()).isEqualTo(URI.create("http://127.0.0.1:9090"));
        assertThat(t.dataDir()).isEqualTo(Path.of("/var/lib/x"));
        assertThat(t.token()).isEqualTo("0123456789abcdef0123");
        assertThat(t.toString()).doesNotContain("0123456789abcdef0123");
        assertThat(PdQueue.Target.fromEnv(Map.of("PDAGENTD_ADMIN_PORT", "0"), noFile).agentUrl()).isNull();
        assertThat(PdQueue.Target.fromEnv(Map.of("PDAGENTD_ADMIN_BIND_ADDRESS", "::1"), noFile).agentUrl())
                .isEqualTo(URI.create("http://[::1]:8081"));
        assertThat(PdQueue.Target.fromEnv(Map.of("PDQUEUE_AGENT_URL", "http://localhost:1234", "PDAGENTD_ADMIN_PORT", "9"), noFile)
                .agentUrl()).isEqualTo(URI.create("http://localhost:1234"));
        assertThatThrownBy(() -> PdQueue.Target.fromEnv(Map.of("PDAGENTD_ADMIN_PORT", "http"), noFile))
                .isInstanceOfSatisfying(PdQueueException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(2);
                    assertThat(e.getMessage()).isEqualTo("PDAGENTD_ADMIN_PORT: 'http' is not a whole number");
                });
        assertThatThrownBy(() -> PdQueue.Target.fromEnv(Map.of("PDQUEUE_AGENT_URL", "localhost:8080"), noFile))
                .hasMessage("PDQUEUE_AGENT_URL: 'localhost:8080' is not an http:// or https:// URL with a host");
        assertThat(home).isNotNull();
    }

    @Test
    void theEndpointFileInTheDataDirIsUsedOnlyWhenItsAgentAnswers() throws Exception {
        Map<String, String> apiEnv = serve();
        URI live = URI.create(apiEnv.get("PDQUEUE_AGENT_URL"));
        Path noFile = dir.resolve("no-such.yaml");
        Map<String, String> onlyDir = Map.of("PDAGENTD_DATA_DIR", dir.toString());
        // a stale file (a killed agent's): the URL does not answer as that instance
        AgentEndpoint.write(dir, new AgentEndpoint.Endpoint(live, "not-the-instance", null));
        assertThat(PdQueue.Target.fromEnv(onlyDir, noFile).agentUrl()).isEqualTo(URI.create("http://127.0.0.1:8081"));
        AgentEndpoint.write(dir, new AgentEndpoint.Endpoint(URI.create("http://127.0.0.1:" + AgentProcess.freePort()), INSTANCE,
                "0123456789abcdef0123"));
        assertThat(PdQueue.Target.fromEnv(onlyDir, noFile).agentUrl()).isEqualTo(URI.create("http://127.0.0.1:8081"));
        // the live one: URL and token from the file
        AgentEndpoint.write(dir, new AgentEndpoint.Endpoint(live, INSTANCE, "0123456789abcdef0123"));
        assertThat(java.nio.file.Files.getPosixFilePermissions(dir.resolve(AgentEndpoint.FILE_NAME)))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        PdQueue.Target t = PdQueue.Target.fromEnv(onlyDir, noFile);
        assertThat(t.agentUrl()).isEqualTo(live);
        assertThat(t.token()).isEqualTo("0123456789abcdef0123");
        AgentEndpoint.remove(dir, "someone-else");
        assertThat(dir.resolve(AgentEndpoint.FILE_NAME)).exists();
        AgentEndpoint.remove(dir, INSTANCE);
        assertThat(dir.resolve(AgentEndpoint.FILE_NAME)).doesNotExist();
    }

    @Test
    void adminListenerOffMeansTheDataDirectory() throws Exception {
        Map<String, String> env = Map.of("PDAGENTD_ADMIN_PORT", "0", "PDAGENTD_DATA_DIR", dir.resolve("none").toString(),
                "PDAGENTD_CONFIG_FILE", "/dev/null");
        Result r = run(env, "status");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("(the agent's admin listener is off)");
    }

    @Test
    void suppressedCountsPerKeyAndRuleAndListsTheEventsThroughTheApiAndDirectly() throws Exception {
        Map<String, String> env = serve();
        assertThat(run(env, "suppressed").out()).isEqualTo("No suppressed events.\n");
        for (String by : new String[] {"drop-tests", "drop-tests", "night-window"}) {
            queue.append(new io.pdaltagent.queue.NewItem(K1, io.pdaltagent.queue.Destination.events("/v2/enqueue"),
                    "application/json", "{}".getBytes(StandardCharsets.UTF_8), "quiet-" + by, clock.instant())
                    .suppressed(by)).get();
        }
        Result r = run(env, "suppressed");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("Service Key").contains("Suppressed By  Count\n", "quiet-drop-tests",
                "suppressed by night-window");
        assertThat(PdQueueFormatTest.squeeze(r.out())).startsWith(K1 + " drop-tests 2\n" + K1 + " night-window 1\n");
        assertThat(run(env, "suppressed", "-k", K2).out()).isEqualTo("No suppressed events for service key " + K2 + ".\n");
        assertThat(PdQueueFormatTest.squeeze(run(env, "status", "-k", K1).out()))
                .as("status is PagerDuty Agent's table: suppressed events are not in it").isEqualTo(K1 + " 1 0 0 throttled\n");
        stop();
        queue = null;
        server = null;
        Map<String, String> direct = Map.of("PDQUEUE_AGENT_URL", "http://127.0.0.1:" + AgentProcess.freePort(),
                "PDAGENTD_DATA_DIR", dir.toString());
        assertThat(run(direct, "suppressed", "--limit", "1").out()).contains(K1 + "  drop-tests", "more suppressed events");
    }

    // ---------------------------------------------------------------- helpers

    /** PagerDuty Agent's status scenario behind a real admin API server; returns pd-queue's environment. */
    private Map<String, String> serve() throws Exception {
        queue = SqliteEventQueue.open(dir, clock, 1000);
        QueueAdminHandlerTest.populate(queue, clock);
        server = new Server();
        ServerConnector c = new ServerConnector(server);
        c.setHost("127.0.0.1");
        server.addConnector(c);
        server.setHandler(new Handler.Sequence(new QueueAdminHandler(queue), new AgentIdentityHandler(INSTANCE, "test")));
        server.start();
        Map<String, String> env = new HashMap<>();
        env.put("PDQUEUE_AGENT_URL", "http://127.0.0.1:" + c.getLocalPort());
        env.put("PDAGENTD_DATA_DIR", dir.toString());
        return env;
    }

    private static Result run(Map<String, String> env, String... args) {
        return run(env, "", false, args);
    }

    private static Result run(Map<String, String> env, String stdin, boolean terminal, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = PdQueue.run(args, env, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), terminal);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
