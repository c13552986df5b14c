package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.Environment;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyLoader;
import dev.nstun.policies.rules.FlowKey;
import dev.nstun.policies.rules.RuleMatcher;
import dev.nstun.stack.StackCounters;
import dev.nstun.stack.flow.DialException;
import dev.nstun.stack.flow.DialFailure;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.flow.PendingConnect;
import dev.nstun.stack.flow.UdpUpstream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The exit report counts what its dialer saw: flows per route with their bytes, refusals by reason. */
class RunReportTest {
    private static final String POLICY = """
            outbounds:
              - {name: proxy, type: socks5, server: 127.0.0.1:1080}
              - {name: web, type: http, server: 127.0.0.1:3128}
            rules:
              - {domain: [proxied.example], outbound: proxy}
              - {domain: [web.example], outbound: web}
              - {domain: [blocked.example], outbound: reject}
              - {domain: [dropped.example], outbound: drop}
              - {outbound: direct}
            """;

    private final RunReport report = new RunReport();
    private final RuleMatcher matcher;
    /** What the dialer under the report does with each destination port: connect (null) or throw. */
    private final Map<Integer, IOException> outcomes = new HashMap<>();

    RunReportTest() throws Exception {
        Policy policy = PolicyLoader.parse("p.yaml", POLICY, Path.of("."), Environment.system());
        matcher = RuleMatcher.of(policy);
    }

    /** A dialer that tells the report which rule each named flow met, as PolicyDialer does, then does what {@link #outcomes} say. */
    private Dialer dialer() {
        return report.around(new Dialer() {
            @Override
            public SocketChannel connectTcp(FlowId flow) throws IOException {
                route(flow, Network.TCP);
                if (outcomes.containsKey(flow.destinationPort())) throw outcomes.get(flow.destinationPort());
                return SocketChannel.open();
            }

            @Override
            public UdpUpstream openUdp(FlowId flow) throws IOException {
                route(flow, Network.UDP);
                if (outcomes.containsKey(flow.destinationPort())) throw outcomes.get(flow.destinationPort());
                return new EchoingUpstream();
            }
        });
    }

    private void route(FlowId flow, Network network) {
        flow.destinationName().ifPresent(name -> report.matched(flow, matcher.match(FlowKey.ofDomain(name, flow.destinationPort(), network))));
    }

    private static FlowId flow(FlowId.Protocol protocol, String destination, int port, String name) throws Exception {
        FlowId id = new FlowId(protocol, InetAddress.getByName("198.18.0.1"), 40000 + port, InetAddress.getByName(destination), port);
        return name == null ? id : id.withDestinationName(name);
    }

    @Test
    void flowsAndTheirBytesGoUnderTheRuleAndOutboundTheyMet() throws Exception {
        Dialer d = dialer();
        FlowId proxied = flow(FlowId.Protocol.TCP, "198.18.1.0", 443, "proxied.example");
        d.connectTcp(proxied).close();
        d.tcpClosed(flow(FlowId.Protocol.TCP, "198.18.1.0", 443, null), 1000, 3 << 20); // the stack's id carries no name
        FlowId direct = flow(FlowId.Protocol.UDP, "192.0.2.7", 53, null);
        UdpUpstream udp = d.openUdp(direct);
        assertTrue(udp.send(ByteBuffer.allocate(100)));
        assertEquals(100, udp.receive(ByteBuffer.allocate(200)));
        udp.close();
        udp.close();

        List<String> lines = print(new StackCounters());
        assertTrue(lines.get(0).matches("nstun: [0-9.]+s, 2 flows, 1\\.1 KiB sent, 3\\.0 MiB received"), lines.get(0));
        assertEquals(List.of("nstun:   tcp rule 1 → proxy: 1 flow, 1000 B sent, 3.0 MiB received",
                "nstun:   udp no policy → direct: 1 flow, 100 B sent, 100 B received"), lines.subList(1, lines.size()));
    }

