package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nstun.policies.config.Credentials;
import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.IpLiteral;
import dev.nstun.policies.config.Location;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.OutboundException.Kind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link Connectors}: each kind of outbound, against local servers. */
class ConnectorsTest {
    private static final Location HERE = Location.nowhere("(test)");
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private final Connectors connectors = new Connectors(Duration.ofMillis(200));

    private static Outbound.Direct direct(Optional<String> iface, OptionalLong fwmark, Optional<InetAddress> source) {
        return new Outbound.Direct("lan", iface, fwmark, source, TIMEOUT, HERE);
    }

    @Test
    void directConnectsByAddressAndByNameFromTheSourceAddress() throws Exception {
        CompletableFuture<InetSocketAddress> seen = new CompletableFuture<>();
        try (FakeProxy server = FakeProxy.start(p -> {
            seen.complete(p.remote());
            p.echo();
        })) {
            int port = server.address().port();
            try (SocketChannel ch = connectors.connect(direct(Optional.empty(), OptionalLong.empty(), Optional.empty()),
                    Destination.of("127.0.0.1", port))) {
                assertEchoes(ch);
            }
            try (SocketChannel ch = connectors.connect(direct(Optional.empty(), OptionalLong.empty(), Optional.empty()),
                    Destination.of("localhost", port))) {
                assertEchoes(ch);
            }
            assertEquals(InetAddress.getLoopbackAddress(), seen.get(2, TimeUnit.SECONDS).getAddress());
        }
        CompletableFuture<InetSocketAddress> fromSource = new CompletableFuture<>();
        try (FakeProxy server = FakeProxy.start(p -> fromSource.complete(p.remote()))) {
            InetAddress source = IpLiteral.parse("127.0.0.2").orElseThrow();
            connectors.connect(direct(Optional.empty(), OptionalLong.empty(), Optional.of(source)),
                    Destination.of("127.0.0.1", server.address().port())).close();
            assertEquals(source, fromSource.get(2, TimeUnit.SECONDS).getAddress(), "source-address is bound");
        }
    }

    @Test
    void aNameThatResolvesOnlyToAddressesTheCallerForbidsIsRefusedBeforeAnyConnect() throws Exception {
        CompletableFuture<InetSocketAddress> seen = new CompletableFuture<>();
        try (FakeProxy server = FakeProxy.start(p -> seen.complete(p.remote()))) {
            Outbound.Direct lan = direct(Optional.empty(), OptionalLong.empty(), Optional.empty());
            Destination localhost = Destination.of("localhost", server.address().port());
            OutboundException e = assertThrows(OutboundException.class,
                    () -> connectors.connect(lan, localhost, address -> !address.isLoopbackAddress()));
            assertEquals(OutboundException.Kind.NOT_ALLOWED, e.kind(), "kind");
            assertTrue(e.getMessage().contains("localhost resolves on this host only to"), e.getMessage());
            assertThrows(OutboundException.class, () -> connectors.datagram(lan, localhost, address -> !address.isLoopbackAddress()));
            assertFalse(seen.isDone(), "nothing connected to the server");
        }
    }

    @Test
    void withoutATunerInterfaceAndFwmarkAreRefusedNotIgnored() throws Exception {
        try (FakeProxy server = FakeProxy.start(FakeProxy.Peer::echo)) {
            Outbound.Direct lan = direct(Optional.of("eth7"), OptionalLong.of(0x20), Optional.empty());
            OutboundException e = assertThrows(OutboundException.class,
                    () -> connectors.connect(lan, Destination.of("127.0.0.1", server.address().port())));
            assertEquals("outbound lan sets interface eth7 and fwmark 0x20, which this nstun cannot apply (no socket tuner"
                    + " installed), so its flows are refused; remove them to use the host's routing table", e.getMessage());
            assertEquals(Kind.UNSUPPORTED, e.kind());
            assertThrows(OutboundException.class, () -> connectors.datagram(lan, Destination.of("127.0.0.1", 53)));
        }
    }

