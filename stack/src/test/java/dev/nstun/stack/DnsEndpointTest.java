package dev.nstun.stack;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.dns.DnsResolver;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowId;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DnsEndpoint}'s DNS-over-TCP server: made by the first TCP connection to the resolver, gone with the endpoint. */
class DnsEndpointTest {
    @Test
    void theTcpServerStartsAtTheFirstTcpConnectionToTheResolverAndGoesWithTheEndpoint(@TempDir Path dir) throws Exception {
        Inet4Address resolver = (Inet4Address) InetAddress.getByName("198.18.0.2");
        Path sockets = dir.resolve("run.d");
        DnsEndpoint.Config config = new DnsEndpoint.Config(resolver, (Inet6Address) InetAddress.getByName("fd4e:5354:554e::2"),
                new DnsResolver(DnsResolver.Mode.FORWARD, null, 1), query -> {
                    throw new IOException("no upstream here");
                }, sockets);
        FlowId toResolver = new FlowId(FlowId.Protocol.TCP, InetAddress.getByName("198.18.0.1"), 40000, resolver, 53);
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            DnsEndpoint dns = new DnsEndpoint(config, executor, Runnable::run, null, new StackCounters());
            Dialer dialer = dns.wrap(new NetStackTest.RefusingDialer());
            assertFalse(Files.exists(sockets), "a socket directory before any TCP connection to the resolver");
            try (SocketChannel first = dialer.connectTcp(toResolver); SocketChannel second = dialer.connectTcp(toResolver)) {
                assertTrue(first.isConnected() && second.isConnected(), "both connections reach the one server");
                assertTrue(Files.exists(sockets.resolve("dns.sock")), "the server's socket");
            }
            dns.close();
            assertFalse(Files.exists(sockets), "the socket and its directory outlive the endpoint");
            assertThrows(IOException.class, () -> dialer.connectTcp(toResolver), "a connection after the close");
        }
    }
}
