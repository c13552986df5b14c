package dev.nstun.policies.config;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.rules.Explain;
import dev.nstun.policies.rules.FlowKey;
import dev.nstun.policies.rules.RuleMatcher;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rule-sets:} and {@code rule-set:}: clash rule-provider lists (YAML and text forms, the
 * classical, domain and ipcidr behaviors) and hosts lists, read from files beside the policy, each
 * bad entry a problem at its file, line and column.
 */
class RuleSetTest {
    @TempDir
    Path dir;

    /** Writes the files (name → content) beside a policy with the given text, and loads it. */
    private Policy load(String policy, Map<String, String> sets) throws Exception {
        for (Map.Entry<String, String> e : sets.entrySet()) {
            Files.writeString(dir.resolve(e.getKey()), e.getValue());
        }
        return PolicyLoader.load(Files.writeString(dir.resolve("p.yaml"), policy), FakeEnvironment.realFilesUnder(dir));
    }

    private List<String> problems(String policy, Map<String, String> sets) {
        PolicyException e = assertThrows(PolicyException.class, () -> load(policy, sets));
        String prefix = dir + "/";
        return e.problems().stream().map(p -> p.toString().replace(prefix, "")).toList();
    }

    private static String outbound(RuleMatcher matcher, String host) throws Exception {
        Optional<InetAddress> address = IpLiteral.parse(host);
        FlowKey flow = address.isPresent() ? FlowKey.ofAddress(address.get(), 443, Network.TCP) : FlowKey.ofDomain(host, 443, Network.TCP);
        return matcher.match(flow).outbound().name();
    }

    private static void assertOutbounds(Policy policy, Map<String, String> want) throws Exception {
        RuleMatcher matcher = RuleMatcher.of(policy);
        for (Map.Entry<String, String> e : want.entrySet()) {
            assertEquals(e.getValue(), outbound(matcher, e.getKey()), e.getKey());
        }
    }

    private static final String POLICY = """
            rule-sets:
              - {name: ads, file: ads.yaml, format: clash}
            rules:
              - {rule-set: ads, outbound: reject}
              - {outbound: direct}
            """;

    @Test
    void clashClassicalYamlPayload() throws Exception {
        Policy policy = load(POLICY, Map.of("ads.yaml", """
                # from a clash rule provider
                payload:
                  - DOMAIN,exact.example
                  - 'DOMAIN-SUFFIX,ads.example'
                  - "DOMAIN-KEYWORD,tracker"
                  - IP-CIDR,192.0.2.0/24,no-resolve
                  - IP-CIDR6,2001:db8::/32
                """));
        RuleSet set = policy.rules().get(0).ruleSets().get(0);
        assertAll(
                () -> assertEquals(5, set.size()),
                () -> assertEquals("{rule-set: ads, outbound: reject}", policy.rules().get(0).text()),
                () -> assertOutbounds(policy, Map.of("exact.example", "reject", "www.exact.example", "direct", "ads.example", "reject",
                        "a.b.ads.example", "reject", "badads.example", "direct", "x.tracker.io", "reject", "192.0.2.9", "reject",
                        "198.51.100.1", "direct", "2001:db8::5", "reject", "2001:db9::5", "direct")));
    }

    @Test
    void clashClassicalTextForm() throws Exception {
        Policy policy = load(POLICY, Map.of("ads.yaml", """
                # comment
                DOMAIN-SUFFIX,ads.example

                  IP-CIDR,10.0.0.0/8
                """));
        assertOutbounds(policy, Map.of("x.ads.example", "reject", "10.1.2.3", "reject", "example.com", "direct"));
    }

