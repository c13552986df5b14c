package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.Location;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.OutboundException.Kind;
import dev.nstun.policies.outbound.RealServers.Daemon;
import dev.nstun.policies.outbound.UdpSupport.State;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Connectors#associate} and {@link UdpSupport}: which refusals mark a socks5 outbound as
 * lacking UDP ASSOCIATE, and that a marked outbound is not asked again. Against microsocks (no UDP
 * ASSOCIATE), dante with and without udpassociate in its rules, and in-process proxies.
 */
class UdpSupportTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Location HERE = Location.nowhere("(test)");

    private static Outbound.Socks5 corp(HostPort server) {
        return new Outbound.Socks5("corp", server, Optional.empty(), true, TIMEOUT, HERE);
    }

    @Test
    void microsocksLacksUdpAssociateAndIsNotAskedAgain(@TempDir Path dir) throws Exception {
        HostPort server = new HostPort("127.0.0.1", RealServers.freePort());
        Connectors connectors = new Connectors();
        String message = "socks5 outbound corp (" + server + ") does not support UDP ASSOCIATE (it answered \"command not supported\")";
        try (Daemon microsocks = RealServers.microsocks(dir, "microsocks", server.port())) {
            OutboundException e = assertThrows(OutboundException.class, () -> connectors.associate(corp(server), TIMEOUT));
            assertEquals(message, e.getMessage());
            assertEquals(Kind.UNSUPPORTED, e.kind());
        }
        assertEquals(new UdpSupport.Status(State.UNSUPPORTED, "it answered \"command not supported\""),
                connectors.udpSupport().status("corp"));
        // microsocks is gone: an attempt that contacted it would fail with PROXY_UNREACHABLE.
        long start = System.nanoTime();
        OutboundException again = assertThrows(OutboundException.class, () -> connectors.associate(corp(server), TIMEOUT));
        assertEquals(message, again.getMessage());
        assertEquals(Kind.UNSUPPORTED, again.kind());
        assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(50), "at once");
    }

    @Test
    void danteWithoutUdpAssociateInItsRulesRefusesIt(@TempDir Path dir) throws Exception {
        HostPort server = new HostPort("127.0.0.1", RealServers.freePort());
        Connectors connectors = new Connectors();
        try (Daemon dante = RealServers.dante(dir, "danted", server.port(), "none", "connect")) {
            OutboundException e = assertThrows(OutboundException.class, () -> connectors.associate(corp(server), TIMEOUT));
            assertEquals(Kind.UNSUPPORTED, e.kind());
            assertEquals("socks5 outbound corp (" + server + ") does not support UDP ASSOCIATE (it answered \"connection not allowed"
                    + " by ruleset\")", e.getMessage());
        }
        assertEquals(State.UNSUPPORTED, connectors.udpSupport().status("corp").state());
    }

    @Test
    void danteWithUdpAssociateOpensAnAssociation(@TempDir Path dir) throws Exception {
        HostPort server = new HostPort("127.0.0.1", RealServers.freePort());
        Connectors connectors = new Connectors();
        try (Daemon dante = RealServers.dante(dir, "danted", server.port(), "none", "connect udpassociate");
             Socks5UdpAssociation udp = connectors.associate(corp(server), TIMEOUT)) {
            assertTrue(udp.isOpen());
            assertEquals(new UdpSupport.Status(State.SUPPORTED, ""), connectors.udpSupport().status("corp"));
        }
    }

    @Test
    void aProxyThatClosesTheConnectionWhenAskedLacksIt() throws Exception {
        Connectors connectors = new Connectors();
        try (FakeProxy proxy = FakeProxy.start(p -> p.acceptGreeting().expect("05 03 00 01").skip(6).close())) {
            OutboundException e = assertThrows(OutboundException.class, () -> connectors.associate(corp(proxy.address()), TIMEOUT));
            assertEquals("socks5 outbound corp (" + proxy.address() + ") does not support UDP ASSOCIATE (it closed the connection"
                    + " when asked)", e.getMessage());
        }
        assertEquals(State.UNSUPPORTED, connectors.udpSupport().status("corp").state());
    }

    @Test
    void failuresThatSayNothingAboutUdpLeaveItUnknown() throws Exception {
        Connectors connectors = new Connectors();
        HostPort dead = new HostPort("127.0.0.1", RealServers.freePort());
        OutboundException down = assertThrows(OutboundException.class, () -> connectors.associate(corp(dead), TIMEOUT));
        assertEquals(Kind.PROXY_UNREACHABLE, down.kind());
        try (FakeProxy proxy = FakeProxy.start(p -> p.acceptGreeting().expect("05 03 00 01").skip(6).send("05 01 00 01 00000000 0000"));
             FakeProxy closesEarly = FakeProxy.start(p -> p.close())) {
            OutboundException failed = assertThrows(OutboundException.class, () -> connectors.associate(corp(proxy.address()), TIMEOUT));
            assertEquals(Kind.PROXY_FAILURE, failed.kind());
            OutboundException greeting = assertThrows(OutboundException.class,
                    () -> connectors.associate(corp(closesEarly.address()), TIMEOUT));
            assertEquals(Kind.PROTOCOL, greeting.kind(), "closed during the greeting, before UDP ASSOCIATE was asked");
        }
        assertEquals(UdpSupport.Status.UNKNOWN, connectors.udpSupport().status("corp"));
    }

    @Test
    void anOutboundWithoutUdpIsRefusedWithoutAsking() {
        Outbound.Socks5 tcpOnly = new Outbound.Socks5("corp", new HostPort("192.0.2.1", 1080), Optional.empty(), false, TIMEOUT, HERE);
        OutboundException e = assertThrows(OutboundException.class, () -> new Connectors().associate(tcpOnly, TIMEOUT));
        assertEquals("socks5 outbound corp carries TCP only: set udp: true for UDP flows (if the proxy supports UDP ASSOCIATE)",
                e.getMessage());
        assertEquals(Kind.UNSUPPORTED, e.kind());
    }

    @Test
    void onlyTheFirstRefusalCountsAndIsLogged() {
        UdpSupport support = new UdpSupport();
        Outbound.Socks5 corp = corp(new HostPort("192.0.2.1", 1080));
        support.supported(corp);
        assertTrue(support.unsupported(corp, "it answered \"command not supported\""), "first");
        assertFalse(support.unsupported(corp, "it closed the connection when asked"), "second");
        support.supported(corp);
        assertEquals(new UdpSupport.Status(State.UNSUPPORTED, "it answered \"command not supported\""), support.status("corp"));
    }
}
