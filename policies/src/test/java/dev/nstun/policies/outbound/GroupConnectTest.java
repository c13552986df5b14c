package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.Location;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Outbound.Group.Strategy;
import dev.nstun.policies.outbound.OutboundException.Kind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link Connectors} with groups, against fake SOCKS5 proxies on loopback: which member carries a
 * flow, which failures move on to the next member, and what the command gets when none connects.
 */
class GroupConnectTest {
    private static final Location HERE = Location.nowhere("(test)");
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** CONNECT to 127.0.0.1:7 as the client sends it. */
    private static final String CONNECT_LOOPBACK_7 = "05 01 00 01 7f000001 0007";
    private static final String SUCCEEDED = "05 00 00 01 7f000001 0000";
    private static final String CONNECTION_REFUSED = "05 05 00 01 00000000 0000";
    private static final Destination DESTINATION = Destination.of("127.0.0.1", 7);

    private final Connectors connectors = new Connectors(Duration.ofMillis(200), SocketTuner.NONE, new MemberHealth(new Random(1)));

    private static Outbound.Socks5 socks5(String name, HostPort server, Duration timeout) {
        return new Outbound.Socks5(name, server, Optional.empty(), false, timeout, HERE);
    }

    private static Outbound.Group group(Strategy strategy, Duration timeout, Outbound... members) {
        return new Outbound.Group("g", strategy, List.of(members), timeout, HERE);
    }

