package dev.nstun.policies.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nstun.policies.config.IpLiteral;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Policy;
import java.net.InetAddress;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class RuleMatcherTest {

    private static int ruleFor(Policy policy, FlowKey flow) {
        return RuleMatcher.of(policy).match(flow).rule().number();
    }

    private static FlowKey name(String name, int port) {
        return FlowKey.ofDomain(name, port, Network.TCP);
    }

    private static FlowKey address(String literal, int port, Network network) {
        InetAddress a = IpLiteral.parse(literal).orElseThrow();
        return FlowKey.ofAddress(a, port, network);
    }

    private static void assertRule(int want, Policy policy, FlowKey flow) {
        int got = ruleFor(policy, flow);
        assertEquals(want, got, "rule for " + flow + ": got " + got + ", want " + want);
    }

    @Nested
    class Order {
        @Test
        void firstMatchingRuleWinsOverLaterOnes() {
            Policy p = Policies.of("""
                    rules:
                      - {domain-suffix: example.com, outbound: reject}
                      - {domain: www.example.com, outbound: direct}
                      - {outbound: direct}
                    """);
            assertRule(1, p, name("www.example.com", 443));
        }

        @Test
        void swappingTwoRulesSwapsTheAnswer() {
            Policy p = Policies.of("""
                    rules:
                      - {domain: www.example.com, outbound: direct}
                      - {domain-suffix: example.com, outbound: reject}
                      - {outbound: direct}
                    """);
            assertRule(1, p, name("www.example.com", 443));
            assertRule(2, p, name("api.example.com", 443));
        }

        @Test
        void earlierRuleFromAnotherIndexWins() {
            Policy p = Policies.of("""
                    rules:
                      - {port: 443, outbound: reject}
                      - {domain-suffix: example.com, outbound: direct}
                      - {ip-cidr: 10.0.0.0/8, outbound: direct}
                      - {outbound: direct}
                    """);
            assertRule(1, p, name("example.com", 443));
            assertRule(2, p, name("example.com", 80));
            assertRule(1, p, address("10.1.1.1", 443, Network.TCP));
            assertRule(3, p, address("10.1.1.1", 80, Network.TCP));
        }

        @Test
        void flowMatchingNothingMeetsTheImplicitFinalReject() {
            Policy p = Policies.of("rules: [{domain: example.com, outbound: direct}]");
            var match = RuleMatcher.of(p).match(name("other.example", 443));
            assertEquals(2, match.rule().number());
            assertEquals("reject", match.outbound().name());
        }
    }

    @Nested
    class Domains {
        private final Policy p = Policies.of("""
                rules:
                  - {domain: exact.example, outbound: direct}
                  - {domain-suffix: example.com, outbound: direct}
                  - {domain-suffix: .sub.example, outbound: direct}
                  - {outbound: reject}
                """);

        @Test
        void domainMatchesTheNameOnly() {
            assertRule(1, p, name("exact.example", 1));
            assertRule(4, p, name("www.exact.example", 1));
        }

        @Test
        void suffixMatchesTheNameAndItsSubdomainsAtLabelBoundaries() {
            assertRule(2, p, name("example.com", 1));
            assertRule(2, p, name("a.b.example.com", 1));
            assertRule(4, p, name("badexample.com", 1));
            assertRule(4, p, name("example.com.evil", 1));
        }

        @Test
        void leadingDotSuffixMatchesSubdomainsOnly() {
            assertRule(3, p, name("a.sub.example", 1));
            assertRule(4, p, name("sub.example", 1));
        }

        @Test
        void namesCompareWithoutCaseAndTrailingDot() {
            assertRule(2, p, name("WWW.Example.COM.", 1));
            assertRule(1, p, name("Exact.Example.", 1));
        }

        @Test
        void keywordsFindEveryOverlappingOccurrence() {
            Policy k = Policies.of("""
                    rules:
                      - {domain-keyword: hers, outbound: direct}
                      - {domain-keyword: [he, she], outbound: direct}
                      - {domain-keyword: his, outbound: direct}
                      - {outbound: reject}
                    """);
            assertRule(1, k, name("ushers.example", 1));
            assertRule(2, k, name("ushe.example", 1));
            assertRule(3, k, name("this.example", 1));
            assertRule(4, k, name("example", 1));
        }

        @Test
        void keywordSurvivesCharactersOutsideTheAlphabet() {
            Policy k = Policies.of("rules: [{domain-keyword: ads, outbound: reject}, {outbound: direct}]");
            assertRule(1, k, name("x*ads.example", 1));
            assertRule(2, k, name("ad*s.example", 1));
        }

        @Test
        void regexIsFoundAnywhereIgnoringCase() {
            Policy r = Policies.of("""
                    rules:
                      - {domain-regex: '^stun\\.', outbound: reject}
                      - {domain-regex: 'CDN[0-9]+', outbound: reject}
                      - {outbound: direct}
                    """);
            assertRule(1, r, name("stun.example", 1));
            assertRule(3, r, name("x.stun.example", 1));
            assertRule(2, r, name("img.cdn42.example", 1));
        }
    }

    @Nested
    class Addresses {
        private final Policy p = Policies.of("""
                rules:
                  - {ip-cidr: 10.1.0.0/16, outbound: direct}
                  - {ip-cidr: 10.0.0.0/8, outbound: direct}
                  - {ip-cidr: "fd00::/8", outbound: direct}
                  - {ip-cidr: 0.0.0.0/0, outbound: direct}
                  - {outbound: reject}
                """);

        @Test
        void longerPrefixDoesNotWinOverEarlierRule() {
            Policy shortFirst = Policies.of("""
                    rules:
                      - {ip-cidr: 10.0.0.0/8, outbound: direct}
                      - {ip-cidr: 10.1.0.0/16, outbound: reject}
                      - {outbound: reject}
                    """);
            assertRule(1, shortFirst, address("10.1.2.3", 1, Network.TCP));
        }

        @Test
        void prefixesOfBothFamilies() {
            assertRule(1, p, address("10.1.2.3", 1, Network.TCP));
            assertRule(2, p, address("10.2.2.3", 1, Network.TCP));
            assertRule(3, p, address("fd12::1", 1, Network.TCP));
            assertRule(4, p, address("192.0.2.1", 1, Network.TCP));
        }

        @Test
        void ipv4PrefixesNeverMatchIpv6Addresses() {
            assertRule(5, p, address("2001:db8::1", 1, Network.TCP));
        }

        @Test
        void ipv4MappedAddressMatchesAsIpv4() {
            assertRule(1, p, address("::ffff:10.1.2.3", 1, Network.TCP));
        }

        @Test
        void bareAddressIsASingleAddressPrefix() {
            Policy single = Policies.of("rules: [{ip-cidr: 192.0.2.1, outbound: reject}, {outbound: direct}]");
            assertRule(1, single, address("192.0.2.1", 1, Network.TCP));
            assertRule(2, single, address("192.0.2.2", 1, Network.TCP));
        }
    }

    @Nested
    class NameOrAddress {
        private final Policy p = Policies.of("""
                rules:
                  - {ip-cidr: 93.184.0.0/16, outbound: reject}
                  - {domain-suffix: example.com, outbound: reject}
                  - {domain-suffix: corp.example, ip-cidr: 10.0.0.0/8, outbound: direct}
                  - {outbound: drop}
                """);

        @Test
        void nameOnlyFlowPassesIpCidrRules() {
            assertRule(2, p, name("example.com", 443));
        }

        @Test
        void addressOnlyFlowPassesDomainRules() {
            assertRule(1, p, address("93.184.216.34", 443, Network.TCP));
            assertRule(4, p, address("192.0.2.1", 443, Network.TCP));
        }

        @Test
        void domainAndIpCidrOfOneRuleAreAlternatives() {
            assertRule(3, p, name("git.corp.example", 22));
            assertRule(3, p, address("10.9.9.9", 22, Network.TCP));
        }

        @Test
        void flowWithNameAndAddressMatchesByEither() {
            FlowKey both = new FlowKey(java.util.Optional.of("www.example.com"),
                    IpLiteral.parse("10.0.0.1"), 443, Network.TCP);
            assertRule(2, p, both);
        }
    }

    @Nested
    class PortsAndNetworks {
        private final Policy p = Policies.of("""
                rules:
                  - {port: [25, "6000-6010"], network: tcp, outbound: reject}
                  - {domain-suffix: example.com, port: 443, outbound: direct}
                  - {network: udp, outbound: drop}
                  - {outbound: direct}
                """);

        @Test
        void portAndNetworkMustBothHold() {
            assertRule(1, p, name("mail.example", 25));
            assertRule(1, p, name("x.example", 6005));
            assertRule(4, p, name("x.example", 6011));
            assertRule(3, p, FlowKey.ofDomain("mail.example", 25, Network.UDP));
        }

        @Test
        void destinationAndPortMustBothHold() {
            assertRule(2, p, name("www.example.com", 443));
            assertRule(4, p, name("www.example.com", 80));
        }

        @Test
        void unknownPortMeetsOnlyRulesWithoutAPortCondition() {
            assertRule(4, p, name("www.example.com", 0));
        }

        @Test
        void overlappingAndAdjacentRangesMerge() {
            Policy r = Policies.of("""
                    rules:
                      - {port: ["10-20", "15-30", "31-40", 50, "60-70"], outbound: reject}
                      - {outbound: direct}
                    """);
            for (int port : new int[] {10, 20, 25, 31, 40, 50, 60, 70}) {
                assertRule(1, r, name("a", port));
            }
            for (int port : new int[] {9, 41, 49, 51, 59, 71, 65535}) {
                assertRule(2, r, name("a", port));
            }
        }
    }
}
