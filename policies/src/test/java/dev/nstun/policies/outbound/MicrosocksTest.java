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
 * {@link Socks5Client} through microsocks started by the test on 127.0.0.1: one instance without
 * authentication, one with {@code -u nstun -P s3cret}. microsocks has no UDP ASSOCIATE.
 */
class MicrosocksTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Credentials NSTUN = new Credentials("nstun", "s3cret");
    private static EchoServers echo;
    private static Daemon open;
    private static Daemon authenticating;
    private static HostPort openAddress;
    private static HostPort authAddress;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        echo = new EchoServers();
        openAddress = new HostPort("127.0.0.1", RealServers.freePort());
        open = RealServers.microsocks(dir, "microsocks", openAddress.port());
        authAddress = new HostPort("127.0.0.1", RealServers.freePort());
        authenticating = RealServers.microsocks(dir, "microsocks-auth", authAddress.port(), "-u", NSTUN.username(), "-P", NSTUN.password());
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
    void saysItHasNoUdpAssociate() {
        OutboundException e = assertThrows(OutboundException.class, () -> client(openAddress, Optional.empty()).associate());
        assertEquals("socks5 proxy " + openAddress + " does not support UDP ASSOCIATE", e.getMessage());
        assertEquals(Kind.UNSUPPORTED, e.kind());
    }

    @Test
    void carriesFourMiBWithUsernameAndPassword() throws Exception {
        try (SocketChannel ch = client(authAddress, Optional.of(NSTUN)).connect(Destination.of("localhost", echo.tcpPort()))) {
            assertRoundTrip(ch);
        }
    }

    @Test
    void aWrongPasswordIsRejected() {
        Optional<Credentials> wrong = Optional.of(new Credentials("nstun", "wrong"));
        OutboundException e = assertThrows(OutboundException.class,
                () -> client(authAddress, wrong).connect(Destination.of("127.0.0.1", echo.tcpPort())));
        assertEquals("socks5 proxy " + authAddress + " rejected the username/password for nstun", e.getMessage());
        assertEquals(Kind.AUTHENTICATION, e.kind());
    }

    @Test
    void noCredentialsForAProxyThatWantsThem() {
        OutboundException e = assertThrows(OutboundException.class,
                () -> client(authAddress, Optional.empty()).connect(Destination.of("127.0.0.1", echo.tcpPort())));
        assertEquals("socks5 proxy " + authAddress + " requires authentication: give the outbound a username and password", e.getMessage());
    }
}
