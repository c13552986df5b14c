package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.Credentials;
import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.IpLiteral;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A proxy named by a name connects on a loop once its name is known, at each of its addresses in
 * turn, as a blocking connect tries them ({@link ProxyAddresses}, {@link StartedConnect#fallback}).
 * The names here end in .test (RFC 6761): no resolver knows them, only what a test remembers.
 */
class ProxyAddressesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Destination EXAMPLE = Destination.of("example.com", 443);
    private static final Optional<Credentials> NONE = Optional.empty();
    private static final String GREETING = "05 01 00";
    private static final String CONNECT_EXAMPLE = "05 01 00 03 0b 6578616d706c652e636f6d 01bb";
    private static final String SUCCEEDED = "05 00 00 01 7f000001 1f90";

    @Test
    void aNameIsKnownForThirtySecondsAfterItResolvesAndAnAddressAlways() {
        HostPort proxy = new HostPort("fresh.nstun.test", 1080);
        assertEquals(Optional.empty(), ProxyAddresses.known(proxy, 0), "never resolved");
        List<InetAddress> addresses = List.of(address("192.0.2.7"), address("2001:db8::7"));
        ProxyAddresses.remember(proxy.host(), addresses, 1_000);
        assertEquals(Optional.of(addresses), ProxyAddresses.known(proxy, 1_000 + ProxyAddresses.FRESH_FOR.toNanos()), "in order");
        assertEquals(Optional.empty(), ProxyAddresses.known(proxy, 1_001 + ProxyAddresses.FRESH_FOR.toNanos()), "stale");
        assertEquals(Optional.of(List.of(address("192.0.2.9"))), ProxyAddresses.known(new HostPort("192.0.2.9", 1080), 0));
    }

    @Test
    void aProxyWhoseNameIsNotKnownIsLeftToTheBlockingConnect() throws IOException {
        assertEquals(Optional.empty(), new Socks5Client(new HostPort("unknown.nstun.test", 1080), NONE, TIMEOUT).start(EXAMPLE));
        assertEquals(Optional.empty(), new HttpConnectClient(new HostPort("unknown.nstun.test", 3128), NONE, TIMEOUT).start(EXAMPLE));
    }

    @Test
    void aBlockingConnectLeavesItsProxysAddressesToTheLoop() throws Exception {
        try (FakeProxy server = FakeProxy.start(p -> p.expect(GREETING).send("05 00").expect(CONNECT_EXAMPLE).send(SUCCEEDED))) {
            HostPort proxy = new HostPort("localhost", server.address().port());
            new Socks5Client(proxy, NONE, TIMEOUT).connect(EXAMPLE).close();
            List<InetAddress> known = ProxyAddresses.known(proxy).orElseThrow();
            assertEquals(List.of(InetAddress.getAllByName("localhost")), known, "what the connect resolved, in its order");
        }
    }

    @Test
    void aRefusedAddressIsFollowedByTheNameNextOnALoopAndTheHandshakeRunsThere() throws Exception {
        CompletableFuture<InetSocketAddress> reached = new CompletableFuture<>();
        try (FakeProxy server = FakeProxy.start(p -> {
            reached.complete(p.remote());
            p.expect(GREETING).send("05 00").expect(CONNECT_EXAMPLE).send(SUCCEEDED);
            p.echo();
        })) {
            // 127.0.0.2 refuses: the proxy listens on 127.0.0.1 only.
            HostPort proxy = new HostPort("two.nstun.test", server.address().port());
            ProxyAddresses.remember(proxy.host(), List.of(address("127.0.0.2"), address("127.0.0.1")), System.nanoTime());
            StartedConnect started = new Socks5Client(proxy, NONE, TIMEOUT).start(EXAMPLE).orElseThrow();
            try (SocketChannel ch = HandshakeDriver.drive(started)) {
                ch.write(ByteBuffer.wrap(new byte[] {42}));
                ByteBuffer echo = ByteBuffer.allocate(1);
                ch.read(echo);
                assertEquals(42, echo.get(0), "the flow's bytes on the second address's channel");
            }
            assertTrue(reached.get(2, TimeUnit.SECONDS).getAddress().isLoopbackAddress(), "reached");
        }
    }

    @Test
    void whenEveryAddressRefusesTheLoopSaysWhatABlockingConnectSays() throws Exception {
        int port = Socks5ClientTest.freePort();
        HostPort proxy = new HostPort("none.nstun.test", port);
        ProxyAddresses.remember(proxy.host(), List.of(address("127.0.0.2"), address("127.0.0.3")), System.nanoTime());
        StartedConnect started = new Socks5Client(proxy, NONE, TIMEOUT).start(EXAMPLE).orElseThrow();
        OutboundException e = assertThrows(OutboundException.class, () -> HandshakeDriver.drive(started));
        assertEquals(OutboundException.Kind.PROXY_UNREACHABLE, e.kind());
        assertEquals("socks5 proxy none.nstun.test:" + port + " cannot be reached: Connection refused", e.getMessage());
        assertFalse(started.channel().isOpen(), "the last channel is closed");
    }

    private static InetAddress address(String literal) {
        return IpLiteral.parse(literal).orElseThrow();
    }
}
