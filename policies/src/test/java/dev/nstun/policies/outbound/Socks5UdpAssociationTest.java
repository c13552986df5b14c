package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.outbound.OutboundException.Kind;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link Socks5UdpAssociation} against an in-process proxy and relay. */
class Socks5UdpAssociationTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private DatagramChannel relay;
    /** What the fake proxy read as the client's announced address. */
    private final CompletableFuture<InetSocketAddress> announced = new CompletableFuture<>();

    @BeforeEach
    void openRelay() throws IOException {
        relay = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void closeRelay() throws IOException {
        relay.close();
    }

    /** A proxy that accepts UDP ASSOCIATE and names the relay as 0.0.0.0:port, then keeps the control connection open. */
    private FakeProxy.Script associates() {
        int port = ((InetSocketAddress) relay.socket().getLocalSocketAddress()).getPort();
        return p -> {
            p.acceptGreeting().expect("05 03 00 01");
            ByteBuffer address = ByteBuffer.wrap(p.read(6));
            byte[] ip = new byte[4];
            address.get(ip);
            announced.complete(new InetSocketAddress(InetAddress.getByAddress(ip), address.getShort() & 0xffff));
            p.send("05 00 00 01 00000000 %04x".formatted(port));
            p.hang();
        };
    }

    @Test
    void wrapsDatagramsToTheRelayAndUnwrapsTheReplies() throws Exception {
        try (FakeProxy proxy = FakeProxy.start(associates());
             Socks5UdpAssociation udp = new Socks5Client(proxy.address(), Optional.empty(), TIMEOUT).associate()) {
            InetSocketAddress from = announced.get(2, TimeUnit.SECONDS);
            assertEquals(udp.channel().getLocalAddress(), from, "announced the address it sends from");
            assertNotEquals(0, from.getPort());
            assertEquals(relay.getLocalAddress(), udp.relay(), "0.0.0.0 in the reply means the proxy's address");

            assertTrue(udp.send(ascii("ping"), "example.com", 53));
            ByteBuffer got = ByteBuffer.allocate(100);
            SocketAddress client = relay.receive(got);
            assertEquals("000000 03 0b 6578616d706c652e636f6d 0035 70696e67".replace(" ", ""), HexFormat.of().formatHex(got.array(), 0, got.position()));

            relay.send(ByteBuffer.wrap(FakeProxy.hex("000000 01 c0000207 0035 706f6e67")), client);
            ByteBuffer payload = ByteBuffer.allocate(65536);
            payload.put((byte) 'x');
            Destination source = udp.receive(payload);
            assertEquals(Destination.of("192.0.2.7", 53), source);
            assertEquals("xpong", new String(payload.array(), 0, payload.position(), StandardCharsets.US_ASCII),
                    "the payload lands at the buffer's position");
        }
    }

    @Test
    void dropsFragmentsAndMalformedDatagramsAndWorksFromASelector() throws Exception {
        try (FakeProxy proxy = FakeProxy.start(associates());
             Socks5UdpAssociation udp = new Socks5Client(proxy.address(), Optional.empty(), TIMEOUT).associate();
             Selector selector = Selector.open()) {
            udp.channel().configureBlocking(false);
            udp.channel().register(selector, SelectionKey.OP_READ);
            ByteBuffer payload = ByteBuffer.allocateDirect(65536);
            assertNull(udp.receive(payload), "nothing waiting");

            assertTrue(udp.send(ascii("hi"), InetAddress.getByName("2001:db8::1"), 7));
            ByteBuffer got = ByteBuffer.allocate(100);
            SocketAddress client = relay.receive(got);
            assertEquals("000000 04 20010db8000000000000000000000001 0007 6869".replace(" ", ""),
                    HexFormat.of().formatHex(got.array(), 0, got.position()));

            relay.send(ByteBuffer.wrap(FakeProxy.hex("000001 01 c0000207 0035 6672616731")), client);  // FRAG 1
            relay.send(ByteBuffer.wrap(FakeProxy.hex("000000 09 c0000207 0035 626164")), client);      // ATYP 9
            relay.send(ByteBuffer.wrap(FakeProxy.hex("0000")), client);                                 // too short
            relay.send(ByteBuffer.wrap(FakeProxy.hex("000000 03 04 686f7374 0035 6f6b")), client);      // good, from "host"
            Destination source = null;
            while (source == null) {
                assertTrue(selector.select(2000) > 0, "readable");
                selector.selectedKeys().clear();
                source = udp.receive(payload);
            }
            assertEquals(Destination.of("host", 53), source);
            assertEquals("ok", StandardCharsets.US_ASCII.decode(payload.flip()).toString());
            assertEquals(3, udp.dropped());
        }
    }

    @Test
    void theControlConnectionTellsWhenTheProxyEndsTheAssociation() throws Exception {
        int port = ((InetSocketAddress) relay.getLocalAddress()).getPort();
        try (FakeProxy proxy = FakeProxy.start(p -> p.acceptGreeting().expect("05 03 00 01").skip(6)
                .send("05 00 00 01 7f000001 %04x".formatted(port)).close())) {
            Socks5UdpAssociation udp = new Socks5Client(proxy.address(), Optional.empty(), TIMEOUT).associate();
            assertEquals(-1, udp.control().read(ByteBuffer.allocate(1)), "EOF on the control connection");
            udp.close();
            assertTrue(!udp.isOpen() && !udp.channel().isOpen() && !udp.control().isOpen());
        }
    }

    @Test
    void saysInOneLineThatTheProxyLacksUdpAssociate() throws Exception {
        try (FakeProxy proxy = FakeProxy.start(p -> p.acceptGreeting().expect("05 03 00 01").skip(6).send("05 07 00 01 00000000 0000"))) {
            OutboundException e = assertThrows(OutboundException.class,
                    () -> new Socks5Client(proxy.address(), Optional.empty(), TIMEOUT).associate());
            assertEquals("socks5 proxy " + proxy.address() + " does not support UDP ASSOCIATE", e.getMessage());
            assertEquals(Kind.UNSUPPORTED, e.kind());
        }
    }

    @Test
    void saysWhenTheProxysRulesForbidUdpAssociate() throws Exception {
        try (FakeProxy proxy = FakeProxy.start(p -> p.acceptGreeting().expect("05 03 00 01").skip(6).send("05 02 00 01 00000000 0000"))) {
            OutboundException e = assertThrows(OutboundException.class,
                    () -> new Socks5Client(proxy.address(), Optional.empty(), TIMEOUT).associate());
            assertEquals("socks5 proxy " + proxy.address() + " does not allow UDP ASSOCIATE (connection not allowed by ruleset)",
                    e.getMessage());
            assertEquals(Kind.NOT_ALLOWED, e.kind());
        }
    }

    @Test
    void relayPortZeroIsMalformed() throws Exception {
        try (FakeProxy proxy = FakeProxy.start(p -> p.acceptGreeting().expect("05 03 00 01").skip(6).send("05 00 00 01 7f000001 0000"))) {
            OutboundException e = assertThrows(OutboundException.class,
                    () -> new Socks5Client(proxy.address(), Optional.empty(), TIMEOUT).associate());
            assertEquals("socks5 proxy " + proxy.address() + ": malformed reply to the UDP ASSOCIATE request: relay port 0 (expected: 1 to 65535)",
                    e.getMessage());
        }
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }
}