    @Test
    void refusalsAreCountedByReason() throws Exception {
        Dialer d = dialer();
        outcomes.put(80, new DialException(DialFailure.REFUSED, "outbound reject rejects it")); // TCP: a reset, as a closed port
        outcomes.put(81, new FlowRefusedException("outbound reject rejects it"));
        outcomes.put(443, new FlowRefusedException("UDP cannot go through the http outbound web"));
        outcomes.put(8080, new FlowRefusedException("198.18.0.2 answers only DNS on port 53"));
        outcomes.put(22, new DialException(DialFailure.DROPPED, "outbound drop drops it"));
        outcomes.put(25, new DialException(DialFailure.REFUSED, "connection refused"));
        outcomes.put(9, new FlowRefusedException("127.0.0.1 (loopback) is never dialed for the command"));
        assertThrows(DialException.class, () -> d.connectTcp(flow(FlowId.Protocol.TCP, "198.18.1.1", 80, "blocked.example")));
        assertThrows(FlowRefusedException.class, () -> d.openUdp(flow(FlowId.Protocol.UDP, "198.18.1.1", 81, "blocked.example")));
        assertThrows(FlowRefusedException.class, () -> d.openUdp(flow(FlowId.Protocol.UDP, "198.18.1.2", 443, "web.example")));
        assertThrows(FlowRefusedException.class, () -> d.connectTcp(flow(FlowId.Protocol.TCP, "198.18.0.2", 8080, null)));
        assertThrows(DialException.class, () -> d.connectTcp(flow(FlowId.Protocol.TCP, "198.18.1.3", 22, "dropped.example")));
        assertThrows(DialException.class, () -> d.connectTcp(flow(FlowId.Protocol.TCP, "192.0.2.1", 25, null)));
        assertThrows(FlowRefusedException.class, () -> d.openUdp(flow(FlowId.Protocol.UDP, "127.0.0.1", 9, null)));
        StackCounters stack = new StackCounters();
        stack.count(StackCounters.Drop.FAKE_ADDRESS_WITHOUT_NAME);

        List<String> lines = print(stack);
        assertTrue(lines.get(0).matches("nstun: [0-9.]+s, 0 flows, 0 B sent, 0 B received"), lines.get(0));
        assertEquals("nstun: refused: 2 rejected by a rule, 1 dropped by a rule, 1 UDP to a proxy that carries no UDP,"
                + " 1 to a fake address that stands for no name, 1 to nstun's own addresses (the resolver's other ports, the host's"
                + " loopback without --host-loopback), 1 to an address never dialed for the command (loopback, unspecified, …),"
                + " 1 failed to connect (refused, unreachable, timed out)", lines.get(1));
        assertEquals(2, lines.size());
    }

    @Test
    void aConnectBegunOnTheLoopCountsWhenItFailsOrWhenItsFlowEnds() throws Exception {
        Dialer d = report.around(loopDialer());
        FlowId connects = flow(FlowId.Protocol.TCP, "192.0.2.8", 443, null);
        d.startTcp(connects).orElseThrow().channel().close();
        d.tcpClosed(connects, 10, 20);
        PendingConnect refused = d.startTcp(flow(FlowId.Protocol.TCP, "192.0.2.9", 443, null)).orElseThrow();
        refused.channel().close();
        assertEquals(DialFailure.REFUSED, refused.failure().apply(new IOException("Connection refused")).failure());

        List<String> lines = print(new StackCounters());
        assertEquals(List.of("nstun:   tcp no policy → direct: 1 flow, 10 B sent, 20 B received",
                "nstun: refused: 1 failed to connect (refused, unreachable, timed out)"), lines.subList(1, lines.size()));
    }

