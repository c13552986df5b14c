package dev.nstun.policies.learn;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.AccessList;
import dev.nstun.policies.config.DnsSettings;
import dev.nstun.policies.config.FakeEnvironment;
import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.IpLiteral;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyException;
import dev.nstun.policies.config.PolicyLoader;
import dev.nstun.policies.config.ProxyUrl;
import dev.nstun.policies.rules.FlowKey;
import dev.nstun.policies.rules.RuleMatcher;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LearnedPolicyTest {
    private static final Instant T0 = Instant.parse("2026-12-02T04:50:01.750Z");
    private static final Instant T1 = T0.plusSeconds(60);
    private static final Path DIR = Path.of("/nonexistent");
    private static final Policy DIRECT = Policy.direct(new DnsSettings.Upstream(Network.UDP, new HostPort("192.0.2.53", 53)), "command line");

    private static void recordThrough(LearnedPolicy learned, Policy run, FlowKey flow, Instant at) {
        learned.record(flow, RuleMatcher.of(run).match(flow).outbound(), at);
    }

    private static FlowKey name(String name, int port, Network network) {
        return FlowKey.ofDomain(name, port, network);
    }

    private static FlowKey address(String address, int port, Network network) {
        return FlowKey.ofAddress(IpLiteral.parse(address).orElseThrow(), port, network);
    }

    private static Policy load(String text, FakeEnvironment environment) throws PolicyException {
        return PolicyLoader.parse("learned.yaml", text, DIR, environment);
    }

    @Test
    void oneSortedCommentedRulePerDestinationAndNoFinalRule() {
        LearnedPolicy learned = LearnedPolicy.start(DIRECT);
        recordThrough(learned, DIRECT, name("pypi.org", 443, Network.TCP), T1);
        recordThrough(learned, DIRECT, name("api.github.com", 443, Network.TCP), T1);
        recordThrough(learned, DIRECT, name("API.github.com.", 443, Network.TCP), T0);
        recordThrough(learned, DIRECT, name("github.com", 22, Network.TCP), T1);
        recordThrough(learned, DIRECT, address("fd00::53", 53, Network.UDP), T1);
        recordThrough(learned, DIRECT, address("10.0.0.1", 8080, Network.TCP), T1);
        assertEquals(String.join("\n",
                "# Learned by nstun run --learn: one rule per destination the command reached (first seen, flows).",
                "# Everything else is rejected: there is no final rule. Replay: nstun run -p THIS-FILE -- COMMAND;",
                "# learn more into it: nstun run --learn THIS-FILE … (hand-written one-line rules are kept).",
                "rules:",
                "  - {domain: github.com, port: 22, network: tcp, outbound: direct}  # first seen 2026-12-02T04:51:01Z, 1 flow",
                "  - {domain: api.github.com, port: 443, network: tcp, outbound: direct}  # first seen 2026-12-02T04:50:01Z, 2 flows",
                "  - {domain: pypi.org, port: 443, network: tcp, outbound: direct}  # first seen 2026-12-02T04:51:01Z, 1 flow",
                "  - {ip-cidr: 10.0.0.1/32, port: 8080, network: tcp, outbound: direct}  # first seen 2026-12-02T04:51:01Z, 1 flow",
                "  - {ip-cidr: \"fd00::53/128\", port: 53, network: udp, outbound: direct}  # first seen 2026-12-02T04:51:01Z, 1 flow",
                "dns: {upstream: \"udp://192.0.2.53:53\", via: direct}", ""), learned.render());
    }

    @Test
    void theFileReplaysWhatWasLearnedAndRejectsTheRest() throws PolicyException {
        LearnedPolicy learned = LearnedPolicy.start(DIRECT);
        recordThrough(learned, DIRECT, name("api.github.com", 443, Network.TCP), T0);
        recordThrough(learned, DIRECT, address("10.0.0.1", 8080, Network.TCP), T0);
        RuleMatcher replay = RuleMatcher.of(load(learned.render(), FakeEnvironment.standard()));
        assertAll(
                () -> assertEquals("direct", replay.match(name("api.github.com", 443, Network.TCP)).outbound().name()),
                () -> assertEquals("direct", replay.match(address("10.0.0.1", 8080, Network.TCP)).outbound().name()),
                () -> assertEquals("reject", replay.match(name("api.github.com", 443, Network.UDP)).outbound().name()),
                () -> assertEquals("reject", replay.match(name("api.github.com", 80, Network.TCP)).outbound().name()),
                () -> assertEquals("reject", replay.match(name("example.com", 443, Network.TCP)).outbound().name()),
                () -> assertTrue(replay.refusingRule("example.com").isPresent(), "a new name gets NXDOMAIN"));
    }

    @Test
    void whatTheRunRefusedIsNotLearned() throws PolicyException {
        Policy run = AccessList.parse(List.of("pypi.org"), List.of()).restrict(DIRECT);
        LearnedPolicy learned = LearnedPolicy.start(run);
        recordThrough(learned, run, name("pypi.org", 443, Network.TCP), T0);
        recordThrough(learned, run, name("example.com", 443, Network.TCP), T0);
        assertEquals(1, learned.size());
        assertFalse(learned.render().contains("example.com"));
    }

    @Test
    void aProxyRunReplaysThroughTheProxyWithoutWritingItsPassword() throws PolicyException {
        Policy run = ProxyUrl.policyOf("socks5://alice:s3cret@127.0.0.1:1080", FakeEnvironment.standard());
        LearnedPolicy learned = LearnedPolicy.start(run);
        recordThrough(learned, run, name("pypi.org", 443, Network.TCP), T0);
        String text = learned.render();
        assertAll(
                () -> assertFalse(text.contains("s3cret"), text),
                () -> assertTrue(text.contains("outbounds:\n  # The password is not written here: set NSTUN_PROXY_PASSWORD when running.\n"
                        + "  - {name: proxy, type: socks5, server: \"127.0.0.1:1080\", username: \"alice\", password-env: NSTUN_PROXY_PASSWORD,"
                        + " udp: true}\n"), text),
                () -> assertTrue(text.endsWith("dns: {upstream: \"tcp://9.9.9.9:53\", via: proxy}\n"), text));
        Policy replay = load(text, FakeEnvironment.standard().withVariable(ProxyUrl.PASSWORD_VARIABLE, "s3cret"));
        Outbound proxy = RuleMatcher.of(replay).match(name("pypi.org", 443, Network.TCP)).outbound();
        assertEquals(run.outbound("proxy").orElseThrow().describe(), proxy.describe());
        assertEquals("proxy", replay.dnsOutbound().name());
    }

    @Test
    void aGroupRunReplaysThroughTheSameGroup() throws PolicyException {
        Policy run = load(String.join("\n",
                "outbounds:",
                "  - {name: a, type: socks5, server: \"127.0.0.1:1080\"}",
                "  - {name: b, type: http, server: \"127.0.0.1:3128\"}",
                "  - {name: both, type: fallback, members: [a, b, direct], connect-timeout: 1500ms}",
                "rules:",
                "  - {outbound: both}",
                ""), FakeEnvironment.standard());
        LearnedPolicy learned = LearnedPolicy.start(run);
        recordThrough(learned, run, name("pypi.org", 443, Network.TCP), T0);
        String text = learned.render();
        assertTrue(text.contains("  - {name: both, type: fallback, members: [\"a\", \"b\", \"direct\"], connect-timeout: 1500ms}\n"), text);
        Policy replay = load(text, FakeEnvironment.standard());
        Outbound group = RuleMatcher.of(replay).match(name("pypi.org", 443, Network.TCP)).outbound();
        assertEquals(run.outbound("both").orElseThrow().describe(), group.describe());
    }

    @Test
    void learningIntoAFileAddsToItsCountsAndKeepsItsOneLineRules() throws PolicyException {
        LearnedPolicy first = LearnedPolicy.start(DIRECT);
        recordThrough(first, DIRECT, name("pypi.org", 443, Network.TCP), T1);
        String edited = first.render().replace("rules:\n", "rules:\n  - {domain-suffix: github.com, outbound: direct}   # by hand\n");
        LearnedPolicy second = LearnedPolicy.merging(DIRECT, "learned.yaml", edited, DIR, FakeEnvironment.standard());
        recordThrough(second, DIRECT, name("pypi.org", 443, Network.TCP), T0);
        recordThrough(second, DIRECT, name("files.pythonhosted.org", 443, Network.TCP), T1);
        String text = second.render();
        assertTrue(text.contains("rules:\n"
                + "  - {domain-suffix: github.com, outbound: direct}   # by hand\n"
                + "  - {domain: pypi.org, port: 443, network: tcp, outbound: direct}  # first seen 2026-12-02T04:50:01Z, 2 flows\n"
                + "  - {domain: files.pythonhosted.org, port: 443, network: tcp, outbound: direct}  # first seen 2026-12-02T04:51:01Z, 1 flow\n"),
                text);
        assertEquals(text, LearnedPolicy.merging(DIRECT, "learned.yaml", text, DIR, FakeEnvironment.standard()).render(),
                "merging without new flows changes nothing");
    }

    @Test
    void nothingLearnedStillMakesAFileThatRejectsAndMergesBack() throws PolicyException {
        String empty = LearnedPolicy.start(DIRECT).render();
        assertTrue(empty.contains("rules:\n  - {outbound: reject}  # nothing learned yet\n"), empty);
        LearnedPolicy again = LearnedPolicy.merging(DIRECT, "learned.yaml", empty, DIR, FakeEnvironment.standard());
        recordThrough(again, DIRECT, name("pypi.org", 443, Network.TCP), T0);
        assertFalse(again.render().contains("nothing learned"), again.render());
    }

    @Test
    void aFileLearnedThroughAnotherProxyOrWithMultiLineRulesIsNotMergedInto() throws PolicyException {
        Policy dante = ProxyUrl.policyOf("socks5://alice:s3cret@127.0.0.1:1080", FakeEnvironment.standard());
        LearnedPolicy viaDante = LearnedPolicy.start(dante);
        recordThrough(viaDante, dante, name("pypi.org", 443, Network.TCP), T0);
        Policy other = ProxyUrl.policyOf("socks5://127.0.0.1:1081", FakeEnvironment.standard());
        PolicyException e = assertThrows(PolicyException.class,
                () -> LearnedPolicy.merging(other, "learned.yaml", viaDante.render(), DIR, FakeEnvironment.standard()));
        assertTrue(e.getMessage().contains("outbound proxy (socks5 127.0.0.1:1080, user alice, udp) is not how this run goes out"
                + " (socks5 127.0.0.1:1081, udp): learn into a new file"), e.getMessage());
        String multiLine = "rules:\n  - domain: pypi.org\n    outbound: direct\n";
        e = assertThrows(PolicyException.class, () -> LearnedPolicy.merging(DIRECT, "learned.yaml", multiLine, DIR, FakeEnvironment.standard()));
        assertTrue(e.getMessage().startsWith("learned.yaml:2:5: rule 1 spans several lines"), e.getMessage());
    }
}
