package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.DnsSettings;
import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Outbound;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The plan of {@code nstun run}: options that make no run are refused with the lines and status
 * users saw before the plan existed (nothing is started for them), and the ones that make a run
 * are decided without starting anything. Run as root (as the tests here are), so that the machine
 * itself blocks nothing.
 */
class RunPlanTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final CommandLine cl = Nstun.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));

    private RunPlan.Outcome plan(String... args) {
        CommandLine.ParseResult r = cl.parseArgs(args);
        RunCommand run = (RunCommand) r.subcommand().commandSpec().userObject();
        return RunPlan.of(run.options, run.who, run.command());
    }

    private void assertRefused(int status, String line, String... args) {
        assertEquals(status, cl.execute(args), err.toString());
        assertEquals(line + System.lineSeparator(), err.toString());
        assertEquals("", out.toString());
        err.getBuffer().setLength(0);
    }

    @Test
    void badCombinationsSayWhatTheyAlwaysSaid() {
        assertRefused(125, "nstun: --mtu 100 is out of range (expected 1280 to 65535)", "run", "--mtu", "100", "--", "true");
        assertRefused(125, "nstun: give one of -p FILE, --socks5 URL and --http URL (a policy file can name several proxies)",
                "run", "--socks5", "127.0.0.1:1080", "--http", "127.0.0.1:3128", "--", "true");
        assertRefused(125, "nstun: --socks5 http://u:***@127.0.0.1:3128: expected a socks5:// URL (for an HTTP proxy, use --http)",
                "run", "--socks5", "http://u:secret@127.0.0.1:3128", "--", "true");
        assertRefused(125, "nstun: --http socks5://127.0.0.1: expected an http:// URL (for a SOCKS5 proxy, use --socks5)",
                "run", "--http", "socks5://127.0.0.1", "--", "true");
        assertRefused(125, "nstun: --learn writes a policy from this run's own flows: not with -p (it combines with --socks5, --http,"
                + " --allow and --deny)", "run", "--learn", "l.yaml", "-p", "p.yaml", "--", "true");
        assertRefused(125, "nstun: --user nstun-no-such-user: no such user", "run", "-u", "nstun-no-such-user", "--", "true");
        assertRefused(127, "nstun: nstun-no-such-command: command not found", "run", "--", "nstun-no-such-command");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dns.example", "quic://9.9.9.9", "1.2.3.4:0", "[1.2.3.4]:53", "tcp://", "1.2.3.4:99999"})
    void aDnsUpstreamThatIsNoAddressIsRefused(String upstream) {
        assertRefused(125, "nstun: --dns-upstream " + upstream + ": expected an address with an optional port and transport, e.g."
                + " 127.0.0.1:5353, [::1]:53 or tcp://10.0.0.53:53", "run", "--dns-upstream", upstream, "--", "true");
    }

    @Test
    void dnsUpstreamIsUdpToPort53UnlessItSaysOtherwise() {
        assertEquals(Optional.of(new DnsSettings.Upstream(Network.UDP, new HostPort("127.0.0.1", 5353))), RunPlan.parseDnsUpstream("127.0.0.1:5353"));
        assertEquals(Optional.of(new DnsSettings.Upstream(Network.UDP, new HostPort("::1", 53))), RunPlan.parseDnsUpstream("[::1]"));
        assertEquals(Optional.of(new DnsSettings.Upstream(Network.UDP, new HostPort("::1", 53))), RunPlan.parseDnsUpstream("::1"));
        assertEquals(Optional.of(new DnsSettings.Upstream(Network.TCP, new HostPort("10.0.0.53", 53))), RunPlan.parseDnsUpstream("tcp://10.0.0.53"));
        assertEquals(Optional.of(new DnsSettings.Upstream(Network.UDP, new HostPort("fd00::53", 5353))),
                RunPlan.parseDnsUpstream("UDP://[fd00::53]:5353"));
    }

    @Test
    void aBadPatternOrFaultSpecIsSaidWithTheOptionThatGaveIt() {
        assertEquals(125, cl.execute("run", "--allow", "tcp:", "--", "true"));
        assertTrue(err.toString().startsWith("nstun: --allow 'tcp:': "), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(125, cl.execute("run", "--debug-faults", "loss", "--", "true"));
        assertTrue(err.toString().startsWith("nstun: --debug-faults loss: "), err.toString());
    }

    @Test
    void anUnreadablePolicyIsSaidWithItsPath(@TempDir Path dir) {
        Path missing = dir.resolve("missing.yaml");
        assertEquals(125, cl.execute("run", "-p", missing.toString(), "--", "true"));
        assertTrue(err.toString().startsWith(missing + ": "), err.toString());
    }

    @Test
    void aProxyRunIsPlannedWithoutStartingAnything() throws Exception {
        RunPlan plan = assertInstanceOf(RunPlan.Ready.class, plan("run", "--socks5", "127.0.0.1:1080", "--allow", "example.com",
                "--dns-upstream", "tcp://10.0.0.53", "--mtu", "1500", "--", "true", "x")).plan();
        assertEquals(List.of("true", "x"), plan.command());
        assertThrows(UnsupportedOperationException.class, () -> plan.command().add("y"), "immutable");
        assertEquals("nstun0", plan.tun().name());
        assertEquals(1500, plan.tun().mtu());
        assertEquals(InetAddress.getByName("198.18.0.1"), plan.tun().ipv4());
        assertEquals(InetAddress.getByName("fd4e:5354:554e::1"), plan.tun().ipv6());
        assertEquals(Optional.of(new DnsSettings.Upstream(Network.TCP, new HostPort("10.0.0.53", 53))), plan.dns().override());
        assertFalse(plan.access().isEmpty());
        Collection<Outbound> outbounds = plan.policy().orElseThrow().outbounds().values();
        assertTrue(outbounds.stream().anyMatch(o -> o instanceof Outbound.Socks5), outbounds.toString());
        assertTrue(plan.policyFile().isEmpty() && plan.learning().isEmpty() && plan.pcap().isEmpty() && plan.faults().isEmpty());
        assertFalse(plan.environment().containsKey(SignalForwarder.JVM_SUSPEND_SIGNAL_VARIABLE));
    }

    @Test
    void aLearningRunPlansItsFileWithoutWritingIt(@TempDir Path dir) {
        Path learn = dir.resolve("learned.yaml");
        RunPlan plan = assertInstanceOf(RunPlan.Ready.class, plan("run", "--learn", learn.toString(), "--dns-upstream", "127.0.0.1",
                "--", "true")).plan();
        assertEquals(learn, plan.learning().orElseThrow().file());
        assertTrue(plan.policy().isPresent(), "a learning run has a policy (everything direct) to record matches with");
        assertFalse(Files.exists(learn), "written at exit, not before");
    }
}