    @Test
    void theTunerSeesEverySocketBeforeItIsBoundOrConnected() throws Exception {
        List<String> tuned = new CopyOnWriteArrayList<>();
        SocketTuner recording = (channel, outbound) -> {
            assertNull(channel.getLocalAddress(), "not bound yet");
            tuned.add(channel.getClass().getSimpleName().replaceAll("Impl$", "") + " " + SocketTuner.options(outbound));
        };
        Connectors tuning = new Connectors(Duration.ofMillis(200), recording);
        Outbound.Direct lan = direct(Optional.of("lo"), OptionalLong.empty(), Optional.of(IpLiteral.parse("127.0.0.1").orElseThrow()));
        try (FakeProxy server = FakeProxy.start(FakeProxy.Peer::echo)) {
            try (SocketChannel ch = tuning.connect(lan, Destination.of("127.0.0.1", server.address().port()))) {
                assertEchoes(ch);
            }
        }
        try (DatagramChannel ch = tuning.datagram(lan, Destination.of("localhost", 53))) {
            assertEquals(new InetSocketAddress("127.0.0.1", 53), ch.getRemoteAddress(), "connected to the IPv4 address of localhost");
            assertEquals(InetAddress.getLoopbackAddress(), ((InetSocketAddress) ch.getLocalAddress()).getAddress(), "source-address bound");
        }
        try (SocketChannel ch = new Connectors(Duration.ofMillis(200), (c, o) -> fail("no interface or fwmark: not tuned"))
                .connect(direct(Optional.empty(), OptionalLong.empty(), Optional.empty()), Destination.of("127.0.0.1", RealServers.freePort()))) {
            fail("a closed port accepted");
        } catch (ConnectException expected) {
            // Refused without the tuner being asked.
        }
        assertEquals(List.of("SocketChannel interface lo", "DatagramChannel interface lo"), tuned);
    }

    @Test
    void directToAClosedPortIsRefused() throws Exception {
        int port = Socks5ClientTest.freePort();
        ConnectException e = assertThrows(ConnectException.class,
                () -> connectors.connect(direct(Optional.empty(), OptionalLong.empty(), Optional.empty()), Destination.of("127.0.0.1", port)));
        assertEquals(ConnectException.class, e.getClass());
        assertEquals("Connection refused: 127.0.0.1:" + port, e.getMessage());
    }

    @Test
    void startBeginsADirectConnectToAnAddressWithoutBlockingFromTheSourceAddress() throws Exception {
        CompletableFuture<InetSocketAddress> fromSource = new CompletableFuture<>();
        try (FakeProxy server = FakeProxy.start(p -> {
            fromSource.complete(p.remote());
            p.echo();
        })) {
            InetAddress source = IpLiteral.parse("127.0.0.2").orElseThrow();
            StartedConnect started = connectors.start(direct(Optional.empty(), OptionalLong.empty(), Optional.of(source)),
                    Destination.of("127.0.0.1", server.address().port())).orElseThrow();
            assertEquals(TIMEOUT, started.timeout(), "the outbound's connect-timeout, for the caller to keep");
            try (SocketChannel ch = started.channel()) {
                assertFalse(ch.isBlocking(), "non-blocking");
                finish(ch);
                ch.configureBlocking(true);
                assertEchoes(ch);
            }
            assertEquals(source, fromSource.get(2, TimeUnit.SECONDS).getAddress(), "source-address is bound");
        }
    }

    @Test
    void aStartedDirectConnectFailsWithWhatConnectWouldThrow() throws Exception {
        int port = Socks5ClientTest.freePort();
        StartedConnect started = connectors.start(direct(Optional.empty(), OptionalLong.empty(), Optional.empty()),
                Destination.of("127.0.0.1", port)).orElseThrow();
        try (SocketChannel ch = started.channel()) {
            IOException thrown = assertThrows(IOException.class, () -> finish(ch));
            IOException e = started.failed(thrown);
            assertEquals(ConnectException.class, e.getClass());
            assertEquals("Connection refused: 127.0.0.1:" + port, e.getMessage());
        }
        IOException timedOut = started.failed(new SocketTimeoutException());
        assertEquals(SocketTimeoutException.class, timedOut.getClass());
        assertEquals("Connect timed out: 127.0.0.1:" + port + " (direct, 2s)", timedOut.getMessage());
    }

