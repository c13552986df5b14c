package dev.nstun.policies.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nstun.policies.rules.FlowKey;
import dev.nstun.policies.rules.RuleMatcher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The complete example of docs/policy.md loads, so the documentation cannot drift from the loader. */
class DocsExampleTest {
    private static final Path DOC = Path.of("../docs/policy.md");

    @Test
    void completeExampleLoads() throws Exception {
        String doc = Files.readString(DOC);
        int start = doc.indexOf("```yaml\n") + "```yaml\n".length();
        String example = doc.substring(start, doc.indexOf("```", start));
        Policy policy = PolicyLoader.parse("example.yaml", example, Path.of("/etc/nstun"),
                FakeEnvironment.standard().withVariable("WEB_PROXY_PASSWORD", "pw"));
        assertEquals(5, policy.rules().size());
        assertEquals("corp", policy.dnsOutbound().name());
    }

    /** The groups example loads, with the members it lists. */
    @Test
    void groupsExampleLoads() throws Exception {
        String doc = Files.readString(DOC);
        int section = doc.indexOf("### Groups: several proxies as one, with passive failover");
        int start = doc.indexOf("```yaml\n", section) + "```yaml\n".length();
        Policy policy = PolicyLoader.parse("groups.yaml", doc.substring(start, doc.indexOf("```", start)), Path.of("/etc/nstun"),
                FakeEnvironment.standard());
        Outbound.Group corp = (Outbound.Group) policy.outbound("corp").orElseThrow();
        assertEquals(List.of("corp-a", "corp-b"), corp.members().stream().map(Outbound::name).toList());
        assertEquals("corp-a", corp.udpMember().orElseThrow().name());
        assertEquals(Outbound.Group.Strategy.ROUND_ROBIN, ((Outbound.Group) policy.outbound("mirrors").orElseThrow()).strategy());
    }

    /** The rule-set example loads with the allowed.yaml shown beside it, and lets through what it says. */
    @Test
    void ruleSetExampleLoadsAndDecides() throws Exception {
        String doc = Files.readString(DOC);
        int section = doc.indexOf("### Example: a block list, and an agent limited to GitHub and PyPI");
        int start = doc.indexOf("```yaml\n", section) + "```yaml\n".length();
        String policyText = doc.substring(start, doc.indexOf("```", start));
        int setStart = doc.indexOf("```yaml\n", start) + "```yaml\n".length();
        String allowed = doc.substring(setStart, doc.indexOf("```", setStart));
        Policy policy = PolicyLoader.parse("agent.yaml", policyText, Path.of("/etc/nstun"), FakeEnvironment.standard()
                .withFile("/etc/nstun/allowed.yaml", allowed)
                .withFile("/etc/nstun/blocklist.txt", "0.0.0.0 0.0.0.0\n0.0.0.0 ads.github.com\n"));
        RuleMatcher matcher = RuleMatcher.of(policy);
        for (String destination : List.of("github.com:443/direct", "api.github.com:443/direct", "pypi.org:443/direct",
                "ads.github.com:443/reject", "github.com:22/reject", "www.pypi.org:443/reject", "example.com:443/reject")) {
            String[] parts = destination.split("[:/]");
            FlowKey flow = FlowKey.ofDomain(parts[0], Integer.parseInt(parts[1]), Network.TCP);
            assertEquals(parts[2], matcher.match(flow).outbound().name(), destination);
        }
    }

    /** The allow-list example's file form decides as its command line does. */
    @Test
    void agentExampleFileMatchesItsCommandLine() throws Exception {
        String doc = Files.readString(DOC);
        int section = doc.indexOf("### Example: an agent that may reach GitHub and PyPI only");
        int start = doc.indexOf("```yaml\n", section) + "```yaml\n".length();
        Policy file = PolicyLoader.parse("agent.yaml", doc.substring(start, doc.indexOf("```", start)), Path.of("/etc/nstun"),
                FakeEnvironment.standard());
        Policy cli = AccessList.parse(List.of("github.com", "*.github.com", "*.githubusercontent.com", "pypi.org:443",
                "files.pythonhosted.org:443"), List.of("gist.github.com"))
                .restrict(Policy.direct(new DnsSettings.Upstream(Network.UDP, new HostPort("192.0.2.53", 53)), "command line"));
        RuleMatcher fromFile = RuleMatcher.of(file);
        RuleMatcher fromCli = RuleMatcher.of(cli);
        for (String destination : List.of("github.com:22", "api.github.com:443", "raw.githubusercontent.com:443", "githubusercontent.com:443",
                "gist.github.com:443", "pypi.org:443", "pypi.org:80", "files.pythonhosted.org:443", "example.com:443")) {
            String[] hp = destination.split(":");
            FlowKey flow = FlowKey.ofDomain(hp[0], Integer.parseInt(hp[1]), Network.TCP);
            assertEquals(fromCli.match(flow).outbound().name(), fromFile.match(flow).outbound().name(), destination);
            assertEquals(fromCli.refusingRule(hp[0]).isPresent(), fromFile.refusingRule(hp[0]).isPresent(), hp[0]);
        }
        assertEquals("direct", file.dnsOutbound().name());
    }
}