    @Test
    void aLiveFlowIsFoundWithItsRuleAndOutboundUntilItEnds() throws Exception {
        Dialer d = dialer();
        FlowId proxied = flow(FlowId.Protocol.TCP, "198.18.1.0", 443, "proxied.example");
        FlowId asTheStackNamesIt = flow(FlowId.Protocol.TCP, "198.18.1.0", 443, null);
        d.connectTcp(proxied).close();
        FlowId direct = flow(FlowId.Protocol.UDP, "192.0.2.7", 53, null);
        UdpUpstream udp = d.openUdp(direct);
        assertEquals(Optional.of(new RunReport.Route(FlowId.Protocol.TCP, "rule 1", "proxy")), report.routeOf(asTheStackNamesIt));
        assertEquals(Optional.of(new RunReport.Route(FlowId.Protocol.UDP, "no policy", "direct")), report.routeOf(direct));
        assertEquals(List.of(new RunReport.RouteTotals(new RunReport.Route(FlowId.Protocol.TCP, "rule 1", "proxy"), 1, 0, 0),
                new RunReport.RouteTotals(new RunReport.Route(FlowId.Protocol.UDP, "no policy", "direct"), 1, 0, 0)), report.routeTotals());

        d.tcpClosed(asTheStackNamesIt, 5, 7);
        udp.close();
        assertEquals(Optional.empty(), report.routeOf(asTheStackNamesIt), "an ended TCP flow");
        assertEquals(Optional.empty(), report.routeOf(direct), "an ended UDP flow");
        assertEquals(new RunReport.RouteTotals(new RunReport.Route(FlowId.Protocol.TCP, "rule 1", "proxy"), 1, 5, 7), report.routeTotals().get(0));
    }

    @Test
    void aConnectOnTheLoopIsLiveUntilItFailsAndIsThenNoFlow() throws Exception {
        Dialer d = report.around(loopDialer());
        FlowId refused = flow(FlowId.Protocol.TCP, "192.0.2.9", 443, null);
        PendingConnect pending = d.startTcp(refused).orElseThrow();
        pending.channel().close();
        assertEquals(Optional.of(new RunReport.Route(FlowId.Protocol.TCP, "no policy", "direct")), report.routeOf(refused), "connecting");
        pending.failure().apply(new IOException("Connection refused"));
        assertEquals(Optional.empty(), report.routeOf(refused), "refused");
        assertEquals(List.of(), report.routeTotals(), "no flow went anywhere");
        assertEquals(1L, report.refusals().get(RunReport.Refusal.FAILED), "counted as refused");
    }

    @Test
    void bytesReadLikeTimeSays() {
        assertEquals("0 B", RunReport.bytes(0));
        assertEquals("1023 B", RunReport.bytes(1023));
        assertEquals("1.0 KiB", RunReport.bytes(1024));
        assertEquals("1.5 MiB", RunReport.bytes(3 << 19));
        assertEquals("2.0 GiB", RunReport.bytes(2L << 30));
    }

    private List<String> print(StackCounters stack) {
        StringWriter out = new StringWriter();
        report.print(new PrintWriter(out, true), stack);
        return out.toString().lines().toList();
    }

    /** A UDP upstream whose every datagram comes straight back. */
    private static final class EchoingUpstream implements UdpUpstream {
        private int waiting = -1;

        @Override
        public DatagramChannel channel() {
            return null;
        }

        @Override
        public boolean send(ByteBuffer payload) {
            waiting = payload.remaining();
            payload.position(payload.limit());
            return true;
        }

        @Override
        public int receive(ByteBuffer dst) {
            int n = waiting;
            waiting = -1;
            return n;
        }

        @Override
        public void close() {}
    }

    /** A dialer that starts every TCP connect on the loop (its failure: refused) and dials nothing else. */
    private static Dialer loopDialer() {
        return new Dialer() {
            @Override
            public SocketChannel connectTcp(FlowId flow) {
                throw new AssertionError("dialed on the loop only");
            }

            @Override
            public UdpUpstream openUdp(FlowId flow) {
                throw new AssertionError("no UDP here");
            }

            @Override
            public Optional<PendingConnect> startTcp(FlowId flow) throws IOException {
                return Optional.of(new PendingConnect(SocketChannel.open(), e -> new DialException(DialFailure.REFUSED, e.getMessage())));
            }
        };
    }
}
