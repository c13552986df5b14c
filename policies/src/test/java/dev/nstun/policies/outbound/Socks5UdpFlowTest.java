package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.outbound.RealServers.Daemon;
import dev.nstun.policies.outbound.RealServers.EchoServers;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Socks5UdpFlow}: one flow's datagrams through dante's UDP ASSOCIATE to UDP echo servers, driven by a selector. */
class Socks5UdpFlowTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static EchoServers echo;
    private static EchoServers otherEcho;
    private static Daemon dante;
    private static HostPort danteAddress;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        echo = new EchoServers();
        otherEcho = new EchoServers();
        danteAddress = new HostPort("127.0.0.1", RealServers.freePort());
        dante = RealServers.dante(dir, "danted", danteAddress.port(), "none", "connect udpassociate");
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {dante, echo, otherEcho}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static Socks5UdpAssociation associate() throws IOException {
        return new Socks5Client(danteAddress, Optional.empty(), TIMEOUT).associate();
    }

    @Test
    void datagramsGoToTheDestinationAndTheirEchoesComeBackWithoutHeader() throws Exception {
        for (Destination to : new Destination[] {Destination.of("127.0.0.1", echo.udpPort()), Destination.of("localhost", echo.udpPort())}) {
            try (Socks5UdpFlow flow = Socks5UdpFlow.open(associate(), to); Selector selector = Selector.open()) {
                assertFalse(flow.channel().isBlocking(), "non-blocking for the stack's selector");
                flow.channel().register(selector, SelectionKey.OP_READ);
                ByteBuffer into = ByteBuffer.allocate(65536);
                into.position(100);
                assertEquals(-1, flow.receive(into), "nothing waits");
                Random random = new Random(5);
                for (int size : new int[] {1, 1400, 9000}) {
                    byte[] payload = new byte[size];
                    random.nextBytes(payload);
                    assertTrue(flow.send(ByteBuffer.wrap(payload)));
                    int n = receive(flow, selector, into);
                    assertEquals(size, n, "length");
                    assertEquals(100, into.position(), "position unchanged");
                    assertArrayEquals(payload, Arrays.copyOfRange(into.array(), 100, 100 + n), size + " bytes to " + to);
                }
                assertEquals(0, flow.dropped());
            }
        }
    }

    @Test
    void datagramsFromOtherSourcesAreDropped() throws Exception {
        Destination echoAddress = Destination.of("127.0.0.1", echo.udpPort());
        try (Socks5UdpAssociation association = associate(); Selector selector = Selector.open()) {
            Socks5UdpFlow flow = Socks5UdpFlow.open(association, echoAddress);
            flow.channel().register(selector, SelectionKey.OP_READ);
            // The same association, used around the flow, sends to another echo server: its echo comes
            // back on the flow's channel and must not pass for the destination's.
            assertTrue(association.send(ascii("other"), Destination.of("127.0.0.1", otherEcho.udpPort())));
            Thread.sleep(200);
            assertTrue(flow.send(ascii("mine")));
            ByteBuffer into = ByteBuffer.allocate(65536);
            int n = receive(flow, selector, into);
            assertEquals("mine", new String(into.array(), 0, n, StandardCharsets.US_ASCII));
            assertEquals(1, flow.dropped());
        }
    }

    @Test
    void theProxyClosingTheControlConnectionEndsTheFlow() throws Exception {
        try (DatagramChannel relay = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = ((InetSocketAddress) relay.getLocalAddress()).getPort();
            try (FakeProxy proxy = FakeProxy.start(p -> p.acceptGreeting().expect("05 03 00 01").skip(6)
                    .send("05 00 00 01 7f000001 %04x".formatted(port)).close());
                 Socks5UdpFlow flow = Socks5UdpFlow.open(new Socks5Client(proxy.address(), Optional.empty(), TIMEOUT).associate(),
                         Destination.of("192.0.2.1", 53))) {
                String want = "SOCKS5 UDP association ended: socks5 proxy " + proxy.address() + " closed the control connection";
                long end = System.nanoTime() + TIMEOUT.toNanos();
                IOException e = null;
                while (e == null && System.nanoTime() < end) {
                    try {
                        flow.receive(ByteBuffer.allocate(100));
                        Thread.sleep(10);
                    } catch (IOException ended) {
                        e = ended;
                    }
                }
                assertEquals(want, e == null ? null : e.getMessage());
                assertEquals(want, assertThrows(IOException.class, () -> flow.send(ascii("late"))).getMessage(), "and stays ended");
            }
        }
    }

    private static int receive(Socks5UdpFlow flow, Selector selector, ByteBuffer into) throws IOException {
        long end = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < end) {
            int n = flow.receive(into);
            if (n >= 0) {
                return n;
            }
            selector.select(100);
            selector.selectedKeys().clear();
        }
        throw new AssertionError("nothing came back through " + flow + " within " + TIMEOUT);
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }
}
