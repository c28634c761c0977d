package io.pdaltagent.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ArgsTest {
    static final Args.Spec SPEC = new Args.Spec()
            .value("-k", "--service-key", "--routing-key")
            .value("-d", "--description")
            .value("-f", "--field")
            .value("--link")
            .value("--link-text")
            .flag("-q", "--quiet");

    @Test
    void takesEveryArgparseFormOfAValue() throws Exception {
        assertThat(SPEC.parse(new String[] {"-k", "K"}).last("--service-key")).isEqualTo("K");
        assertThat(SPEC.parse(new String[] {"-kK"}).last("--service-key")).isEqualTo("K");
        assertThat(SPEC.parse(new String[] {"-k=K"}).last("--service-key")).isEqualTo("K");
        assertThat(SPEC.parse(new String[] {"--service-key", "K"}).last("--service-key")).isEqualTo("K");
        assertThat(SPEC.parse(new String[] {"--service-key=K=V"}).last("--service-key")).isEqualTo("K=V");
        assertThat(SPEC.parse(new String[] {"--routing-key", "K"}).last("--service-key")).isEqualTo("K");
        assertThat(SPEC.parse(new String[] {"--serv", "K"}).last("--service-key")).isEqualTo("K");
    }

    @Test
    void valuesKeepEqualsSignsAndSpaces() throws Exception {
        Args a = SPEC.parse(new String[] {"-d", "disk = full on /var", "-f", "a=b=c", "-f", "url=http://x/?a=1&b=2"});
        assertThat(a.last("--description")).isEqualTo("disk = full on /var");
        assertThat(a.all("--field")).containsExactly("a=b=c", "url=http://x/?a=1&b=2");
    }

    @Test
    void bundlesFlagsAndKeepsCommandLineOrder() throws Exception {
        Args a = SPEC.parse(new String[] {"-qk", "K", "--link", "u1", "--link-text", "t1", "--link", "u2"});
        assertThat(a.has("--quiet")).isTrue();
        assertThat(a.given()).extracting(Args.Given::id)
                .containsExactly("--quiet", "--service-key", "--link", "--link-text", "--link");
    }

    @Test
    void theLastValueWinsAndDoubleDashEndsOptions() throws Exception {
        Args a = SPEC.parse(new String[] {"-k", "A", "-k", "B", "--", "-q", "x"});
        assertThat(a.last("--service-key")).isEqualTo("B");
        assertThat(a.has("--quiet")).isFalse();
        assertThat(a.positional()).containsExactly("-q", "x");
    }

    @Test
    void aNegativeNumberIsAValue() throws Exception {
        assertThat(SPEC.parse(new String[] {"-d", "-5"}).last("--description")).isEqualTo("-5");
    }

    @Test
    void usageErrorsNameTheOptionAsArgparseDoes() {
        assertUsage(new String[] {"-z"}, "unrecognized arguments: -z");
        assertUsage(new String[] {"--nope=1"}, "unrecognized arguments: --nope=1");
        assertUsage(new String[] {"-k"}, "argument -k/--service-key: expected one argument");
        assertUsage(new String[] {"-k", "-q"}, "argument -k/--service-key: expected one argument");
        assertUsage(new String[] {"--quiet=yes"}, "argument -q/--quiet: ignored explicit argument 'yes'");
        assertUsage(new String[] {"--li", "x"}, "ambiguous option: --li could match --link, --link-text");
    }

    private static void assertUsage(String[] argv, String message) {
        assertThatThrownBy(() -> SPEC.parse(argv)).isInstanceOfSatisfying(Args.UsageException.class,
                e -> assertThat(e.getMessage()).startsWith(message));
    }
}
