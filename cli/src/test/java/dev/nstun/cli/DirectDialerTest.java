package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowRefusedException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Where {@link DirectDialer} sends a flow, decided before any socket is opened. */
class DirectDialerTest {

    /** Whatever reached the dialer, the host's own loopback and unspecified addresses are never dialed. */
    @ParameterizedTest(name = "{0}, --host-loopback {1}")
    @CsvSource({"127.0.0.1, false", "127.0.0.1, true", "127.3.2.1, true", "0.0.0.0, true", "::1, true", "::, true",
            "::ffff:127.0.0.1, true", "224.0.0.251, true", "255.255.255.255, true", "ff02::fb, true", "fe80::1, true"})
    void hostOnlyAddressIsRefused(String destination, boolean hostLoopback) throws UnknownHostException {
        FlowRefusedException e = assertThrows(FlowRefusedException.class, () -> dialer(hostLoopback).target(flow(destination, 8080)));
        String host = InetAddress.getByName(destination).getHostAddress();
        assertTrue(e.getMessage().startsWith(host + " (") && e.getMessage().contains(") is never dialed for the command"), e.getMessage());
        boolean loopbackHint = e.getMessage().contains("--host-loopback reaches the host's loopback at 198.18.0.2");
        assertEquals(destination.contains("127.") || destination.equals("::1") || destination.equals("0.0.0.0") || destination.equals("::"),
                loopbackHint, e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"198.18.0.2, 127.0.0.1", "fd4e:5354:554e::2, ::1"})
    void hostLoopbackMapsTheResolverAddress(String destination, String loopback) throws Exception {
        assertEquals(new InetSocketAddress(InetAddress.getByName(loopback), 8080), dialer(true).target(flow(destination, 8080)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"192.0.2.7", "2001:db8::7", "169.254.169.254"})
    void ordinaryAddressIsDialedAsItIs(String destination) throws Exception {
        assertEquals(new InetSocketAddress(InetAddress.getByName(destination), 443), dialer(false).target(flow(destination, 443)));
    }

    private static DirectDialer dialer(boolean hostLoopback) throws UnknownHostException {
        return new DirectDialer(NstunAddresses.RESOLVER_IPV4, NstunAddresses.RESOLVER_IPV6, hostLoopback);
    }

    private static FlowId flow(String destination, int port) throws UnknownHostException {
        return new FlowId(FlowId.Protocol.TCP, InetAddress.getByName("198.18.0.1"), 40000, InetAddress.getByName(destination), port);
    }
}