    @Test
    void clashDomainBehaviorWildcards() throws Exception {
        String policy = POLICY.replace("format: clash}", "format: clash, behavior: domain}");
        for (String content : List.of("""
                payload:
                  - '+.plus.example'
                  - '.dot.example'
                  - '*.star.example'
                  - 'exact.example'
                """, "+.plus.example\n.dot.example\n*.star.example\nexact.example\n")) {
            assertOutbounds(load(policy, Map.of("ads.yaml", content)), Map.of(
                    "plus.example", "reject", "a.b.plus.example", "reject",
                    "dot.example", "direct", "a.b.dot.example", "reject",
                    "star.example", "direct", "a.star.example", "reject", "a.b.star.example", "direct",
                    "exact.example", "reject", "a.exact.example", "direct"));
        }
    }

    @Test
    void clashIpcidrBehavior() throws Exception {
        Policy policy = load(POLICY.replace("format: clash}", "format: clash, behavior: ipcidr}"),
                Map.of("ads.yaml", "payload:\n  - '192.0.2.0/24'\n  - 'fd00::/8'\n"));
        assertOutbounds(policy, Map.of("192.0.2.1", "reject", "fd12::1", "reject", "192.0.3.1", "direct"));
    }

    @Test
    void hostsListHoldsExactNamesInEitherForm() throws Exception {
        Policy policy = load(POLICY.replace("format: clash", "format: hosts"), Map.of("ads.yaml", """
                # StevenBlack-style
                0.0.0.0 0.0.0.0
                0.0.0.0 ads.example tracker.example   # two names
                plain.example
                ::1 six.example
                """));
        assertOutbounds(policy, Map.of("ads.example", "reject", "tracker.example", "reject", "plain.example", "reject",
                "six.example", "reject", "www.ads.example", "direct", "0.0.0.0", "direct"));
    }

    @Test
    void ruleSetsCombineWithTheRulesOtherConditions() throws Exception {
        Policy policy = load("""
                rule-sets:
                  - {name: a, file: a.txt, format: hosts}
                  - {name: b, file: b.txt, format: clash, behavior: domain}
                rules:
                  - {rule-set: [a, b], domain: own.example, port: 443, outbound: reject}
                  - {outbound: direct}
                """, Map.of("a.txt", "a.example\n", "b.txt", "+.b.example\n"));
        RuleMatcher matcher = RuleMatcher.of(policy);
        assertAll(
                () -> assertEquals("reject", outbound(matcher, "a.example")),
                () -> assertEquals("reject", outbound(matcher, "x.b.example")),
                () -> assertEquals("reject", outbound(matcher, "own.example")),
                () -> assertEquals("direct", matcher.match(FlowKey.ofDomain("a.example", 80, Network.TCP)).outbound().name()));
    }

    @Test
    void explainNamesTheSetAndItsEntry() throws Exception {
        Policy policy = load(POLICY, Map.of("ads.yaml", "DOMAIN-SUFFIX,ads.example\n"));
        String why = Explain.explain(policy, "www.ads.example:443", Network.TCP);
        assertTrue(why.contains("  matched: rule-set ads (" + dir.resolve("ads.yaml") + "): domain-suffix ads.example"), why);
    }

    @Test
    void loadingAgainReadsTheSetFilesAgain() throws Exception {
        assertOutbounds(load(POLICY, Map.of("ads.yaml", "DOMAIN,one.example\n")), Map.of("one.example", "reject", "two.example",
                "direct"));
        assertOutbounds(load(POLICY, Map.of("ads.yaml", "DOMAIN,two.example\n")), Map.of("one.example", "direct", "two.example",
                "reject"));
    }

    @Test
    void commandLineRulesInFrontKeepTheFilesRuleSets() throws Exception {
        Policy file = load(POLICY, Map.of("ads.yaml", "DOMAIN,ads.example\n"));
        Policy both = AccessList.parse(List.of("example.org"), List.of()).prependTo(file);
        assertOutbounds(both, Map.of("ads.example", "reject", "example.org", "direct"));
    }