    @Test
    void startLeavesNamesAndEveryOtherOutboundToConnect() throws Exception {
        Outbound.Direct direct = direct(Optional.empty(), OptionalLong.empty(), Optional.empty());
        assertTrue(connectors.start(direct, Destination.of("localhost", 80)).isEmpty(), "a name needs resolving");
        assertTrue(connectors.start(new Outbound.Reject("block", HERE), Destination.of("127.0.0.1", 80)).isEmpty());
        assertTrue(connectors.start(new Outbound.Drop("drop", HERE), Destination.of("127.0.0.1", 80)).isEmpty());
    }

    @Test
    void startRefusesASourceAddressOfTheOtherFamilyAtOnce() {
        InetAddress source = IpLiteral.parse("::1").orElseThrow();
        IOException e = assertThrows(IOException.class, () -> connectors.start(direct(Optional.empty(), OptionalLong.empty(), Optional.of(source)),
                Destination.of("127.0.0.1", 80)));
        assertEquals("Network unreachable: source-address 0:0:0:0:0:0:0:1 is IPv6 but the destination has only IPv4 addresses: 127.0.0.1:80",
                e.getMessage());
    }

    /** Waits, blocking, for a connect begun without blocking to end, as a selector would. */
    private static void finish(SocketChannel ch) throws IOException {
        try (java.nio.channels.Selector selector = java.nio.channels.Selector.open()) {
            ch.register(selector, java.nio.channels.SelectionKey.OP_CONNECT);
            while (!ch.finishConnect()) {
                selector.select(2000);
            }
        }
    }

    @Test
    void rejectRefusesAtOnce() {
        ConnectException e = assertThrows(ConnectException.class,
                () -> connectors.connect(new Outbound.Reject("block", HERE), Destination.of("ads.example", 443)));
        assertEquals(ConnectException.class, e.getClass());
        assertEquals("Connection refused: outbound block rejects ads.example:443", e.getMessage());
    }

    @Test
    void dropWaitsForTheTimeoutThenTimesOut() {
        long start = System.nanoTime();
        SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                () -> connectors.connect(new Outbound.Drop("drop", HERE), Destination.of("192.0.2.1", 80)));
        assertEquals("Connect timed out: outbound drop drops 192.0.2.1:80", e.getMessage());
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200), "waited the drop timeout");
    }

    @Test
    void socks5AndHttpOutboundsGoThroughTheirProxyByName() throws Exception {
        Credentials bob = new Credentials("bob", "pw");
        try (FakeProxy socks = FakeProxy.start(p -> {
            p.expect("05 02 00 02").send("05 02").expect("01 03 626f62 02 7077").send("01 00")
                    .expect("05 01 00 03 09 6c6f63616c686f7374 0050").send("05 00 00 01 00000000 0000");
            p.echo();
        })) {
            Outbound.Socks5 corp = new Outbound.Socks5("corp", socks.address(), Optional.of(bob), false, TIMEOUT, HERE);
            try (SocketChannel ch = connectors.connect(corp, Destination.of("localhost", 80))) {
                assertEchoes(ch);
            }
        }
        try (FakeProxy http = FakeProxy.start(p -> {
            p.expectText("CONNECT localhost:80 HTTP/1.1\r\nHost: localhost:80\r\n\r\n").sendText("HTTP/1.1 200 OK\r\n\r\n");
            p.echo();
        })) {
            Outbound.Http web = new Outbound.Http("web", http.address(), Optional.empty(), TIMEOUT, HERE);
            try (SocketChannel ch = connectors.connect(web, Destination.of("localhost", 80))) {
                assertEchoes(ch);
            }
        }
    }

    @Test
    void aDeadProxyIsAnOutboundExceptionThatIsAlsoAConnectException() throws Exception {
        HostPort dead = new HostPort("127.0.0.1", Socks5ClientTest.freePort());
        Outbound.Socks5 corp = new Outbound.Socks5("corp", dead, Optional.empty(), false, TIMEOUT, HERE);
        ConnectException e = assertThrows(ConnectException.class, () -> connectors.connect(corp, Destination.of("example.com", 443)));
        assertTrue(e instanceof OutboundException, "names the proxy: " + e);
    }

    private static void assertEchoes(SocketChannel ch) throws IOException {
        ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        ByteBuffer back = ByteBuffer.allocate(3);
        while (back.hasRemaining() && ch.read(back) >= 0) {
            // read until the three bytes are back
        }
        assertEquals(ByteBuffer.wrap(new byte[] {1, 2, 3}), back.flip());
    }
}
