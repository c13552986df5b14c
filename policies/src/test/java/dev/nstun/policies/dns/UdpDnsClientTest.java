package dev.nstun.policies.dns;

import static dev.nstun.policies.dns.DnsClientTest.assertHex;
import static dev.nstun.policies.dns.DnsClientTest.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link UdpDnsClient} against an in-process UDP server that stays silent, answers late, or with another id. */
class UdpDnsClientTest {
    private static final byte[] QUERY = hex("5151 0100 0001 0000 0000 0000 01 78 04 74657374 00 0001 0001");
    private static final byte[] ANSWER = FakeTcpDns.answerTo(QUERY);

    private DatagramChannel server;
    /** When each datagram reached the server, in nanoTime. */
    private final List<Long> arrivals = new CopyOnWriteArrayList<>();

    /** What the server does with the {@code n}th datagram: reply with the returned bytes, or nothing for null. */
    private interface Behaviour {
        List<byte[]> reply(int n, byte[] query);
    }

    @BeforeEach
    void open() throws IOException {
        server = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void close() throws IOException {
        server.close();
    }

    private void serve(Behaviour behaviour) {
        Thread.ofVirtual().start(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(65535);
            try {
                for (int n = 0; ; n++) {
                    SocketAddress from = server.receive(buffer.clear());
                    arrivals.add(System.nanoTime());
                    byte[] query = Arrays.copyOf(buffer.array(), buffer.position());
                    for (byte[] reply : behaviour.reply(n, query)) {
                        server.send(ByteBuffer.wrap(reply), from);
                    }
                }
            } catch (IOException e) {
                // Closed by the test.
            }
        });
    }

    private UdpDnsClient client(Duration timeout) throws IOException {
        InetSocketAddress address = (InetSocketAddress) server.getLocalAddress();
        return new UdpDnsClient(() -> DatagramChannel.open().connect(address), "udp://127.0.0.1:" + address.getPort(), timeout);
    }

    @Test
    void withoutAnAnswerTheQueryIsSentOnceMoreAfterASecond() throws Exception {
        serve((n, query) -> n == 0 ? List.of() : List.of(FakeTcpDns.answerTo(query)));
        long start = System.nanoTime();
        try (UdpDnsClient client = client(DnsClient.DEFAULT_TIMEOUT)) {
            assertHex(ANSWER, client.exchange(QUERY));
        }
        assertEquals(2, arrivals.size());
        long gap = arrivals.get(1) - arrivals.get(0);
        assertTrue(gap >= TimeUnit.MILLISECONDS.toNanos(950) && gap < TimeUnit.MILLISECONDS.toNanos(1500), "sent again after " + gap + " ns");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2));
    }

    @Test
    void answersWithAnotherIdAreNotTheAnswer() throws Exception {
        byte[] otherId = ANSWER.clone();
        otherId[1] ^= 1;
        serve((n, query) -> List.of(otherId, hex("51"), FakeTcpDns.answerTo(query)));
        try (UdpDnsClient client = client(DnsClient.DEFAULT_TIMEOUT)) {
            assertHex(ANSWER, client.exchange(QUERY));
        }
        assertEquals(1, arrivals.size(), "no second sending");
    }

    @Test
    void aSilentUpstreamTimesOutAfterTwoSendings() throws Exception {
        serve((n, query) -> List.of());
        long start = System.nanoTime();
        try (UdpDnsClient client = client(Duration.ofMillis(800))) {
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> client.exchange(QUERY));
            assertEquals("DNS upstream udp://127.0.0.1:" + ((InetSocketAddress) server.getLocalAddress()).getPort()
                    + " did not answer within 800ms", e.getMessage());
        }
        long waited = System.nanoTime() - start;
        assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(800) && waited < TimeUnit.MILLISECONDS.toNanos(1500), waited + " ns");
        assertEquals(2, arrivals.size(), "sent twice (again after half the timeout, as it is under 2 s)");
    }
}
