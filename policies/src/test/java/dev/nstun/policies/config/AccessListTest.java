package dev.nstun.policies.config;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.rules.FlowKey;
import dev.nstun.policies.rules.Match;
import dev.nstun.policies.rules.RuleMatcher;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AccessListTest {
    private static final DnsSettings.Upstream HOST_RESOLVER = new DnsSettings.Upstream(Network.UDP, new HostPort("192.0.2.53", 53));
    private static final Policy DIRECT = Policy.direct(HOST_RESOLVER, "command line");

    private static AccessList.Entry allow(String pattern) {
        return AccessList.entry("--allow", pattern);
    }

    @Nested
    class Patterns {
        @Test
        void aNameIsThatNameOnly() {
            AccessList.Entry e = allow("PyPI.org.");
            assertAll(() -> assertEquals(List.of("pypi.org"), e.domains()),
                    () -> assertEquals(List.of(), e.domainSuffixes()),
                    () -> assertEquals(List.of(), e.ports()),
                    () -> assertEquals(Set.of(), e.networks()));
        }

        @Test
        void aWildcardIsTheSubdomainsOnly() {
            AccessList.Entry e = allow("*.github.com");
            assertEquals(List.of(".github.com"), e.domainSuffixes());
            Rule r = e.rule(0, "direct");
            assertAll(() -> assertTrue(r.matches("api.github.com", null, 443, Network.TCP)),
                    () -> assertTrue(r.matches("a.b.github.com", null, 443, Network.TCP)),
                    () -> assertTrue(!r.matches("github.com", null, 443, Network.TCP), "the name itself is not a subdomain"),
                    () -> assertTrue(!r.matches("evilgithub.com", null, 443, Network.TCP)));
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
            "pypi.org:443             | pypi.org   |             | 443-443   | ",
            "tcp:pypi.org:8000-8100   | pypi.org   |             | 8000-8100 | tcp",
            "udp:53                   |            |             | 53-53     | udp",
            "tcp:443                  |            |             | 443-443   | tcp",
            "*:443                    |            |             | 443-443   | ",
            "10.0.0.0/8               |            | 10.0.0.0/8  |           | ",
            "10.0.0.0/8:22            |            | 10.0.0.0/8  | 22-22     | ",
            "192.0.2.7                |            | 192.0.2.7/32|           | ",
            "fd00::/8                 |            | fd00::/8    |           | ",
            "2001:db8::1              |            | 2001:db8::1/128 |       | ",
            "[2001:db8::1]:443        |            | 2001:db8::1/128 | 443-443 | ",
            "udp:[fd00::/8]:53        |            | fd00::/8    | 53-53     | udp",
        })
        void eachFormGivesItsConditions(String pattern, String domain, String cidr, String ports, String network) {
            AccessList.Entry e = allow(pattern);
            assertAll(pattern,
                    () -> assertEquals(domain == null ? List.of() : List.of(domain), e.domains(), "domains"),
                    () -> assertEquals(cidr == null ? List.of() : List.of(Cidr.parse(cidr)), e.ipCidrs(), "ip-cidr"),
                    () -> assertEquals(ports == null ? List.of() : List.of(portRange(ports)), e.ports(), "ports"),
                    () -> assertEquals(network == null ? Set.of() : Set.of(Network.parse(network).orElseThrow()), e.networks(), "network"));
        }

        @Test
        void aStarAloneMatchesEveryFlow() {
            assertTrue(allow("*").rule(0, "direct").isCatchAll());
        }

        private static PortRange portRange(String text) {
            String[] p = text.split("-");
            return new PortRange(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
            "''                 | empty pattern",
            "443                | a port alone needs a protocol: tcp:443 or udp:443",
            "exa mple.com       | ' ' cannot occur in a domain",
            "example.com:0      | expected a port from 1 to 65535",
            "example.com:99999  | expected a port from 1 to 65535",
            "example.com:       | expected a port from 1 to 65535",
            "10.0.0.1/33        | the prefix length of an IPv4 address is 0 to 32",
            "10.0.0.1/8         | host bits are set",
            "300.1.1.1          | '300.1.1.1' is not a valid IPv4 address",
            "foo*.com           | '*' cannot occur in a domain",
            "*.                 | a domain cannot be empty",
            "tcp:               | nothing after tcp:",
            "[::1               | '[' without ']'",
            ":443               | no host before ':'",
            "https://github.com | a URL is no pattern: give its host",
        })
        void aBadPatternIsNamedWithWhatIsWrongAndTheAcceptedForms(String pattern, String why) {
            PolicyException e = assertThrows(PolicyException.class, () -> AccessList.parse(List.of("ok.example"), List.of(pattern)));
            assertEquals(1, e.problems().size(), e.getMessage());
            String line = e.problems().get(0).toString();
            assertAll(line,
                    () -> assertTrue(line.startsWith("--deny '" + pattern + "': "), "names the option and the pattern"),
                    () -> assertTrue(line.contains(why), "says what is wrong"),
                    () -> assertTrue(line.endsWith("; accepted forms: " + AccessList.FORMS), "lists the accepted forms"),
                    () -> assertTrue(!line.contains("\n"), "one line"));
        }

        @Test
        void everyBadPatternIsReportedAtOnce() {
            PolicyException e = assertThrows(PolicyException.class,
                    () -> AccessList.parse(List.of("a b", "ok.example", "99999"), List.of("x y")));
            assertEquals(List.of("--deny 'x y'", "--allow 'a b'", "--allow '99999'"),
                    e.problems().stream().map(Problem::file).toList());
        }
    }

    /** The agent of docs/policy.md: GitHub and PyPI only, no gists, the LAN. */
    @Nested
    class DefaultDeny {
        private final Policy policy = restrict(List.of("github.com", "*.github.com", "pypi.org:443", "files.pythonhosted.org:443",
                "10.0.0.0/8", "udp:10.0.0.53:53"), List.of("gist.github.com"));
        private final RuleMatcher matcher = RuleMatcher.of(policy);

        @Test
        void denyRulesComeFirstThenAllowRulesThenTheImplicitReject() {
            assertEquals(List.of("{domain: gist.github.com, outbound: reject}",
                            "{domain: github.com, outbound: direct}",
                            "{domain-suffix: .github.com, outbound: direct}",
                            "{domain: pypi.org, port: 443, outbound: direct}",
                            "{domain: files.pythonhosted.org, port: 443, outbound: direct}",
                            "{ip-cidr: 10.0.0.0/8, outbound: direct}",
                            "{ip-cidr: 10.0.0.53/32, port: 53, network: udp, outbound: direct}",
                            "{outbound: reject}"),
                    policy.rules().stream().map(Rule::text).toList());
            assertEquals("--allow pypi.org:443", policy.rules().get(3).location().toString());
            assertEquals(Optional.of("direct"), policy.dns().via(), "DNS queries still go out directly");
            assertEquals(HOST_RESOLVER, policy.dns().upstream());
        }

        @ParameterizedTest
        @CsvSource({
            "api.github.com, 443, TCP, direct, 3",
            "github.com,     22,  TCP, direct, 2",
            "gist.github.com,443, TCP, reject, 1",
            "pypi.org,       443, UDP, direct, 4",
            "pypi.org,       80,  TCP, reject, 8",
            "example.com,    443, TCP, reject, 8",
        })
        void namesMatchNamePatterns(String name, int port, Network network, String outbound, int rule) {
            Match m = matcher.match(FlowKey.ofDomain(name, port, network));
            assertEquals(outbound + " by rule " + rule, m.outbound().name() + " by rule " + m.rule().number());
        }

        @ParameterizedTest
        @CsvSource({
            "10.1.2.3,   22,  TCP, direct, 6",
            "10.0.0.53,  53,  UDP, direct, 6",
            "192.0.2.9,  53,  UDP, reject, 8",
            "140.82.112.3, 443, TCP, reject, 8",
        })
        void addressLiteralsFallToAddressPatternsOrTheDefault(String address, int port, Network network, String outbound, int rule) {
            Match m = matcher.match(FlowKey.ofAddress(IpLiteral.parse(address).orElseThrow(), port, network));
            assertEquals(outbound + " by rule " + rule, m.outbound().name() + " by rule " + m.rule().number());
        }

        @Test
        void aNameIsRefusedOnlyWhenNoFlowToItMayPass() {
            assertAll(
                    () -> assertEquals(Optional.of(8), matcher.refusingRule("example.com").map(Rule::number), "default deny"),
                    () -> assertEquals(Optional.of(1), matcher.refusingRule("GIST.github.com.").map(Rule::number), "the deny rule"),
                    () -> assertEquals(Optional.empty(), matcher.refusingRule("pypi.org"), "port 443 passes"),
                    () -> assertEquals(Optional.empty(), matcher.refusingRule("api.github.com")));
        }

        @Test
        void aRejectLimitedToSomePortsLeavesTheNameToLaterRules() {
            RuleMatcher m = RuleMatcher.of(restrict(List.of("example.com"), List.of("example.com:25", "udp:example.com")));
            assertEquals(Optional.empty(), m.refusingRule("example.com"));
            assertEquals("reject", m.match(FlowKey.ofDomain("example.com", 25, Network.TCP)).outbound().name());
            assertEquals("reject", m.match(FlowKey.ofDomain("example.com", 443, Network.UDP)).outbound().name());
            assertEquals("direct", m.match(FlowKey.ofDomain("example.com", 443, Network.TCP)).outbound().name());
        }

        @Test
        void aProtocolPatternWithoutDestinationLetsEveryNameResolve() {
            RuleMatcher m = RuleMatcher.of(restrict(List.of("udp:53"), List.of()));
            assertEquals(Optional.empty(), m.refusingRule("anything.example"));
            assertEquals("reject", m.match(FlowKey.ofDomain("anything.example", 53, Network.TCP)).outbound().name());
        }

        @Test
        void denyRulesAloneLeaveEverythingElseThrough() {
            Policy p = restrict(List.of(), List.of("*.facebook.com"));
            RuleMatcher m = RuleMatcher.of(p);
            assertEquals("direct", m.match(FlowKey.ofDomain("example.com", 443, Network.TCP)).outbound().name());
            assertEquals("reject", m.match(FlowKey.ofDomain("www.facebook.com", 443, Network.TCP)).outbound().name());
        }

        @Test
        void throughAProxyAllowedFlowsAndDnsKeepTheProxy() throws PolicyException {
            Policy proxied = AccessList.parse(List.of("pypi.org"), List.of())
                    .restrict(ProxyUrl.policyOf("socks5://127.0.0.1:1080", FakeEnvironment.standard()));
            RuleMatcher m = RuleMatcher.of(proxied);
            assertEquals(ProxyUrl.OUTBOUND_NAME, m.match(FlowKey.ofDomain("pypi.org", 443, Network.TCP)).outbound().name());
            assertEquals("reject", m.match(FlowKey.ofDomain("example.com", 443, Network.TCP)).outbound().name());
            assertEquals(ProxyUrl.OUTBOUND_NAME, proxied.dnsOutbound().name());
        }

        private static Policy restrict(List<String> allow, List<String> deny) {
            try {
                return AccessList.parse(allow, deny).restrict(DIRECT);
            } catch (PolicyException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Nested
    class WithAPolicyFile {
        private Policy file(String text) throws PolicyException {
            return PolicyLoader.parse("work.yaml", text, Path.of("/nonexistent"), FakeEnvironment.standard());
        }

        @Test
        void commandLineRulesComeFirstAndTheFileKeepsItsOwnOrder() throws PolicyException {
            Policy file = file("""
                    outbounds:
                      - {name: corp, type: socks5, server: "10.0.0.5:1080"}
                    rules:
                      - {domain-suffix: corp.example, outbound: corp}
                      - {outbound: direct}
                    """);
            Policy p = AccessList.parse(List.of("10.9.0.0/16"), List.of("ads.corp.example")).prependTo(file);
            assertEquals(List.of("{domain: ads.corp.example, outbound: reject}", "{ip-cidr: 10.9.0.0/16, outbound: direct}",
                    "{domain-suffix: corp.example, outbound: corp}", "{outbound: direct}"), p.rules().stream().map(Rule::text).toList());
            assertEquals("work.yaml:4:5", p.rules().get(2).location().toString(), "file rules keep their place in the file");
            assertEquals(3, p.rules().get(2).number());
        }

        @Test
        void whenTheFileRejectsTheRestAllowedFlowsTakeItsDnsOutbound() throws PolicyException {
            Policy file = file("""
                    outbounds:
                      - {name: corp, type: socks5, server: "10.0.0.5:1080"}
                    rules:
                      - {domain: pypi.org, outbound: corp}
                    dns: {via: corp}
                    """);
            Policy p = AccessList.parse(List.of("files.pythonhosted.org:443"), List.of()).prependTo(file);
            assertEquals("corp", RuleMatcher.of(p).match(FlowKey.ofDomain("files.pythonhosted.org", 443, Network.TCP)).outbound().name());
            assertEquals("reject", RuleMatcher.of(p).match(FlowKey.ofDomain("example.com", 443, Network.TCP)).outbound().name());
        }

        @Test
        void allowedFlowsWithNowhereToGoAreAnError() throws PolicyException {
            Policy file = file("rules:\n  - {domain: pypi.org, outbound: direct}\n");
            PolicyException e = assertThrows(PolicyException.class, () -> AccessList.parse(List.of("example.com"), List.of()).prependTo(file));
            assertTrue(e.getMessage().contains("set dns.via in the file"), e.getMessage());
            AccessList.parse(List.of(), List.of("example.com")).prependTo(file);
        }

        @Test
        void namePatternsNeedFakeIpDns() throws PolicyException {
            Policy file = file("rules:\n  - {outbound: direct}\ndns: {mode: forward}\n");
            PolicyException e = assertThrows(PolicyException.class, () -> AccessList.parse(List.of("10.0.0.0/8", "*.example.com"), List.of())
                    .prependTo(file));
            assertTrue(e.getMessage().contains("--allow *.example.com matches a name"), e.getMessage());
            assertEquals(2, AccessList.parse(List.of("10.0.0.0/8"), List.of()).prependTo(file).rules().size());
        }

        @Test
        void noPatternsLeaveThePolicyAsItIs() throws PolicyException {
            Policy file = file("rules:\n  - {outbound: direct}\n");
            assertTrue(AccessList.empty().prependTo(file) == file);
            assertTrue(AccessList.parse(List.of(), List.of()).restrict(DIRECT) == DIRECT);
        }
    }
}
