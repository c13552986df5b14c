package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nstun.policies.config.Network;
import dev.nstun.stack.flow.FlowId;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockedFlowsTest {
    private final StringWriter text = new StringWriter();
    private final BlockedFlows blocked = new BlockedFlows(new PrintWriter(text, true));

    private static FlowId flow(FlowId.Protocol protocol, String destination, int port) throws Exception {
        return new FlowId(protocol, InetAddress.getByName("198.18.0.1"), 40000, InetAddress.getByName(destination), port);
    }

    private List<String> lines() {
        return text.toString().lines().toList();
    }

    @Test
    void oneLinePerDestinationSayingWhichAllowLetsItThrough() throws Exception {
        blocked.flow(Network.TCP, flow(FlowId.Protocol.TCP, "198.18.1.7", 443).withDestinationName("api.example.com"));
        blocked.flow(Network.TCP, flow(FlowId.Protocol.TCP, "198.18.1.7", 443).withDestinationName("api.example.com"));
        blocked.flow(Network.UDP, flow(FlowId.Protocol.UDP, "2001:db8::1", 53));
        blocked.flow(Network.TCP, flow(FlowId.Protocol.TCP, "192.0.2.1", 22));
        blocked.name("evil.example");
        blocked.name("evil.example");
        assertEquals(List.of(
                "nstun: blocked tcp api.example.com:443 (no rule allows it) — add --allow api.example.com:443",
                "nstun: blocked udp [2001:db8::1]:53 (no rule allows it) — add --allow udp:[2001:db8::1]:53",
                "nstun: blocked tcp 192.0.2.1:22 (no rule allows it) — add --allow 192.0.2.1:22",
                "nstun: blocked dns evil.example (no rule allows it) — add --allow evil.example"), lines());
        blocked.summarize();
        assertEquals("nstun: blocked 6 flows and queries in all, to 4 destinations (no rule allows them)", lines().get(4));
    }

    @Test
    void oneDestinationMetAgainIsCountedInTheSingular() {
        blocked.name("a.example");
        blocked.name("a.example");
        blocked.summarize();
        assertEquals("nstun: blocked 2 flows and queries in all, to 1 destination (no rule allows them)", lines().get(1));
    }

    @Test
    void noSummaryWhenEachRefusalHadItsLine() {
        blocked.name("a.example");
        blocked.summarize();
        assertEquals(1, lines().size());
    }

    @Test
    void namesFromTheCommandArePrintable() {
        blocked.name("x\u001b]0;pwned\u0007.example");
        assertEquals(List.of("nstun: blocked dns x\\x1b]0;pwned\\x07.example (no rule allows it) — add --allow x\\x1b]0;pwned\\x07.example"),
                lines());
    }

    @Test
    void pastTheLimitDestinationsAreOnlyCounted() {
        for (int i = 0; i < BlockedFlows.MAX_REPORTED + 50; i++) blocked.name("n" + i + ".example");
        blocked.summarize();
        List<String> lines = lines();
        assertEquals(BlockedFlows.MAX_REPORTED + 2, lines.size());
        assertEquals("nstun: blocked more than " + BlockedFlows.MAX_REPORTED + " destinations; the rest are only counted (-v shows each)",
                lines.get(BlockedFlows.MAX_REPORTED));
        assertEquals("nstun: blocked 250 flows and queries in all, to 200+ destinations (no rule allows them)", lines.get(lines.size() - 1));
    }
}
