package dev.nstun.policies.outbound;

import static dev.nstun.policies.outbound.RealServers.assertRoundTrip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.Credentials;
import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.outbound.OutboundException.Kind;
import dev.nstun.policies.outbound.RealServers.Daemon;
import dev.nstun.policies.outbound.RealServers.EchoServers;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Socks5Client} and {@link Socks5UdpAssociation} through dante-server started by the test
 * on 127.0.0.1: one instance without authentication that allows CONNECT and UDP ASSOCIATE, and
 * one whose {@code socksmethod} is {@code username}. That method checks the system's users, so
 * only wrong credentials are tried against it (no user is created); successful authentication is
 * covered with microsocks.
 */
class DanteTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static EchoServers echo;
    private static Daemon open;
    private static Daemon authenticating;
    private static HostPort openAddress;
    private static HostPort authAddress;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        echo = new EchoServers();
        openAddress = new HostPort("127.0.0.1", RealServers.freePort());
        open = RealServers.dante(dir, "danted", openAddress.port(), "none", "connect udpassociate");
        authAddress = new HostPort("127.0.0.1", RealServers.freePort());
        authenticating = RealServers.dante(dir, "danted-auth", authAddress.port(), "username", "connect");
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {open, authenticating, echo}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static Socks5Client client(HostPort proxy, Optional<Credentials> credentials) {
        return new Socks5Client(proxy, credentials, TIMEOUT);
    }

    @Test
    void carriesFourMiBToAnAddress() throws Exception {
        try (SocketChannel ch = client(openAddress, Optional.empty()).connect(Destination.of("127.0.0.1", echo.tcpPort()))) {
            assertRoundTrip(ch);
        }
    }

    @Test
    void carriesFourMiBToANameTheProxyResolves() throws Exception {
        try (SocketChannel ch = client(openAddress, Optional.empty()).connect(Destination.of("localhost", echo.tcpPort()))) {
            assertRoundTrip(ch);
        }
    }

    @Test
    void aRefusedDestinationIsConnectionRefused() throws Exception {
        Destination closed = Destination.of("127.0.0.1", RealServers.freePort());
        ConnectException e = assertThrows(ConnectException.class, () -> client(openAddress, Optional.empty()).connect(closed));
        assertEquals(ConnectException.class, e.getClass());
        assertEquals("Connection refused: " + closed + " (via socks5 proxy " + openAddress + ")", e.getMessage());
    }

    @Test
    void echoesDatagramsThroughUdpAssociateByAddressAndByName() throws Exception {
        Destination echoAddress = Destination.of("127.0.0.1", echo.udpPort());
        try (Socks5UdpAssociation udp = client(openAddress, Optional.empty()).associate(); Selector selector = Selector.open()) {
            udp.channel().configureBlocking(false);
            udp.channel().register(selector, SelectionKey.OP_READ);
            Random random = new Random(7);
            for (Destination to : new Destination[] {echoAddress, Destination.of("localhost", echo.udpPort())}) {
                for (int size : new int[] {1, 1200, 8000}) {
                    byte[] payload = new byte[size];
                    random.nextBytes(payload);
                    assertTrue(udp.send(ByteBuffer.wrap(payload), to), "sent");
                    ByteBuffer back = ByteBuffer.allocate(65536);
                    Destination from = receive(udp, selector, back);
                    assertEquals(echoAddress, from, "source of the echo to " + to);
                    assertTrue(Arrays.equals(payload, Arrays.copyOf(back.array(), back.position())), size + " bytes echoed from " + to);
                }
            }
            assertEquals(0, udp.dropped());
        }
    }

    private static Destination receive(Socks5UdpAssociation udp, Selector selector, ByteBuffer into) throws IOException {
        long end = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < end) {
            Destination from = udp.receive(into);
            if (from != null) {
                return from;
            }
            selector.select(100);
            selector.selectedKeys().clear();
        }
        throw new AssertionError("no datagram back through " + udp + " within " + TIMEOUT);
    }

    @Test
    void aWrongUsernameOrPasswordIsRejected() {
        Optional<Credentials> wrong = Optional.of(new Credentials("nstun-no-such-user", "wrong"));
        OutboundException e = assertThrows(OutboundException.class,
                () -> client(authAddress, wrong).connect(Destination.of("127.0.0.1", echo.tcpPort())));
        assertEquals("socks5 proxy " + authAddress + " rejected the username/password for nstun-no-such-user", e.getMessage());
        assertEquals(Kind.AUTHENTICATION, e.kind());
    }

    @Test
    void noCredentialsForAProxyThatWantsThem() {
        OutboundException e = assertThrows(OutboundException.class,
                () -> client(authAddress, Optional.empty()).connect(Destination.of("127.0.0.1", echo.tcpPort())));
        assertEquals("socks5 proxy " + authAddress + " requires authentication: give the outbound a username and password", e.getMessage());
    }
}
