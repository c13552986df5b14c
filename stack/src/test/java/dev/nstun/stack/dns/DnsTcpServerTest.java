package dev.nstun.stack.dns;

import static dev.nstun.stack.dns.DnsTestMessages.hex;
import static dev.nstun.stack.dns.DnsTestMessages.query;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.dns.DnsResolver.Mode;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** DNS over TCP on a real UNIX socket, with a stand-in upstream. */
class DnsTcpServerTest {
    private static final Duration TEST_TIMEOUT = Duration.ofSeconds(20);

    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final DnsResolver resolver = new DnsResolver(Mode.FAKE_IP, NstunLikePool.create(), 1);
    private final AtomicInteger exchanges = new AtomicInteger();
    private DnsTcpServer server;

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) server.close();
        executor.shutdown();
        assertTrue(executor.awaitTermination(5, TimeUnit.SECONDS), "tasks still running after close: a leak");
        if (server != null) assertEquals(0, server.connectionCount());
    }

    /** An upstream that answers every query with itself turned into an empty response. */
    private byte[] echo(byte[] query) {
        exchanges.incrementAndGet();
        byte[] response = query.clone();
        response[2] |= (byte) 0x80;
        response[3] |= (byte) 0x80;
        return response;
    }

    private static void send(SocketChannel channel, byte[]... messages) throws IOException {
        int total = 0;
        for (byte[] m : messages) total += 2 + m.length;
        ByteBuffer frames = ByteBuffer.allocate(total);
        for (byte[] m : messages) frames.putShort((short) m.length).put(m);
        frames.flip();
        while (frames.hasRemaining()) channel.write(frames);
    }

    /** Reads one framed message; null at the end of the stream. */
    private static byte[] receive(SocketChannel channel) throws IOException {
        ByteBuffer prefix = ByteBuffer.allocate(2);
        if (!readFully(channel, prefix)) return null;
        ByteBuffer message = ByteBuffer.allocate(prefix.getShort(0) & 0xffff);
        if (!readFully(channel, message)) throw new EOFException("end of stream inside a message");
        return message.array();
    }

    private static boolean readFully(SocketChannel channel, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            int n;
            try {
                n = channel.read(buf);
            } catch (IOException e) {
                // A server that closes with unread data may reset the connection: an end all the same.
                return false;
            }
            if (n < 0) return false;
        }
        return true;
    }

    private static int id(byte[] message) {
        return (message[0] & 0xff) << 8 | message[1] & 0xff;
    }

    private static DnsMessage view(byte[] message) {
        DnsMessage m = new DnsMessage();
        assertNull(m.wrapChecked(ByteBuffer.wrap(message), 0, message.length), () -> hex(message));
        return m;
    }

    @Test
    void pipelinedQueriesAreAnsweredOutOfOrder() throws Exception {
        CountDownLatch upstreamMayAnswer = new CountDownLatch(1);
        server = DnsTcpServer.start(resolver, q -> {
            try {
                upstreamMayAnswer.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return echo(q);
        }, executor);
        byte[] mx = query(1, "example.com", DnsMessage.TYPE_MX);
        byte[] a = query(2, "example.com", DnsMessage.TYPE_A);
        assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            try (SocketChannel client = server.connect()) {
                send(client, mx, a);
                byte[] first = receive(client);
                assertEquals(2, id(first), "the local answer overtakes the forwarded one");
                assertEquals(1, DnsTestMessages.answers(first).size());
                upstreamMayAnswer.countDown();
                byte[] second = receive(client);
                assertArrayEquals(echo(mx), second);
            }
        });
        assertEquals(2, exchanges.get(), "one forwarded query (and the test's own echo)");
    }

    @Test
    void manyPipelinedQueriesAllComeBack() throws Exception {
        server = DnsTcpServer.start(resolver, this::echo, executor);
        int queries = 3 * DnsTcpServer.MAX_PIPELINED;
        byte[][] messages = new byte[queries][];
        for (int i = 0; i < queries; i++) messages[i] = query(100 + i, "n" + i + ".example", i % 3 == 0 ? DnsMessage.TYPE_A : DnsMessage.TYPE_TXT);
        assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            try (SocketChannel client = server.connect()) {
                send(client, messages);
                Set<Integer> ids = new HashSet<>();
                for (int i = 0; i < queries; i++) ids.add(id(receive(client)));
                assertEquals(queries, ids.size());
                assertTrue(ids.contains(100) && ids.contains(100 + queries - 1));
            }
        });
    }

    @Test
    void failedUpstreamIsServfail() throws Exception {
        server = DnsTcpServer.start(resolver, q -> {
            throw new IOException("upstream down");
        }, executor);
        assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            try (SocketChannel client = server.connect()) {
                send(client, query(7, "example.com", DnsMessage.TYPE_MX));
                DnsMessage r = view(receive(client));
                assertEquals(7, r.id());
                assertEquals(DnsMessage.SERVFAIL, r.rcode());
                assertEquals("example.com", r.questionName());
            }
        });
    }

    @Test
    void mismatchedUpstreamResponseIsServfail() throws Exception {
        server = DnsTcpServer.start(resolver, q -> echo(query(8, "other.example", DnsMessage.TYPE_MX)), executor);
        assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            try (SocketChannel client = server.connect()) {
                send(client, query(8, "example.com", DnsMessage.TYPE_MX));
                assertEquals(DnsMessage.SERVFAIL, view(receive(client)).rcode());
            }
        });
    }

    @Test
    void halfClosedConnectionStillGetsItsAnswers() throws Exception {
        server = DnsTcpServer.start(resolver, this::echo, executor);
        assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            try (SocketChannel client = server.connect()) {
                send(client, query(9, "example.com", DnsMessage.TYPE_MX), query(10, "example.com", DnsMessage.TYPE_A));
                client.shutdownOutput();
                Set<Integer> ids = new HashSet<>();
                ids.add(id(receive(client)));
                ids.add(id(receive(client)));
                assertEquals(Set.of(9, 10), ids);
                assertNull(receive(client), "closed once answered");
            }
        });
    }

    @Test
    void malformedFramesCloseTheConnection() throws Exception {
        server = DnsTcpServer.start(resolver, this::echo, executor);
        assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            for (byte[] bad : new byte[][] {new byte[0], new byte[5], DnsTestMessages.DIG_RESPONSE}) {
                try (SocketChannel client = server.connect()) {
                    send(client, bad, query(11, "example.com", DnsMessage.TYPE_A));
                    assertNull(receive(client), () -> "answered after " + hex(bad));
                }
            }
        });
    }

    @Test
    void formerrKeepsTheConnection() throws Exception {
        server = DnsTcpServer.start(resolver, this::echo, executor);
        assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            try (SocketChannel client = server.connect()) {
                send(client, hex("abcd01000001000000000000c00c00010001"), query(12, "example.com", DnsMessage.TYPE_A));
                assertEquals(DnsMessage.FORMERR, view(receive(client)).rcode());
                assertEquals(12, id(receive(client)));
            }
        });
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        server = DnsTcpServer.start(resolver, this::echo, executor, Duration.ofMillis(300), DnsTcpServer.MAX_CONNECTIONS);
        assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            try (SocketChannel client = server.connect()) {
                send(client, query(13, "example.com", DnsMessage.TYPE_A));
                assertEquals(13, id(receive(client)));
                assertNull(receive(client), "still open after the idle timeout");
            }
            while (server.connectionCount() > 0) Thread.sleep(10);
        });
    }

    @Test
    void connectionsBeyondTheLimitAreClosed() throws Exception {
        server = DnsTcpServer.start(resolver, this::echo, executor, DnsTcpServer.IDLE_TIMEOUT, 1);
        assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            try (SocketChannel first = server.connect()) {
                send(first, query(14, "example.com", DnsMessage.TYPE_A));
                assertEquals(14, id(receive(first)));
                try (SocketChannel second = server.connect()) {
                    try {
                        send(second, query(15, "example.com", DnsMessage.TYPE_A));
                    } catch (IOException e) {
                        // Closed before the query went out (broken pipe): what this test expects.
                    }
                    assertNull(receive(second));
                }
                send(first, query(16, "example.com", DnsMessage.TYPE_A));
                assertEquals(16, id(receive(first)), "the first connection is unaffected");
            }
        });
    }

    @Test
    void socketLivesInAPrivateDirectoryThatCloseRemoves() throws Exception {
        server = DnsTcpServer.start(resolver, this::echo, executor);
        Path socket = server.socketPath();
        Path directory = socket.getParent();
        assertTrue(Files.exists(socket));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(directory)));
        assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            try (SocketChannel client = server.connect()) {
                send(client, query(17, "example.com", DnsMessage.TYPE_A));
                assertEquals(17, id(receive(client)));
                server.close();
                assertNull(receive(client), "connection survived close()");
            }
        });
        assertFalse(Files.exists(socket));
        assertFalse(Files.exists(directory));
        assertThrows(IOException.class, server::connect);
        server.close();
    }
}
