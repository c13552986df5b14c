package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.cli.it.Requirements;
import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.Location;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.policies.outbound.Destination;
import dev.nstun.stack.flow.UdpUpstream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RelayUpstream} over a socks5 outbound's relay as the stack drives it (non-blocking, from a selector) through dante's
 * UDP ASSOCIATE on 127.0.0.1 to a UDP echo server on 127.0.0.1. The SOCKS5 details are tested in
 * the policies module (Socks5UdpFlowTest); this checks the adapter keeps the stack's contract.
 */
class RelayUpstreamTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static Process dante;
    private static DatagramChannel echo;
    private static Outbound.Socks5 outbound;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        Requirements.requireCommand("danted");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        Path conf = Files.writeString(dir.resolve("danted.conf"), """
                logoutput: stderr
                internal: 127.0.0.1 port = %d
                external: 127.0.0.1
                clientmethod: none
                socksmethod: none
                %s
                client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
                socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: udpassociate }
                socks pass { from: 0.0.0.0/0 to: 127.0.0.0/8 command: udpreply }
                """.formatted(port, root ? "user.privileged: root\nuser.unprivileged: nobody" : ""));
        dante = new ProcessBuilder("danted", "-f", conf.toString(), "-p", dir.resolve("danted.pid").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("danted.log").toFile()).start();
        waitForListening(port);
        outbound = new Outbound.Socks5("corp", new HostPort("127.0.0.1", port), Optional.empty(), true, TIMEOUT,
                Location.nowhere("(test)"));
        echo = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofVirtual().start(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(65536);
            try {
                while (true) {
                    SocketAddress from = echo.receive(buffer.clear());
                    echo.send(buffer.flip(), from);
                }
            } catch (IOException e) {
                // Closed by the test.
            }
        });
    }

    private static void waitForListening(int port) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end && dante.isAlive()) {
            try (Socket probe = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(20);
            }
        }
        throw new AssertionError("danted did not listen on 127.0.0.1:" + port);
    }

    @AfterAll
    static void stop() throws Exception {
        if (echo != null) echo.close();
        if (dante != null) {
            dante.descendants().forEach(ProcessHandle::destroy);
            dante.destroy();
            dante.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void carriesDatagramsBothWaysFromASelector() throws Exception {
        int echoPort = ((InetSocketAddress) echo.getLocalAddress()).getPort();
        for (Destination to : new Destination[] {Destination.of("127.0.0.1", echoPort), Destination.of("localhost", echoPort)}) {
            try (UdpUpstream upstream = new RelayUpstream(new Connectors().openUdp(outbound, to, address -> true));
                 Selector selector = Selector.open()) {
                assertFalse(upstream.channel().isBlocking());
                upstream.channel().register(selector, SelectionKey.OP_READ);
                ByteBuffer dst = ByteBuffer.allocate(65536).position(10);
                assertEquals(-1, upstream.receive(dst), "nothing waits");
                byte[] payload = new byte[1200];
                Arrays.fill(payload, (byte) 7);
                assertTrue(upstream.send(ByteBuffer.wrap(payload)));
                int n = -1;
                long end = System.nanoTime() + TIMEOUT.toNanos();
                while (n < 0 && System.nanoTime() < end) {
                    selector.select(100);
                    selector.selectedKeys().clear();
                    n = upstream.receive(dst);
                }
                assertEquals(payload.length, n, "echo to " + to);
                assertEquals(10, dst.position(), "the payload lies at [position, position + length)");
                assertArrayEquals(payload, Arrays.copyOfRange(dst.array(), 10, 10 + n));
            }
        }
    }
}
