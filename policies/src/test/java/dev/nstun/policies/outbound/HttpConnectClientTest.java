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
 * {@link HttpConnectClient} against in-process proxies that answer, fail, misbehave or stay silent: blocking,
 * and on a selector as the stack's loop drives it ({@link HandshakeDriver}).
 */
class HttpConnectClientTest {
    private static final Duration TIMEOUT = Duration.ofMillis(300);
    private static final Destination EXAMPLE = Destination.of("example.com", 443);
    private static final Optional<Credentials> NONE = Optional.empty();
    private static final Optional<Credentials> ALICE = Optional.of(new Credentials("alice", "secret"));
    private static final String REQUEST = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
    private static final String REQUEST_ALICE =
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic YWxpY2U6c2VjcmV0\r\n\r\n";

    /** One row of the table: what the proxy answers, and what the client must throw. */
    record Case(String name, Optional<Credentials> credentials, FakeProxy.Script script, Class<? extends IOException> type,
                Kind kind, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** A proxy that reads the request, answers {@code response}, then closes. */
    private static FakeProxy.Script answers(String response) {
        return p -> p.expectText(REQUEST).sendText(response);
    }

    static Stream<Case> failures() {
        return Stream.of(
                new Case("407 without credentials", NONE,
                        answers("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\n\r\n"),
                        OutboundException.class, Kind.AUTHENTICATION,
                        "http proxy %s requires authentication (407 Proxy Authentication Required): give the outbound a username and password"),
                new Case("407 with credentials", ALICE,
                        p -> p.expectText(REQUEST_ALICE).sendText("HTTP/1.0 407 Proxy Authentication Required\r\n\r\n"),
                        OutboundException.class, Kind.AUTHENTICATION,
                        "http proxy %s rejected the username/password for alice (407 Proxy Authentication Required)"),
                new Case("401 as tinyproxy says it for wrong credentials", ALICE,
                        p -> p.expectText(REQUEST_ALICE).sendText("HTTP/1.1 401 Unauthorized\r\nServer: tinyproxy/1.11.1\r\n\r\n"),
                        OutboundException.class, Kind.AUTHENTICATION,
                        "http proxy %s rejected the username/password for alice (401 Unauthorized)"),
                new Case("407 asking for Digest only", ALICE,
                        p -> p.expectText(REQUEST_ALICE).sendText(
                                "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Digest realm=\"x\", nonce=\"1\"\r\n\r\n"),
                        OutboundException.class, Kind.AUTHENTICATION,
                        "http proxy %s asks for Digest authentication (407 Proxy Authentication Required); nstun sends Basic only"),
                new Case("403", NONE, answers("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"),
                        OutboundException.class, Kind.NOT_ALLOWED,
                        "http proxy %s does not allow CONNECT to example.com:443 (403 Forbidden)"),
                new Case("403 whose reason sets the window title and clears the screen", NONE,
                        answers("HTTP/1.1 403 \u001b]0;pwned\u0007\u001b[2J\r\n\r\n"),
                        OutboundException.class, Kind.NOT_ALLOWED,
                        "http proxy %s does not allow CONNECT to example.com:443 (403 \\x1b]0;pwned\\x07\\x1b[2J)"),
                new Case("407 with a challenge that hides in the terminal", ALICE,
                        p -> p.expectText(REQUEST_ALICE).send(
                                "HTTP/1.1 407 \u009b8m\r\nProxy-Authenticate: Ne\u202egotiate\u001b[8m x\r\n\r\n"
                                        .getBytes(StandardCharsets.UTF_8)),
                        OutboundException.class, Kind.AUTHENTICATION,
                        "http proxy %s asks for Ne\\u{202e}gotiate\\x1b[8m authentication (407 \\x9b8m); nstun sends Basic only"),
                new Case("header line with a control character", NONE, answers("HTTP/1.1 200 OK\r\nX\u001b[2J\r\n\r\n"),
                        OutboundException.class, Kind.PROTOCOL,
                        "http proxy %s: malformed reply to the CONNECT request: header line 'X\\x1b[2J' (expected: name: value)"),
                new Case("502 from a failed upstream connect", NONE, answers("HTTP/1.1 502 Bad Gateway\r\n\r\n"),
                        ConnectException.class, null, "http proxy %s could not connect to example.com:443 (502 Bad Gateway)"),
                new Case("503 as squid says it", NONE,
                        answers("HTTP/1.1 503 Service Unavailable\r\nX-Squid-Error: ERR_CONNECT_FAIL 111\r\n\r\n"),
                        ConnectException.class, null, "http proxy %s could not connect to example.com:443 (503 Service Unavailable)"),
                new Case("500 as tinyproxy says it", NONE, answers("HTTP/1.0 500 Unable to connect\r\nServer: tinyproxy/1.11.1\r\n\r\n<html>"),
                        ConnectException.class, null, "http proxy %s could not connect to example.com:443 (500 Unable to connect)"),
                new Case("504", NONE, answers("HTTP/1.1 504 Gateway Timeout\r\n\r\n"),
                        SocketTimeoutException.class, null, "http proxy %s timed out connecting to example.com:443 (504 Gateway Timeout)"),
                new Case("404", NONE, answers("HTTP/1.1 404 Not Found\r\n\r\n"),
                        OutboundException.class, Kind.PROXY_FAILURE, "http proxy %s answered CONNECT to example.com:443 with 404 Not Found"),
                new Case("not HTTP at all", NONE, answers("SSH-2.0-OpenSSH_9.2\r\n"),
                        OutboundException.class, Kind.PROTOCOL,
                        "http proxy %s: malformed reply to the CONNECT request: status line 'SSH-' (expected: HTTP/1.1 followed by a status code)"),
                new Case("status code not 3 digits", NONE, answers("HTTP/1.1 2x0 OK\r\n\r\n"),
                        OutboundException.class, Kind.PROTOCOL,
                        "http proxy %s: malformed reply to the CONNECT request: status line 'HTTP/1.1 2x0 OK'"
                                + " (expected: HTTP/1.0 or HTTP/1.1, a space, a 3-digit status code)"),
                new Case("HTTP/2 status line", NONE, answers("HTTP/2 200\r\n\r\n"),
                        OutboundException.class, Kind.PROTOCOL,
                        "http proxy %s: malformed reply to the CONNECT request: status line 'HTTP/2 200'"
                                + " (expected: HTTP/1.0 or HTTP/1.1, a space, a 3-digit status code)"),
                new Case("header line without a colon", NONE, answers("HTTP/1.1 200 OK\r\ngarbage\r\n\r\n"),
                        OutboundException.class, Kind.PROTOCOL,
                        "http proxy %s: malformed reply to the CONNECT request: header line 'garbage' (expected: name: value)"),
                new Case("head longer than 8 KiB", NONE, answers("HTTP/1.1 200 OK\r\nX-Padding: " + "a".repeat(9000) + "\r\n\r\n"),
                        OutboundException.class, Kind.PROTOCOL,
                        "http proxy %s: malformed reply to the CONNECT request: response head longer than 8192 bytes"
                                + " (expected: an empty line before that)"),
                new Case("closes in the middle of the head", NONE, answers("HTTP/1.1 200 Connection established\r\nVia: x\r\n"),
                        OutboundException.class, Kind.PROTOCOL, "http proxy %s closed the connection during the CONNECT request"),
                new Case("closes without answering", NONE, p -> p.expectText(REQUEST),
                        OutboundException.class, Kind.PROTOCOL, "http proxy %s closed the connection during the CONNECT request"),
                new Case("never answers", NONE, p -> {
                    p.expectText(REQUEST);
                    p.hang();
                }, SocketTimeoutException.class, null, "http proxy %s did not answer the CONNECT request within 300ms"));
    }

    /** Every row of the table, blocking and on a selector's loop. */
    static Stream<Arguments> failuresBothWays() {
        return failures().flatMap(c -> Stream.of(HandshakeDriver.values()).map(d -> Arguments.of(d, c)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("failuresBothWays")
    void failsWithTheExceptionAndMessageOfTheTable(HandshakeDriver driver, Case c) throws Exception {
        try (FakeProxy proxy = FakeProxy.start(c.script())) {
            HttpConnectClient client = new HttpConnectClient(proxy.address(), c.credentials(), TIMEOUT);
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
        HostPort dead = new HostPort("127.0.0.1", Socks5ClientTest.freePort());
        HttpConnectClient client = new HttpConnectClient(dead, NONE, TIMEOUT);
        OutboundException e = assertThrows(OutboundException.class, () -> driver.connect(client, EXAMPLE));
        assertEquals("http proxy " + dead + " cannot be reached: Connection refused", e.getMessage());
        assertEquals(Kind.PROXY_UNREACHABLE, e.kind());
    }

    @ParameterizedTest
    @EnumSource(HandshakeDriver.class)
    void bytesRightAfterTheHeadStayInTheChannel(HandshakeDriver driver) throws Exception {
        // tinyproxy's answer, with the destination's banner in the same segment.
        try (FakeProxy proxy = FakeProxy.start(p -> {
            p.expectText(REQUEST).sendText("HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\nSSH-2.0\r\n");
            p.echo();
        })) {
            try (SocketChannel ch = driver.connect(new HttpConnectClient(proxy.address(), NONE, TIMEOUT), EXAMPLE)) {
                assertTrue(ch.isBlocking() && ch.isConnected(), "a connected channel in blocking mode");
                assertEquals("SSH-2.0\r\n", readText(ch, 9));
                ch.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
                assertEquals("ping", readText(ch, 4));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(HandshakeDriver.class)
    void sendsBasicCredentialsAndSkipsInterimResponses(HandshakeDriver driver) throws Exception {
        try (FakeProxy proxy = FakeProxy.start(p -> {
            p.expectText(REQUEST_ALICE).sendText("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\n\r\n!");
            p.hang();
        })) {
            try (SocketChannel ch = driver.connect(new HttpConnectClient(proxy.address(), ALICE, TIMEOUT), EXAMPLE)) {
                assertEquals("!", readText(ch, 1));
            }
        }
    }

    @Test
    void writesIpv6DestinationsInBrackets() throws Exception {
        String request = "CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n";
        try (FakeProxy proxy = FakeProxy.start(p -> p.expectText(request).sendText("HTTP/1.1 200 OK\r\n\r\n"))) {
            Destination v6 = Destination.of(IpLiteral.parse("2001:db8::1").orElseThrow(), 443);
            new HttpConnectClient(proxy.address(), NONE, TIMEOUT).connect(v6).close();
        }
    }

    @ParameterizedTest
    @EnumSource(HandshakeDriver.class)
    void readsAHeadThatArrivesInPieces(HandshakeDriver driver) throws Exception {
        String head = "HTTP/1.1 200 Connection established\r\n\r\n";
        try (FakeProxy proxy = FakeProxy.start(p -> {
            p.expectText(REQUEST);
            for (char c : (head + "!").toCharArray()) {
                p.sendText(String.valueOf(c));
                Thread.sleep(1);
            }
            p.hang();
        })) {
            try (SocketChannel ch = driver.connect(new HttpConnectClient(proxy.address(), NONE, Duration.ofSeconds(5)), EXAMPLE)) {
                assertEquals("!", readText(ch, 1));
            }
        }
    }

    @Test
    void decoderAsksOnlyForWhatTheEndOfTheHeadCanStillNeed() {
        HttpResponseDecoder d = new HttpResponseDecoder();
        byte[] bytes = "HTTP/1.1 200 OK\r\n\r\nDATA".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, 0);
        int[][] steps = {{0, 4}, {15, 4}, {16, 3}, {17, 2}, {18, 1}};
        for (int[] step : steps) {
            in.limit(step[0]);
            assertEquals(ReplyDecoder.State.INIT, d.decode(in));
            assertEquals(step[1], d.bytesWanted(), "bytes wanted after " + step[0]);
        }
        in.limit(19);
        assertEquals(ReplyDecoder.State.SUCCESS, d.decode(in));
        assertEquals(200, d.message().status());
        assertEquals(19, in.position(), "the head is consumed, DATA is not");
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
}
