package dev.nstun.policies.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Policy;
import org.junit.jupiter.api.Test;

class ExplainTest {
    private static final Policy ISSUE_EXAMPLE = Policies.of("""
            outbounds:
              - {name: corp, type: socks5, server: "10.0.0.5:1080", username: alice, password-file: ~/.corp-pass, udp: true}
              - {name: web,  type: http,   server: "proxy.example:3128"}
              - {name: lan,  type: direct, interface: eth0, fwmark: 0x20}
              - {name: block, type: reject}
            dns: {mode: fake-ip, upstream: "tcp://9.9.9.9:53", via: corp}
            rules:
              - {domain-suffix: [corp.example.com, intranet], outbound: lan}
              - {ip-cidr: [10.0.0.0/8, "fd00::/8"], outbound: lan}
              - {domain-keyword: [ads], outbound: block}
              - {port: [25, "6000-6010"], network: tcp, outbound: block}
              - {outbound: corp}            # the final rule
            """);

    @Test
    void nameReachingTheFinalRule() {
        assertEquals("""
                example.com:443/tcp → rule 5 (work.yaml:12: {outbound: corp}) → outbound corp (socks5 10.0.0.5:1080, user alice, udp)
                  matched: rule 5 has only an outbound, so it matches every flow
                  note: ip-cidr conditions of earlier rule 2 did not apply: the flow has a name and no address, and nstun never \
                resolves names to match rules""",
                Explain.explain(ISSUE_EXAMPLE, "example.com:443", Network.TCP));
    }

    private static final Policy GROUPS = Policies.of("""
            outbounds:
              - {name: corp-a, type: socks5, server: "10.0.0.5:1080", connect-timeout: 2s}
              - {name: corp-b, type: socks5, server: "10.0.0.6:1080", udp: true, connect-timeout: 2s}
              - {name: spread, type: round-robin, members: [corp-a, corp-b]}
              - {name: proxies, type: fallback, members: [spread, direct], connect-timeout: 5s}
            rules:
              - {outbound: proxies}
            """);

    @Test
    void groupShowsItsMembersInTheOrderTheyAreTried() {
        assertEquals("""
                example.com:443/tcp → rule 1 (work.yaml:7: {outbound: proxies}) → outbound proxies (fallback of spread, direct, \
                connect-timeout 5s)
                  matched: rule 1 has only an outbound, so it matches every flow
                  group proxies (fallback): members tried in this order until one connects, all within 5s; a member that failed is \
                tried last for a while (back-off)
                    1. spread (round-robin of corp-a, corp-b)
                       group spread (round-robin): members tried each flow from the member after the previous flow's first, then on \
                in this order until one connects, all within 10s; a member that failed is tried last for a while (back-off)
                         1. corp-a (socks5 10.0.0.5:1080, connect-timeout 2s)
                         2. corp-b (socks5 10.0.0.6:1080, udp, connect-timeout 2s)
                    2. direct (direct)""",
                Explain.explain(GROUPS, "example.com:443", Network.TCP));
    }

    @Test
    void groupSaysWhichMemberCarriesUdp() {
        assertEquals("""
                example.com:443/udp → rule 1 (work.yaml:7: {outbound: proxies}) → outbound proxies (fallback of spread, direct, \
                connect-timeout 5s)
                  matched: rule 1 has only an outbound, so it matches every flow
                  group proxies (fallback): UDP goes through spread, its first member that carries UDP""",
                Explain.explain(GROUPS, "example.com:443", Network.UDP));
    }

    @Test
    void suffixRule() {
        assertEquals("""
                git.intranet:22/tcp → rule 1 (work.yaml:8: {domain-suffix: [corp.example.com, intranet], outbound: lan}) → outbound \
                lan (direct, interface eth0, fwmark 0x20)
                  matched: domain-suffix intranet""",
                Explain.explain(ISSUE_EXAMPLE, "Git.Intranet.:22", Network.TCP));
    }

    @Test
    void addressSaysDomainRulesCouldNotApply() {
        assertEquals("""
                [fd00::1]:443/udp → rule 2 (work.yaml:9: {ip-cidr: [10.0.0.0/8, "fd00::/8"], outbound: lan}) → outbound lan \
                (direct, interface eth0, fwmark 0x20)
                  matched: ip-cidr fd00::/8
                  note: domain conditions of earlier rule 1 did not apply: the flow has an address and no name (flows carry a name \
                when the command looked it up through nstun's fake-IP DNS)""",
                Explain.explain(ISSUE_EXAMPLE, "[fd00::1]:443", Network.UDP));
    }

    @Test
    void bareIpv6AddressHasNoPort() {
        assertEquals("[fd00::1]/tcp → rule 2", Explain.explain(ISSUE_EXAMPLE, "fd00::1", Network.TCP).substring(0, 22));
    }

    @Test
    void portRuleNamesPortAndNetwork() {
        String text = Explain.explain(ISSUE_EXAMPLE, "mail.example:25", Network.TCP);
        assertEquals("  matched: port 25, network tcp", text.lines().toList().get(1));
    }

    @Test
    void withoutPortSaysWhichPortRulesWereSkipped() {
        String text = Explain.explain(ISSUE_EXAMPLE, "mail.example", Network.TCP);
        assertEquals("mail.example/tcp → rule 5 (work.yaml:12: {outbound: corp}) → outbound corp (socks5 10.0.0.5:1080, user "
                + "alice, udp)", text.lines().toList().get(0));
        assertEquals("  note: port conditions of earlier rule 4 were skipped: no port was given", text.lines().toList().get(3));
    }

    @Test
    void outboundThatCannotCarryTheNetwork() {
        Policy p = Policies.of("""
                outbounds: [{name: web, type: http, server: proxy.example:3128}]
                rules: [{outbound: web}]
                """);
        assertEquals("  note: web (http) cannot carry udp: this flow would be refused",
                Explain.explain(p, "example.com:443", Network.UDP).lines().toList().get(2));
    }

    @Test
    void implicitFinalRule() {
        Policy p = Policies.of("rules: [{domain: example.com, outbound: direct}]");
        assertEquals("""
                example.org:80/tcp → rule 2 (work.yaml: no final rule, so the implicit {outbound: reject}) → outbound reject (reject)
                  matched: no rule of the file; a policy without a final rule rejects what no rule matches""",
                Explain.explain(p, "example.org:80", Network.TCP));
    }

    @Test
    void forwardModeSaysNamesRarelyReachRules() {
        Policy p = Policies.of("dns: {mode: forward}\nrules: [{outbound: direct}]");
        assertEquals("  note: dns mode is forward: the command connects to the addresses the upstream returns, so its flows to "
                        + "this name carry an address, not the name",
                Explain.explain(p, "example.com:443", Network.TCP).lines().toList().get(2));
    }

    @Test
    void unreadableDestinationsAreRefused() {
        for (String bad : new String[] {"", "[fd00::1", "[fd00::1]x", "example.com:0", "example.com:http", "a b:80", "[::1]:70000"}) {
            assertThrows(IllegalArgumentException.class, () -> Explain.explain(ISSUE_EXAMPLE, bad, Network.TCP), bad);
        }
    }
}
