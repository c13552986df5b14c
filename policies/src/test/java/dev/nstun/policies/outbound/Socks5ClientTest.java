package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.Credentials;
import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.IpLiteral;
import dev.nstun.policies.outbound.OutboundException.Kind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Socks5Client} against in-process proxies that answer, fail, misbehave or stay silent: blocking,
 * and the same handshake driven on a selector as the stack's loop drives it ({@link HandshakeDriver}).
 */
class Socks5ClientTest {
    private static final Duration TIMEOUT = Duration.ofMillis(300);
    private static final Destination EXAMPLE = Destination.of("example.com", 443);
    private static final Optional<Credentials> NONE = Optional.empty();
    private static final Optional<Credentials> ALICE = Optional.of(new Credentials("alice", "secret"));
    /** CONNECT to example.com:443 by name. */
    private static final String CONNECT_EXAMPLE = "05 01 00 03 0b 6578616d706c652e636f6d 01bb";
    /** Greeting offering NO_AUTH and PASSWORD. */
    private static final String GREETING_WITH_PASSWORD = "05 02 00 02";
    /** RFC 1929 request for alice / secret. */
    private static final String PASSWORD_ALICE = "01 05 616c696365 06 736563726574";

    /** One row of the table: what the proxy does, and what the client must throw. */
    record Case(String name, Optional<Credentials> credentials, FakeProxy.Script script, Class<? extends IOException> type,
                Kind kind, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Returns a reply with code {@code rep} and BND 0.0.0.0:0. */
    private static String reply(int rep) {
        return "05 %02x 00 01 00000000 0000".formatted(rep);
    }

    /** A proxy that takes the greeting and request, then answers {@code rep}. */
    private static FakeProxy.Script replies(int rep) {
        return p -> p.acceptGreeting().expect(CONNECT_EXAMPLE).send(reply(rep));
    }

    static Stream<Case> failures() {
        return Stream.of(
                new Case("greeting answered with version 4", NONE, p -> p.expect("05 01 00").send("04 00"),
                        OutboundException.class, Kind.PROTOCOL, "socks5 proxy %s: malformed reply to the greeting: version 4 (expected: 5)"),
                new Case("closes after the greeting", NONE, p -> p.expect("05 01 00"),
                        OutboundException.class, Kind.PROTOCOL, "socks5 proxy %s closed the connection during the greeting"),
                new Case("closes after half a method selection", NONE, p -> p.expect("05 01 00").send("05"),
                        OutboundException.class, Kind.PROTOCOL, "socks5 proxy %s closed the connection during the greeting"),
                new Case("never answers the greeting", NONE, FakeProxy.Peer::hang,
                        SocketTimeoutException.class, null, "socks5 proxy %s did not answer the greeting within 300ms"),
                new Case("no acceptable method, no credentials", NONE, p -> p.expect("05 01 00").send("05 ff"),
                        OutboundException.class, Kind.AUTHENTICATION,
                        "socks5 proxy %s requires authentication: give the outbound a username and password"),
                new Case("no acceptable method, with credentials", ALICE, p -> p.expect(GREETING_WITH_PASSWORD).send("05 ff"),
                        OutboundException.class, Kind.AUTHENTICATION,
                        "socks5 proxy %s accepts neither username/password nor no authentication"),
                new Case("chooses GSSAPI, not offered", NONE, p -> p.expect("05 01 00").send("05 01"),
                        OutboundException.class, Kind.PROTOCOL,
                        "socks5 proxy %s: malformed reply to the greeting: method GSSAPI(1) was not offered (expected: 0)"),
                new Case("chooses PASSWORD without credentials offered", NONE, p -> p.expect("05 01 00").send("05 02"),
                        OutboundException.class, Kind.PROTOCOL,
                        "socks5 proxy %s: malformed reply to the greeting: method PASSWORD(2) was not offered (expected: 0)"),
                new Case("chooses an unknown method", ALICE, p -> p.expect(GREETING_WITH_PASSWORD).send("05 80"),
                        OutboundException.class, Kind.PROTOCOL,
                        "socks5 proxy %s: malformed reply to the greeting: method UNKNOWN(128) was not offered (expected: 0 or 2)"),
                new Case("rejects the password", ALICE, p -> p.expect(GREETING_WITH_PASSWORD).send("05 02").expect(PASSWORD_ALICE).send("01 01"),
                        OutboundException.class, Kind.AUTHENTICATION, "socks5 proxy %s rejected the username/password for alice"),
                new Case("password status with version 5", ALICE,
                        p -> p.expect(GREETING_WITH_PASSWORD).send("05 02").expect(PASSWORD_ALICE).send("05 00"),
                        OutboundException.class, Kind.PROTOCOL,
                        "socks5 proxy %s: malformed reply to the username/password authentication: subnegotiation version 5 (expected: 1)"),
                new Case("closes during authentication", ALICE, p -> p.expect(GREETING_WITH_PASSWORD).send("05 02").expect(PASSWORD_ALICE),
                        OutboundException.class, Kind.PROTOCOL,
                        "socks5 proxy %s closed the connection during the username/password authentication"),
                new Case("GENERAL_FAILURE", NONE, replies(0x01), OutboundException.class, Kind.PROXY_FAILURE,
                        "socks5 proxy %s failed the CONNECT request to example.com:443: general SOCKS server failure"),
                new Case("NOT_ALLOWED", NONE, replies(0x02), OutboundException.class, Kind.NOT_ALLOWED,
                        "socks5 proxy %s does not allow CONNECT to example.com:443 (connection not allowed by ruleset)"),
                new Case("NETWORK_UNREACHABLE", NONE, replies(0x03), NoRouteToHostException.class, null,
                        "Network unreachable: example.com:443 (via socks5 proxy %s)"),
                new Case("HOST_UNREACHABLE", NONE, replies(0x04), NoRouteToHostException.class, null,
                        "Host unreachable: example.com:443 (via socks5 proxy %s)"),
                new Case("CONNECTION_REFUSED", NONE, replies(0x05), ConnectException.class, null,
                        "Connection refused: example.com:443 (via socks5 proxy %s)"),
                new Case("TTL_EXPIRED", NONE, replies(0x06), SocketTimeoutException.class, null,
                        "Connect timed out: example.com:443 (via socks5 proxy %s: TTL expired)"),
                new Case("COMMAND_NOT_SUPPORTED", NONE, replies(0x07), OutboundException.class, Kind.UNSUPPORTED,
                        "socks5 proxy %s does not support CONNECT"),
                new Case("ADDRESS_TYPE_NOT_SUPPORTED", NONE, replies(0x08), OutboundException.class, Kind.UNSUPPORTED,
                        "socks5 proxy %s does not support domain-name addresses in a CONNECT request to example.com:443"),
                new Case("unassigned reply code", NONE, replies(0x42), OutboundException.class, Kind.PROXY_FAILURE,
                        "socks5 proxy %s failed the CONNECT request to example.com:443: reply code 66, which RFC 1928 does not assign"),
                new Case("refusal in a truncated reply, then close", NONE, p -> p.acceptGreeting().expect(CONNECT_EXAMPLE).send("05 05"),
                        ConnectException.class, null, "Connection refused: example.com:443 (via socks5 proxy %s)"),
                new Case("success in a truncated reply, then close", NONE, p -> p.acceptGreeting().expect(CONNECT_EXAMPLE).send("05 00 00 01 7f"),
                        OutboundException.class, Kind.PROTOCOL, "socks5 proxy %s closed the connection during the CONNECT request"),
                new Case("reply with version 4", NONE, p -> p.acceptGreeting().expect(CONNECT_EXAMPLE).send("04 5a 0000 00000000"),
                        OutboundException.class, Kind.PROTOCOL,
                        "socks5 proxy %s: malformed reply to the CONNECT request: version 4 (expected: 5)"),
                new Case("reply with address type 9", NONE, p -> p.acceptGreeting().expect(CONNECT_EXAMPLE).send("05 00 00 09 00000000 0000"),
                        OutboundException.class, Kind.PROTOCOL,
                        "socks5 proxy %s: malformed reply to the CONNECT request: address type 9 (expected: 1, 3 or 4)"),
                new Case("reply with an empty domain name", NONE, p -> p.acceptGreeting().expect(CONNECT_EXAMPLE).send("05 00 00 03 00 0000"),
                        OutboundException.class, Kind.PROTOCOL,
                        "socks5 proxy %s: malformed reply to the CONNECT request: empty domain name (expected: 1 to 255 bytes)"),
                new Case("never answers the request", NONE, p -> {
                    p.acceptGreeting().expect(CONNECT_EXAMPLE);
                    p.hang();
                }, SocketTimeoutException.class, null, "socks5 proxy %s did not answer the CONNECT request within 300ms"));
    }

    /** Every row of the table, blocking and on a selector's loop. */
    static Stream<Arguments> failuresBothWays() {
        return failures().flatMap(c -> Stream.of(HandshakeDriver.values()).map(d -> Arguments.of(d, c)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("failuresBothWays")
    void failsWithTheExceptionAndMessageOfTheTable(HandshakeDriver driver, Case c) throws Exception {
        try (FakeProxy proxy = FakeProxy.start(c.script())) {
            Socks5Client client = new Socks5Client(proxy.address(), c.credentials(), TIMEOUT);
            IOException e = assertThrows(IOException.class, () -> driver.connect(client, EXAMPLE));
            assertEquals(c.type(), e.getClass(), "exception: got " + e + ", want " + c.type().getSimpleName());
            assertEquals(c.message().formatted(proxy.address()), e.getMessage());
            if (c.kind() != null) {
                assertEquals(c.kind(), ((OutboundException) e).kind(), "kind");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(HandshakeDriver.class)
    void proxyNotListeningIsUnreachable(HandshakeDriver driver) throws Exception {
        HostPort dead = new HostPort("127.0.0.1", freePort());
        Socks5Client client = new Socks5Client(dead, NONE, TIMEOUT);
        OutboundException e = assertThrows(OutboundException.class, () -> driver.connect(client, EXAMPLE));
        assertEquals("socks5 proxy " + dead + " cannot be reached: Connection refused", e.getMessage());
        assertEquals(Kind.PROXY_UNREACHABLE, e.kind());
    }

    @Test
    void proxyThatNeverAcceptsTimesOutOnTheLoop() throws Exception {
        // A listener whose backlog is full: the kernel drops the SYN, so the connect itself never completes.
        try (ServerSocket full = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             SocketChannel first = SocketChannel.open(full.getLocalSocketAddress());
             SocketChannel second = SocketChannel.open(full.getLocalSocketAddress())) {
            HostPort proxy = new HostPort("127.0.0.1", full.getLocalPort());
            StartedConnect started = new Socks5Client(proxy, NONE, TIMEOUT).start(EXAMPLE).orElseThrow();
            IOException e = assertThrows(IOException.class, () -> HandshakeDriver.drive(started));
            assertEquals(SocketTimeoutException.class, e.getClass(), "got " + e);
            assertEquals("socks5 proxy " + proxy + " did not accept the connection within 300ms", e.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(HandshakeDriver.class)
    void connectsByNameAndLeavesTheDestinationsFirstBytesInTheChannel(HandshakeDriver driver) throws Exception {
        // The reply and the destination's banner arrive in one segment: the banner must stay for the data stream.
        try (FakeProxy proxy = FakeProxy.start(p -> {
            p.acceptGreeting().expect(CONNECT_EXAMPLE).send(reply(0) + " 5353482d322e300d0a");
            p.echo();
        })) {
            try (SocketChannel ch = driver.connect(new Socks5Client(proxy.address(), NONE, TIMEOUT), EXAMPLE)) {
                assertTrue(ch.isBlocking() && ch.isConnected(), "a connected channel in blocking mode");
                assertEquals("SSH-2.0\r\n", readText(ch, 9));
                ch.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
                assertEquals("hello", readText(ch, 5));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(HandshakeDriver.class)
    void authenticatesWithUsernameAndPassword(HandshakeDriver driver) throws Exception {
        try (FakeProxy proxy = FakeProxy.start(p -> {
            p.expect(GREETING_WITH_PASSWORD).send("05 02").expect(PASSWORD_ALICE).send("01 00").expect(CONNECT_EXAMPLE).send(reply(0));
            p.echo();
        })) {
            try (SocketChannel ch = driver.connect(new Socks5Client(proxy.address(), ALICE, TIMEOUT), EXAMPLE)) {
                ch.write(ByteBuffer.wrap(new byte[] {42}));
                assertEquals("*", readText(ch, 1));
            }
        }
    }

    @Test
    void proxyMayChooseNoAuthenticationWhenOfferedBoth() throws Exception {
        try (FakeProxy proxy = FakeProxy.start(p -> p.expect(GREETING_WITH_PASSWORD).send("05 00").expect(CONNECT_EXAMPLE).send(reply(0)))) {
            new Socks5Client(proxy.address(), ALICE, TIMEOUT).connect(EXAMPLE).close();
        }
    }

    @Test
    void connectsByIpv4AndIpv6AddressAndSendsMappedAddressesAsIpv4() throws Exception {
        String[][] table = {
            {"192.0.2.7", "05 01 00 01 c0000207 0050"},
            {"2001:db8::1", "05 01 00 04 20010db8000000000000000000000001 0050"},
            {"::ffff:192.0.2.7", "05 01 00 01 c0000207 0050"},
        };
        for (String[] row : table) {
            try (FakeProxy proxy = FakeProxy.start(p -> p.acceptGreeting().expect(row[1]).send(reply(0)))) {
                Destination d = Destination.of(IpLiteral.parse(row[0]).orElseThrow(), 80);
                new Socks5Client(proxy.address(), NONE, TIMEOUT).connect(d).close();
            }
        }
    }

    @Test
    void prefersTheNameWhenTheDestinationHasNameAndAddress() throws Exception {
        Destination both = new Destination(Optional.of("example.com"), IpLiteral.parse("192.0.2.7"), 443);
        try (FakeProxy proxy = FakeProxy.start(p -> p.acceptGreeting().expect(CONNECT_EXAMPLE).send(reply(0)))) {
            new Socks5Client(proxy.address(), NONE, TIMEOUT).connect(both).close();
        }
    }

    @ParameterizedTest
    @EnumSource(HandshakeDriver.class)
    void readsRepliesThatArriveByteByByteWithAnyBoundAddressType(HandshakeDriver driver) throws Exception {
        String[] replies = {
            "05 00 00 01 7f000001 1f90",
            "05 00 00 03 09 6c6f63616c686f7374 1f90",
            "05 00 00 04 00000000000000000000000000000001 1f90",
        };
        for (String r : replies) {
            try (FakeProxy proxy = FakeProxy.start(p -> {
                p.expect("05 01 00").trickle("05 00").expect(CONNECT_EXAMPLE).trickle(r + " 21");
                p.hang();
            })) {
                try (SocketChannel ch = driver.connect(new Socks5Client(proxy.address(), NONE, Duration.ofSeconds(5)), EXAMPLE)) {
                    assertEquals("!", readText(ch, 1), "the byte after reply " + r);
                }
            }
        }
    }

    @Test
    void decodersAskForNoMoreThanTheReplyLacks() {
        // The command reply is 10 to 262 bytes; the decoder asks for 5 first, then exactly the rest.
        ReplyDecoder<Socks5ReplyDecoders.CommandReply> d = Socks5ReplyDecoders.commandReply();
        byte[] bytes = FakeProxy.hex("05 00 00 03 09 6c6f63616c686f7374 1f90");
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, 0);
        assertEquals(ReplyDecoder.State.INIT, d.decode(in));
        assertEquals(5, d.bytesWanted());
        in.limit(5);
        assertEquals(ReplyDecoder.State.INIT, d.decode(in));
        assertEquals(bytes.length - 5, d.bytesWanted());
        in.limit(bytes.length);
        assertEquals(ReplyDecoder.State.SUCCESS, d.decode(in));
        assertEquals(Destination.of("localhost", 8080), d.message().bound().orElseThrow());
        assertEquals(bytes.length, in.position(), "consumed the whole reply");
    }

    private static String readText(SocketChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("EOF after " + b.position() + " bytes");
            }
        }
        return new String(b.array(), StandardCharsets.ISO_8859_1);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
