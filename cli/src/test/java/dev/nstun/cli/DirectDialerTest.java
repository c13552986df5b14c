package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.flow.DialFailure;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.flow.PendingConnect;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Where {@link DirectDialer} sends a flow, decided before any socket is opened; and its connect on the stack's loop. */
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

    @Test
    void startsTheConnectWithoutBlockingAndClassifiesItsFailure() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             Selector selector = Selector.open()) {
            int open = ((InetSocketAddress) server.getLocalAddress()).getPort();
            PendingConnect pending = dialer(true).startTcp(flow("198.18.0.2", open)).orElseThrow();
            try (SocketChannel ch = pending.channel()) {
                assertFalse(ch.isBlocking(), "non-blocking");
                ch.register(selector, SelectionKey.OP_CONNECT);
                assertTrue(ch.isConnected() || selector.select(5000) == 1, "connectable");
                assertTrue(ch.finishConnect(), "connected to the host's loopback");
            }
            int closed;
            try (ServerSocketChannel gone = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                closed = ((InetSocketAddress) gone.getLocalAddress()).getPort();
            }
            PendingConnect refused = dialer(true).startTcp(flow("198.18.0.2", closed)).orElseThrow();
            try (SocketChannel ch = refused.channel()) {
                ch.register(selector, SelectionKey.OP_CONNECT);
                assertTrue(selector.select(5000) >= 1, "the refusal arrives");
                IOException e = assertThrows(IOException.class, ch::finishConnect);
                assertEquals(DialFailure.REFUSED, refused.failure().apply(e).failure(), "what the command is told");
            }
        }
    }

    /** A dual-stack socket (the JDK's default) is listed in /proc/net/tcp6, with a v4-mapped address. */
    @Test
    void anIpv4DestinationGetsAnIpv4Socket() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            try (SocketChannel started = dialer(true).startTcp(flow("198.18.0.2", port)).orElseThrow().channel();
                 SocketChannel blocking = dialer(true).connectTcp(flow("198.18.0.2", port));
                 Selector selector = Selector.open()) {
                started.register(selector, SelectionKey.OP_CONNECT);
                assertTrue(started.isConnected() || selector.select(5000) == 1 && started.finishConnect(), "connected");
                for (SocketChannel ch : List.of(started, blocking)) {
                    String local = String.format(":%04X ", ((InetSocketAddress) ch.getLocalAddress()).getPort());
                    assertFalse(Files.readString(Path.of("/proc/net/tcp6")).contains(local), "in /proc/net/tcp6: local port" + local);
                }
            }
        }
    }

    @Test
    void aFlowThatCarriesANameIsDialedOnAThread() throws Exception {
        assertTrue(dialer(false).startTcp(flow("192.0.2.7", 443).withDestinationName("example.org")).isEmpty());
    }

    private static DirectDialer dialer(boolean hostLoopback) throws UnknownHostException {
        return new DirectDialer(NstunAddresses.RESOLVER_IPV4, NstunAddresses.RESOLVER_IPV6, hostLoopback);
    }

    private static FlowId flow(String destination, int port) throws UnknownHostException {
        return new FlowId(FlowId.Protocol.TCP, InetAddress.getByName("198.18.0.1"), 40000, InetAddress.getByName(destination), port);
    }
}