    @Test
    void badEntriesAreProblemsAtTheirLineAndColumnInTheSetFile() {
        assertEquals(List.of(
                "ads.yaml:2:1: 'GEOIP' entries are not supported in rule sets (expected one of: DOMAIN, DOMAIN-SUFFIX, DOMAIN-KEYWORD, "
                        + "IP-CIDR, IP-CIDR6)",
                "ads.yaml:3:3: invalid entry 'IP-CIDR,10.0.0.1/8': host bits are set: did you mean 10.0.0.0/8 (the network "
                        + "containing 10.0.0.1), or 10.0.0.1/32 (that address alone)?",
                "ads.yaml:4:1: expected TYPE,VALUE such as DOMAIN-SUFFIX,example.com, got 'plain.example'; a list of names needs "
                        + "behavior: domain",
                "ads.yaml:5:1: unknown option 'src' in 'DOMAIN,x.example,src' (only no-resolve, which changes nothing: nstun never "
                        + "resolves names to match prefixes)"),
                problems(POLICY, Map.of("ads.yaml", "DOMAIN,ok.example\nGEOIP,CN\n  IP-CIDR,10.0.0.1/8\nplain.example\n"
                        + "DOMAIN,x.example,src\n")));
    }

    @Test
    void yamlPayloadProblemsPointIntoTheList() {
        assertEquals(List.of(
                "ads.yaml:3:5: invalid entry 'a..b': empty label (a dot at the start or two dots in a row)",
                "ads.yaml:4:5: expected a name, got a map",
                "ads.yaml:5:5: invalid name 'a.*.example': '*' is supported only as the first label ('*.example.com': one label "
                        + "below example.com); '+.example.com' is example.com and all its subdomains"),
                problems(POLICY.replace("format: clash}", "format: clash, behavior: domain}"),
                        Map.of("ads.yaml", "payload:\n  - ok.example\n  - a..b\n  - {x: 1}\n  - a.*.example\n")));
    }

    @Test
    void policyProblemsComeFirstThenEachSetFilesOwn() {
        assertEquals(List.of(
                "p.yaml:3:36: unknown format 'clsah' (expected one of: clash, hosts); did you mean 'clash'?",
                "p.yaml:4:21: cannot read rule set c from c.txt: no such file",
                "p.yaml:5:53: 'behavior' applies to format clash only (a hosts list holds names)",
                "p.yaml:7:16: unknown rule set 'ad' (declared: a, b, c, d); did you mean 'a'?",
                "a.txt:1:1: invalid entry 'a..example': empty label (a dot at the start or two dots in a row)"),
                problems("""
                        rule-sets:
                          - {name: a, file: a.txt, format: clash, behavior: domain}
                          - {name: b, file: b.txt, format: clsah}
                          - {name: c, file: c.txt, format: hosts}
                          - {name: d, file: a.txt, format: hosts, behavior: domain}
                        rules:
                          - {rule-set: ad, outbound: reject}
                        """, Map.of("a.txt", "a..example\n")));
    }

    @Test
    void aFileOfGarbageStopsAfterTwentyProblems() {
        List<String> found = problems(POLICY, Map.of("ads.yaml", "nonsense here\n".repeat(100_000)));
        assertEquals(RuleSetFile.MAX_PROBLEMS + 1, found.size());
        assertEquals("ads.yaml:20:1: stopped reading after 20 problems: is this a rule-set file of the format its rule-sets entry "
                + "names?", found.get(found.size() - 1));
    }

    @Test
    void fileLargerThanTheCapIsRefusedBeforeReading() {
        String huge = "a".repeat((int) UserFile.Kind.RULE_SET.maxBytes() + 1);
        assertEquals(List.of("p.yaml:2:23: cannot read rule set ads from ads.yaml: the file is 16777217 bytes; a rule-set file may "
                + "have at most 16777216"), problems(POLICY, Map.of("ads.yaml", huge)));
    }

    @Test
    void aSetFileThatIsAFifoIsRefusedWithoutWaiting() throws Exception {
        Path fifo = dir.resolve("ads.yaml");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mkfifo.waitFor());
        assertEquals(List.of("p.yaml:2:23: cannot read rule set ads from ads.yaml: not a regular file (a FIFO); give a path to a "
                + "list of names or prefixes"), problems(POLICY, Map.of()));
    }
}
