package dev.nstun.policies.outbound;

import static dev.nstun.policies.outbound.RealServers.assertRoundTrip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nstun.policies.config.Credentials;
import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.outbound.OutboundException.Kind;
import dev.nstun.policies.outbound.RealServers.Daemon;
import dev.nstun.policies.outbound.RealServers.EchoServers;
import java.net.ConnectException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HttpConnectClient} through tinyproxy started by the test on 127.0.0.1: one instance
 * without authentication, one with {@code BasicAuth}. Both allow CONNECT to the echo port and to
 * one closed port only ({@code ConnectPort}).
 */
class TinyproxyTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Credentials NSTUN = new Credentials("nstun", "s3cret");
    private static EchoServers echo;
    private static int closedPort;
    private static Daemon open;
    private static Daemon authenticating;
    private static HostPort openAddress;
    private static HostPort authAddress;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        echo = new EchoServers();
        closedPort = RealServers.freePort();
        openAddress = new HostPort("127.0.0.1", RealServers.freePort());
        open = RealServers.tinyproxy(dir, "tinyproxy", openAddress.port(), "", echo.tcpPort(), closedPort);
        authAddress = new HostPort("127.0.0.1", RealServers.freePort());
        authenticating = RealServers.tinyproxy(dir, "tinyproxy-auth", authAddress.port(), "BasicAuth " + NSTUN.username() + " "
                + NSTUN.password(), echo.tcpPort(), closedPort);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {open, authenticating, echo}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static HttpConnectClient client(HostPort proxy, Optional<Credentials> credentials) {
        return new HttpConnectClient(proxy, credentials, TIMEOUT);
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
    void aRefusedDestinationIsAConnectException() {
        Destination closed = Destination.of("127.0.0.1", closedPort);
        ConnectException e = assertThrows(ConnectException.class, () -> client(openAddress, Optional.empty()).connect(closed));
        assertEquals(ConnectException.class, e.getClass());
        assertEquals("http proxy " + openAddress + " could not connect to " + closed + " (500 Unable to connect)", e.getMessage());
    }

    @Test
    void aPortOutsideConnectPortIsNotAllowed() throws Exception {
        Destination other = Destination.of("127.0.0.1", echo.udpPort());
        OutboundException e = assertThrows(OutboundException.class, () -> client(openAddress, Optional.empty()).connect(other));
        assertEquals("http proxy " + openAddress + " does not allow CONNECT to " + other + " (403 Access violation)", e.getMessage());
        assertEquals(Kind.NOT_ALLOWED, e.kind());
    }

    @Test
    void carriesFourMiBWithBasicAuthentication() throws Exception {
        try (SocketChannel ch = client(authAddress, Optional.of(NSTUN)).connect(Destination.of("localhost", echo.tcpPort()))) {
            assertRoundTrip(ch);
        }
    }

    @Test
    void aWrongPasswordIsRejected() {
        Optional<Credentials> wrong = Optional.of(new Credentials("nstun", "wrong"));
        OutboundException e = assertThrows(OutboundException.class,
                () -> client(authAddress, wrong).connect(Destination.of("127.0.0.1", echo.tcpPort())));
        // tinyproxy says 401, not 407, when the credentials are wrong.
        assertEquals("http proxy " + authAddress + " rejected the username/password for nstun (401 Unauthorized)", e.getMessage());
        assertEquals(Kind.AUTHENTICATION, e.kind());
    }

    @Test
    void noCredentialsForAProxyThatWantsThem() {
        OutboundException e = assertThrows(OutboundException.class,
                () -> client(authAddress, Optional.empty()).connect(Destination.of("127.0.0.1", echo.tcpPort())));
        assertEquals("http proxy " + authAddress + " requires authentication (407 Proxy Authentication Required):"
                + " give the outbound a username and password", e.getMessage());
    }
}
