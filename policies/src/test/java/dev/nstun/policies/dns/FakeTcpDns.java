package dev.nstun.policies.dns;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A DNS server over TCP on 127.0.0.1 for tests that plays a script with each connection: answer,
 * answer out of order, close without answering, or never answer. Its "answer" to a query is the
 * query with the QR bit set, which is all a {@link DnsClient} can tell apart.
 */
final class FakeTcpDns implements AutoCloseable {
    /** What the server does with the {@code n}th connection (0-based). */
    interface Script {
        void play(int n, SocketChannel client) throws Exception;
    }

    private final ServerSocketChannel server;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<SocketChannel> clients = new CopyOnWriteArrayList<>();

    FakeTcpDns(Script script) throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofVirtual().name("fake-dns-accept").start(() -> {
            while (server.isOpen()) {
                try {
                    SocketChannel client = server.accept();
                    clients.add(client);
                    int n = accepted.getAndIncrement();
                    Thread.ofVirtual().name("fake-dns").start(() -> {
                        try {
                            script.play(n, client);
                        } catch (Exception e) {
                            // The client went away, or the test closed the server.
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    /** Returns an opener that connects to the server. */
    Opener<SocketChannel> opener() throws IOException {
        InetSocketAddress address = (InetSocketAddress) server.getLocalAddress();
        return () -> SocketChannel.open(address);
    }

    /** Returns {@code tcp://127.0.0.1:port}. */
    String url() throws IOException {
        return "tcp://127.0.0.1:" + ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    /** Returns how many connections were accepted. */
    int connections() {
        return accepted.get();
    }

    /** Reads one length-prefixed query; null at the end of the connection. */
    static byte[] read(SocketChannel client) throws IOException {
        ByteBuffer length = ByteBuffer.allocate(2);
        if (!readFully(client, length)) {
            return null;
        }
        ByteBuffer message = ByteBuffer.allocate(length.getShort(0) & 0xffff);
        return readFully(client, message) ? message.array() : null;
    }

    /** Writes the answer to {@code query}: the query with QR set, length-prefixed. */
    static void answer(SocketChannel client, byte[] query) throws IOException {
        ByteBuffer framed = ByteBuffer.allocate(2 + query.length).putShort((short) query.length).put(answerTo(query)).flip();
        while (framed.hasRemaining()) {
            client.write(framed);
        }
    }

    /** Returns the fake answer to {@code query}: the same bytes with the QR bit set. */
    static byte[] answerTo(byte[] query) {
        byte[] answer = query.clone();
        answer[2] |= (byte) 0x80;
        return answer;
    }

    /** Answers every query of the connection in order, until it ends. */
    static void answerAll(SocketChannel client) throws IOException {
        for (byte[] query; (query = read(client)) != null; ) {
            answer(client, query);
        }
    }

    private static boolean readFully(SocketChannel client, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (client.read(buffer) < 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (SocketChannel client : clients) {
            client.close();
        }
    }
}
