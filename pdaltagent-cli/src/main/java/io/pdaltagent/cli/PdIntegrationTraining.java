package io.pdaltagent.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The part of the build's class-data training run ({@link CdsTraining}) that runs {@code pd-nagios},
 * {@code pd-zabbix} and {@code pd-sensu} on their common paths, so that the archive
 * {@code target/pd-send.jsa}, which their launchers map as {@code bin/pd-send} does, holds their
 * classes too. Not part of any command.
 */
final class PdIntegrationTraining {
    private static final String KEY = "cdstraining00000000000000000000y";
    private static final String ZABBIX_BODY = "name:Disk full\nid:1\nstatus:PROBLEM\nhostname:h\nNOTE: Escalation cancelled";
    private static final String SENSU_RESULT = "{\"action\":\"create\",\"client\":{\"name\":\"c\"},"
            + "\"check\":{\"name\":\"k\",\"output\":\"o\",\"status\":2}}";

    private PdIntegrationTraining() {
    }

    /**
     * Runs the three commands against the agent {@code env} points at.
     *
     * @return how many runs ended with another exit code than expected (printed on stderr)
     */
    static int run(Map<String, String> env) {
        // the commands read their settings with System.getenv(); the training passes a map instead
        System.getenv().containsKey("PDSEND_EVENTS_BASE_URL");
        int failures = 0;
        failures += nagios(env, 0, "-n", "service", "-k", KEY, "-t", "PROBLEM", "-f", "HOSTNAME=h", "-f", "SERVICEDESC=d",
                "-f", "SERVICESTATE=CRITICAL", "-f", "SERVICEOUTPUT=x=y");
        failures += nagios(env, 0, "--notification-type=host", "-k", KEY, "-t", "ACKNOWLEDGEMENT", "-i", "k",
                "-f", "HOSTNAME=h", "-f", "HOSTSTATE=DOWN");
        failures += nagios(env, 2, "-n", "host", "-k", KEY, "-t", "FLAPPINGSTART");
        failures += nagios(env, 0, "-h");
        failures += expect("pd-zabbix", 0, PdZabbix.run(new String[] {KEY, "trigger", ZABBIX_BODY}, sink(), submitter(env),
                System.currentTimeMillis(), PdIntegration.agentId()));
        failures += expect("pd-zabbix", 1, PdZabbix.run(new String[] {KEY}, sink(), submitter(env),
                System.currentTimeMillis(), PdIntegration.agentId()));
        failures += sensu(env, 0, SENSU_RESULT, "-k", KEY);
        failures += sensu(env, 1, "not json", "-k", KEY);
        return failures;
    }

    private static int nagios(Map<String, String> env, int expected, String... argv) {
        PrintStream out = sink();
        return expect("pd-nagios", expected, PdNagios.run(argv, out, out, submitter(env), System.currentTimeMillis(),
                PdIntegration.agentId()));
    }

    private static int sensu(Map<String, String> env, int expected, String stdin, String... argv) {
        PrintStream out = sink();
        InputStream in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        return expect("pd-sensu", expected, PdSensu.run(argv, in, out, out, submitter(env), System.currentTimeMillis(),
                PdIntegration.agentId()));
    }

    private static PdIntegration.Submitter submitter(Map<String, String> env) {
        return new PdIntegration.ClientSubmitter(AgentClient.fromEnv(env));
    }

    private static PrintStream sink() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }

    private static int expect(String command, int expected, int code) {
        if (code != expected) {
            System.err.println("CdsTraining: " + command + " exited " + code + " (expected " + expected + ")");
            return 1;
        }
        return 0;
    }
}