    /** Returns a loopback address where nothing listens: connecting is refused at once. */
    private static HostPort closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return new HostPort("127.0.0.1", s.getLocalPort());
        }
    }

    /** A proxy that connects every client and then echoes, counting clients in {@code clients}. */
    private static FakeProxy working(AtomicInteger clients) throws IOException {
        return FakeProxy.start(p -> {
            clients.incrementAndGet();
            p.acceptGreeting().expect(CONNECT_LOOPBACK_7).send(SUCCEEDED).echo();
        });
    }

    private static void assertEchoes(SocketChannel ch) throws IOException {
        byte[] sent = {1, 2, 3};
        ch.write(ByteBuffer.wrap(sent));
        ByteBuffer got = ByteBuffer.allocate(3);
        while (got.hasRemaining() && ch.read(got) >= 0) {
            // until the echo is in
        }
        assertArrayEquals(sent, got.array());
    }

    @Test
    void aRefusingFirstMemberIsPassedOverAndBackedOff() throws Exception {
        AtomicInteger clients = new AtomicInteger();
        try (FakeProxy second = working(clients)) {
            Outbound down = socks5("down", closedPort(), TIMEOUT);
            Outbound up = socks5("up", second.address(), TIMEOUT);
            Outbound.Group g = group(Strategy.FALLBACK, TIMEOUT, down, up);
            try (SocketChannel ch = connectors.connect(g, DESTINATION)) {
                assertEchoes(ch);
            }
            assertEquals(1, connectors.memberHealth().state("down").failures());
            assertEquals(List.of(up, down), connectors.memberHealth().order(g), "the failed member goes last while backed off");
            try (SocketChannel ch = connectors.connect(g, DESTINATION)) {
                assertEchoes(ch);
            }
            assertEquals(2, clients.get());
            assertEquals(MemberHealth.State.HEALTHY, connectors.memberHealth().state("up"));
        }
    }

    @Test
    void aMemberThatDoesNotAnswerInItsTimeIsPassedOver() throws Exception {
        AtomicInteger clients = new AtomicInteger();
        try (FakeProxy silent = FakeProxy.start(p -> p.hang()); FakeProxy second = working(clients)) {
            Outbound.Group g = group(Strategy.FALLBACK, TIMEOUT, socks5("silent", silent.address(), Duration.ofMillis(300)),
                    socks5("up", second.address(), TIMEOUT));
            try (SocketChannel ch = connectors.connect(g, DESTINATION)) {
                assertEchoes(ch);
            }
            assertEquals(1, connectors.memberHealth().state("silent").failures());
            assertEquals(1, clients.get());
        }
    }

    @Test
    void whatTheDestinationAnswersThroughAMemberIsTheFlowsAnswer() throws Exception {
        AtomicInteger clients = new AtomicInteger();
        try (FakeProxy refusing = FakeProxy.start(p -> p.acceptGreeting().expect(CONNECT_LOOPBACK_7).send(CONNECTION_REFUSED));
             FakeProxy second = working(clients)) {
            Outbound.Group g = group(Strategy.FALLBACK, TIMEOUT, socks5("first", refusing.address(), TIMEOUT),
                    socks5("second", second.address(), TIMEOUT));
            ConnectException e = assertThrows(ConnectException.class, () -> connectors.connect(g, DESTINATION));
            assertEquals(ConnectException.class, e.getClass(), "the destination refused, not the proxy: " + e);
            assertEquals(0, clients.get(), "no other member is asked");
            assertEquals(MemberHealth.State.HEALTHY, connectors.memberHealth().state("first"));
        }
    }

    @Test
    void whenNoMemberConnectsOneErrorNamesEach() throws Exception {
        Outbound.Group g = group(Strategy.FALLBACK, TIMEOUT, socks5("a", closedPort(), TIMEOUT), socks5("b", closedPort(), TIMEOUT));
        OutboundException e = assertThrows(OutboundException.class, () -> connectors.connect(g, DESTINATION));
        assertEquals(Kind.PROXY_UNREACHABLE, e.kind());
        assertTrue(e.getMessage().startsWith("fallback outbound g: no member connected to 127.0.0.1:7 within 5s (a: socks5 proxy "),
                e.getMessage());
        assertTrue(e.getMessage().contains("; b: socks5 proxy "), e.getMessage());
    }

    @Test
    void theGroupsTimeoutBoundsEveryMember() throws Exception {
        try (FakeProxy silent = FakeProxy.start(p -> p.hang()); FakeProxy alsoSilent = FakeProxy.start(p -> p.hang())) {
            // Each member would wait 5s; the group's 300ms leaves none for the second.
            Outbound.Group g = group(Strategy.FALLBACK, Duration.ofMillis(300), socks5("a", silent.address(), TIMEOUT),
                    socks5("b", alsoSilent.address(), TIMEOUT));
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> connectors.connect(g, DESTINATION));
            assertTrue(e.getMessage().startsWith("Connect timed out: fallback outbound g: no member connected to 127.0.0.1:7 within 300ms"),
                    e.getMessage());
            assertEquals(MemberHealth.State.HEALTHY, connectors.memberHealth().state("b"), "b was never tried");
        }
    }

    @Test
    void roundRobinSpreadsFlowsOverItsMembers() throws Exception {
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        try (FakeProxy one = working(first); FakeProxy two = working(second)) {
            Outbound.Group g = group(Strategy.ROUND_ROBIN, TIMEOUT, socks5("one", one.address(), TIMEOUT),
                    socks5("two", two.address(), TIMEOUT));
            for (int i = 0; i < 6; i++) {
                connectors.connect(g, DESTINATION).close();
            }
            assertEquals(3, first.get());
            assertEquals(3, second.get());
        }
    }

    @Test
    void udpGoesThroughTheFirstMemberThatCarriesIt() throws Exception {
        Outbound http = new Outbound.Http("web", new HostPort("127.0.0.1", 3128), Optional.empty(), TIMEOUT, HERE);
        Outbound direct = new Outbound.Direct("lan", Optional.empty(), OptionalLong.empty(), Optional.empty(), TIMEOUT, HERE);
        Outbound.Group g = group(Strategy.ROUND_ROBIN, TIMEOUT, http, direct);
        try (UdpRelay relay = connectors.openUdp(g, Destination.of("127.0.0.1", 53), a -> true)) {
            assertEquals(new InetSocketAddress("127.0.0.1", 53), relay.channel().getRemoteAddress());
        }
        Outbound.Group tcpOnly = group(Strategy.FALLBACK, TIMEOUT, http);
        OutboundException e = assertThrows(OutboundException.class,
                () -> connectors.openUdp(tcpOnly, Destination.of("127.0.0.1", 53), a -> true));
        assertEquals(Kind.UNSUPPORTED, e.kind());
        assertTrue(e.getMessage().startsWith("none of the members of fallback outbound g (web) carries UDP"), e.getMessage());
    }
}
