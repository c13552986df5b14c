package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.Environment;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyLoader;
import dev.nstun.policies.learn.LearnedPolicy;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.stack.StackCounters;
import dev.nstun.stack.flow.DialException;
import dev.nstun.stack.flow.DialFailure;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.flow.PendingConnect;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link PolicyDialer#startTcp}: which flows connect on the stack's loop, and that they are recorded,
 * timed and answered as those {@link PolicyDialer#connectTcp} connects on a thread.
 */
class PolicyDialerTest {
    private static final String POLICY = """
            outbounds:
              - {name: lan, type: direct, connect-timeout: 3s}
              - {name: proxy, type: socks5, server: 127.0.0.1:1080}
              - {name: v6only, type: direct, source-address: "::1"}
            rules:
              - {domain: [proxied.example], outbound: proxy}
              - {ip-cidr: [198.51.100.0/24], outbound: proxy}
              - {ip-cidr: [203.0.113.0/24], outbound: v6only}
              - {ip-cidr: [198.18.0.0/15], outbound: reject}
              - {domain: [refused.example], outbound: reject}
              - {domain: [silent.example], outbound: drop}
              - {outbound: lan}
            """;

    private final Policy policy;
    private final LearnedPolicy learned;
    private final RunReport report = new RunReport();
    private final StringWriter blockedOut = new StringWriter();
    private final Dialer dialer;

    PolicyDialerTest() throws Exception {
        policy = PolicyLoader.parse("p.yaml", POLICY, Path.of("."), Environment.system());
        learned = LearnedPolicy.start(policy);
        DirectDialer direct = new DirectDialer(NstunAddresses.RESOLVER_IPV4, NstunAddresses.RESOLVER_IPV6, false);
        PolicyDialer policyDialer = new PolicyDialer(policy, direct, new Connectors(Duration.ofMillis(100)),
                new BlockedFlows(new PrintWriter(blockedOut, true)), learned, report);
        dialer = report.around(policyDialer);
    }

    @Test
    void aDirectFlowToAnAddressConnectsOnTheLoopWithinTheOutboundsTimeoutAndIsRecorded() throws Exception {
        InetAddress host = hostAddress();
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(0))) {
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            FlowId flow = flow(host, port, null);
            PendingConnect pending = dialer.startTcp(flow).orElseThrow();
            assertEquals(Optional.of(Duration.ofSeconds(3)), pending.timeout(), "the outbound's connect-timeout, through the report");
            try (SocketChannel ch = pending.channel()) {
                finish(ch);
                assertTrue(ch.isConnected(), "connected");
            }
            dialer.tcpClosed(flow, 5, 7);
            assertEquals(1, learned.size(), "learned destinations");
            assertTrue(learned.render().contains(host.getHostAddress()), learned.render());
            List<String> lines = print();
            assertEquals("nstun:   tcp rule 7 → lan: 1 flow, 5 B sent, 7 B received", lines.get(1));
        }
    }

    @Test
    void aDirectConnectThatFailsOnTheLoopIsAnsweredAndCountedAsOnAThread() throws Exception {
        InetAddress host = hostAddress();
        int port;
        try (ServerSocketChannel closed = ServerSocketChannel.open().bind(new InetSocketAddress(0))) {
            port = ((InetSocketAddress) closed.getLocalAddress()).getPort();
        }
        PendingConnect refused = dialer.startTcp(flow(host, port, null)).orElseThrow();
        try (SocketChannel ch = refused.channel()) {
            IOException e = assertThrows(IOException.class, () -> finish(ch));
            DialException answer = refused.failure().apply(e);
            assertEquals(DialFailure.REFUSED, answer.failure());
            assertEquals("Connection refused: " + host.getHostAddress() + ":" + port, answer.getMessage());
        }
        PendingConnect slow = dialer.startTcp(flow(host, port + 1, null)).orElseThrow();
        slow.channel().close();
        DialException timedOut = slow.failure().apply(new SocketTimeoutException());
        assertEquals(DialFailure.TIMED_OUT, timedOut.failure());
        assertEquals("Connect timed out: " + host.getHostAddress() + ":" + (port + 1) + " (direct, 3s)", timedOut.getMessage());
        assertEquals("nstun: refused: 2 failed to connect (refused, unreachable, timed out)", print().get(1));
    }

    @Test
    void rejectedAndDroppedFlowsAreAnsweredOnTheLoopAndCounted() throws Exception {
        DialException rejected = assertThrows(DialException.class,
                () -> dialer.startTcp(flow(InetAddress.getByName("198.18.1.3"), 443, "refused.example")));
        assertEquals(DialFailure.REFUSED, rejected.failure(), "a reset, as a closed port");
        DialException dropped = assertThrows(DialException.class,
                () -> dialer.startTcp(flow(InetAddress.getByName("198.18.1.4"), 443, "silent.example")));
        assertEquals(DialFailure.DROPPED, dropped.failure(), "silence");
        assertEquals(0, learned.size(), "nothing learned: reject and drop carry nothing");
        assertEquals("nstun: refused: 1 rejected by a rule, 1 dropped by a rule", print().get(1));
        assertEquals("", blockedOut.toString(), "not the final rule: nothing said as blocked");
    }

    @Test
    void aFlowTheFinalRuleRejectsIsSaidBlockedFromTheLoop() throws Exception {
        Policy denying = PolicyLoader.parse("deny.yaml", """
                rules:
                  - {domain: [allowed.example], outbound: direct}
                  - {outbound: reject}
                """, Path.of("."), Environment.system());
        StringWriter said = new StringWriter();
        PolicyDialer deny = new PolicyDialer(denying, new DirectDialer(NstunAddresses.RESOLVER_IPV4, NstunAddresses.RESOLVER_IPV6, false),
                new Connectors(Duration.ofMillis(100)), new BlockedFlows(new PrintWriter(said, true)), null, new RunReport());
        DialException e = assertThrows(DialException.class, () -> deny.startTcp(flow(InetAddress.getByName("198.18.1.5"), 443, "other.example")));
        assertEquals(DialFailure.REFUSED, e.failure());
        assertEquals("nstun: blocked tcp other.example:443 (no rule allows it) — add --allow other.example:443", said.toString().strip());
    }

    @Test
    void namesSentDirectStayOnAThreadUnrecorded() throws Exception {
        assertTrue(dialer.startTcp(flow(InetAddress.getByName("198.18.1.2"), 443, "direct.example")).isEmpty(), "a name");
        assertEquals(0, learned.size(), "learned: connectTcp records them");
        assertEquals(1, print().size(), "the report saw nothing yet");
    }

    @Test
    void aFlowThroughAProxyConnectsOnTheLoopWithItsHandshakeAndFailsAsOnAThread() throws Exception {
        int dead;
        try (ServerSocketChannel closed = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            dead = ((InetSocketAddress) closed.getLocalAddress()).getPort();
        }
        Policy proxied = PolicyLoader.parse("proxy.yaml", """
                outbounds:
                  - {name: near, type: socks5, server: 127.0.0.1:%d, connect-timeout: 2s}
                  - {name: far, type: http, server: localhost:%d}
                rules:
                  - {ip-cidr: [192.0.2.0/24], outbound: far}
                  - {outbound: near}
                """.formatted(dead, dead), Path.of("."), Environment.system());
        RunReport counted = new RunReport();
        PolicyDialer policyDialer = new PolicyDialer(proxied, new DirectDialer(NstunAddresses.RESOLVER_IPV4, NstunAddresses.RESOLVER_IPV6, false),
                new Connectors(Duration.ofMillis(100)), new BlockedFlows(new PrintWriter(new StringWriter(), true)), null, counted);
        Dialer through = counted.around(policyDialer);
        FlowId flow = flow(InetAddress.getByName("198.18.1.9"), 443, "proxied.example");
        PendingConnect pending = through.startTcp(flow).orElseThrow();
        assertTrue(pending.handshake().isPresent(), "the proxy's handshake, kept through the report");
        assertEquals(Optional.of(Duration.ofSeconds(2)), pending.timeout(), "the outbound's connect-timeout");
        IOException e;
        try (SocketChannel ch = pending.channel()) {
            e = assertThrows(IOException.class, () -> finish(ch));
        }
        DialException onLoop = pending.failure().apply(e);
        DialException onThread = assertThrows(DialException.class, () -> through.connectTcp(flow));
        assertEquals("socks5 proxy 127.0.0.1:" + dead + " cannot be reached: Connection refused", onThread.getMessage());
        assertEquals(onThread.getMessage(), onLoop.getMessage(), "worded as on a thread");
        assertEquals(onThread.failure(), onLoop.failure(), "answered as on a thread");

        // The policy's proxy named localhost: its name is resolved in the background (as once a run's stack serves), then
        // its flows start on the loop.
        policyDialer.prefetchProxyNames();
        FlowId named = flow(InetAddress.getByName("192.0.2.7"), 443, null);
        Optional<PendingConnect> started = through.startTcp(named);
        for (long deadline = System.nanoTime() + 5_000_000_000L; started.isEmpty() && System.nanoTime() < deadline; ) {
            Thread.sleep(10);
            started = through.startTcp(named);
        }
        PendingConnect toName = started.orElseThrow(() -> new AssertionError("localhost never resolved"));
        assertTrue(toName.fallback().isPresent(), "the name's next address, kept through the report");
        IOException refused;
        SocketChannel ch = toName.channel();
        while (true) {
            SocketChannel attempt = ch;
            refused = assertThrows(IOException.class, () -> finish(attempt));
            attempt.close();
            Optional<SocketChannel> next = toName.fallback().orElseThrow().begin(refused);
            if (next.isEmpty()) break;
            ch = next.get();
        }
        DialException namedOnLoop = toName.failure().apply(refused);
        DialException namedOnThread = assertThrows(DialException.class, () -> through.connectTcp(named));
        assertEquals("http proxy localhost:" + dead + " cannot be reached: Connection refused", namedOnThread.getMessage());
        assertEquals(namedOnThread.getMessage(), namedOnLoop.getMessage(), "worded as on a thread");
        assertEquals(namedOnThread.failure(), namedOnLoop.failure(), "answered as on a thread");
    }

    @Test
    void aDirectFlowThatCannotBeginIsRefusedAtOnce() throws Exception {
        DialException e = assertThrows(DialException.class, () -> dialer.startTcp(flow(InetAddress.getByName("203.0.113.9"), 80, null)));
        assertEquals(DialFailure.NETWORK_UNREACHABLE, e.failure(), "a source-address of the other family: " + e.getMessage());
        assertThrows(FlowRefusedException.class, () -> dialer.startTcp(flow(InetAddress.getByName("127.0.0.1"), 80, null)));
        assertEquals("nstun: refused: 1 to an address never dialed for the command (loopback, unspecified, …),"
                + " 1 failed to connect (refused, unreachable, timed out)", print().get(1));
        assertFalse(blockedOut.toString().contains("203.0.113.9"), "not blocked by the policy");
    }

    /** Returns an IPv4 address of this host that is not loopback: a flow of the command may be dialed there. */
    private static InetAddress hostAddress() throws SocketException {
        return NetworkInterface.networkInterfaces().filter(PolicyDialerTest::up).flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof Inet4Address && DirectDialer.relayable(a)).findFirst()
                .orElseThrow(() -> new AssertionError("this host has no IPv4 address but loopback"));
    }

    private static boolean up(NetworkInterface i) {
        try {
            return i.isUp() && !i.isLoopback();
        } catch (SocketException e) {
            return false;
        }
    }

    private static FlowId flow(InetAddress destination, int port, String name) throws Exception {
        FlowId id = new FlowId(FlowId.Protocol.TCP, InetAddress.getByName("198.18.0.1"), 40000, destination, port);
        return name == null ? id : id.withDestinationName(name);
    }

    /** Waits for a connect begun without blocking to end, as the stack's selector does. */
    private static void finish(SocketChannel ch) throws IOException {
        try (Selector selector = Selector.open()) {
            ch.register(selector, SelectionKey.OP_CONNECT);
            while (!ch.finishConnect()) {
                selector.select(2000);
            }
        }
    }

    private List<String> print() {
        StringWriter out = new StringWriter();
        report.print(new PrintWriter(out, true), new StackCounters());
        return out.toString().lines().toList();
    }
}
