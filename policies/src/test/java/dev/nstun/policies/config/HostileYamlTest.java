package dev.nstun.policies.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * YAML written to make loading never end or explode: each is refused with one problem at its
 * place, quickly. The timeout only guards against a hang (these take milliseconds).
 */
class HostileYamlTest {
    private static final Duration HANG_GUARD = Duration.ofSeconds(10);

    @Test
    void mergeKeyNamingItsOwnMapIsRefused() {
        assertProblems("a: &a {<<: *a}\nrules: [{outbound: direct}]\n",
                "w.yaml:1:12: *a refers to the map it is in (&a at line 1, column 4): a policy cannot contain itself, directly or"
                        + " through merge keys (<<)");
    }

    @Test
    void cycleThroughSeveralAnchorsIsRefused() {
        assertProblems("""
                a: &a
                  b: &b
                    c: &c
                      <<: [*c, *b, *a]
                rules: [{outbound: direct}]
                """, "w.yaml:4:12: *c refers to the map it is in (&c at line 3, column 8): a policy cannot contain itself, directly or"
                + " through merge keys (<<)");
    }

    @Test
    void cycleThroughAnOuterAnchorIsRefused() {
        assertProblems("""
                outbounds:
                  - &corp {name: corp, type: socks5, server: 10.0.0.5:1080, extra: {deeper: {<<: *corp}}}
                rules: [{outbound: corp}]
                """, "w.yaml:2:82: *corp refers to the map it is in (&corp at line 2, column 5): a policy cannot contain itself,"
                + " directly or through merge keys (<<)");
    }

    @Test
    void listContainingItselfIsRefused() {
        assertProblems("rules: &r [{outbound: direct}, *r]\n",
                "w.yaml:1:32: *r refers to the list it is in (&r at line 1, column 8): a policy cannot contain itself, directly or"
                        + " through merge keys (<<)");
    }

    @Test
    void anchorRedefinedInsideItsNodeNamesTheNewNode() throws Exception {
        Policy policy = assertTimeoutPreemptively(HANG_GUARD, () -> PolicyLoader.parse("w.yaml", """
                rules: &r
                  - {domain-suffix: &r example.com, outbound: direct}
                  - {domain-suffix: *r, outbound: reject}
                """, Path.of("/etc/nstun"), FakeEnvironment.standard()));
        assertEquals(List.of("example.com"), policy.rules().get(1).domainSuffixes());
    }

    @Test
    void mergeOfAnEarlierMapStillWorks() throws Exception {
        Policy policy = assertTimeoutPreemptively(HANG_GUARD, () -> PolicyLoader.parse("w.yaml", """
                outbounds:
                  - &base {name: corp, type: socks5, server: 10.0.0.5:1080}
                  - {<<: [*base, *base], name: corp2}
                rules: [{outbound: corp2}]
                """, Path.of("/etc/nstun"), FakeEnvironment.standard()));
        assertEquals(Outbound.Socks5.class, policy.outbound("corp2").orElseThrow().getClass());
    }

    @Test
    void billionLaughsStopsAtItsEvents() {
        StringBuilder text = new StringBuilder("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int level = 1; level <= 9; level++) {
            String prior = "*l" + (level - 1);
            text.append("l").append(level).append(": &l").append(level).append(" [")
                    .append(IntStream.range(0, 10).mapToObj(i -> prior).collect(Collectors.joining(", "))).append("]\n");
        }
        text.append("rules: [{domain-suffix: *l9, outbound: direct}]\n");
        assertProblems(text.toString(), "w.yaml:6:45: aliases repeat more than 1000000 lists, maps and values in all (a limit against"
                + " alias bombs)");
    }

    @Test
    void bombThroughMergeKeysStopsAtItsEvents() {
        StringBuilder text = new StringBuilder("m0: &m0 {" + IntStream.range(0, 1000).mapToObj(i -> "k" + i + ": v")
                .collect(Collectors.joining(", ")) + "}\n");
        for (int level = 1; level <= 4; level++) {
            String prior = "*m" + (level - 1);
            text.append("m").append(level).append(": &m").append(level).append(" {<<: [")
                    .append(IntStream.range(0, 20).mapToObj(i -> prior).collect(Collectors.joining(", "))).append("]}\n");
        }
        text.append("rules: [{outbound: direct}]\n");
        assertProblems(text.toString(), "w.yaml:4:15: aliases repeat more than 1000000 lists, maps and values in all (a limit against"
                + " alias bombs)");
    }

    private static void assertProblems(String text, String... expected) {
        PolicyException e = assertTimeoutPreemptively(HANG_GUARD, () -> assertThrows(PolicyException.class,
                () -> PolicyLoader.parse("w.yaml", text, Path.of("/etc/nstun"), FakeEnvironment.standard())));
        assertEquals(List.of(expected), e.problems().stream().map(Problem::toString).toList());
    }
}
