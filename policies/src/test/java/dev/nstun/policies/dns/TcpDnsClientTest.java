package dev.nstun.policies.dns;

import static dev.nstun.policies.dns.DnsClientTest.assertHex;
import static dev.nstun.policies.dns.DnsClientTest.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link TcpDnsClient} against in-process servers that answer out of order, close, or fall silent. */
class TcpDnsClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** Returns a query with id {@code id} (A x.test). */
    private static byte[] query(int id) {
        return hex("%04x 0100 0001 0000 0000 0000 01 78 04 74657374 00 0001 0001".formatted(id));
    }

    @Test
    void pipelinedQueriesAreAnsweredInAnyOrderOnOneConnection() throws Exception {
        try (FakeTcpDns server = new FakeTcpDns((n, client) -> {
            List<byte[]> queries = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                queries.add(FakeTcpDns.read(client));
            }
            for (int i = 2; i >= 0; i--) {
                FakeTcpDns.answer(client, queries.get(i));
            }
            FakeTcpDns.answerAll(client);
        }); TcpDnsClient client = new TcpDnsClient(server.opener(), server.url(), TIMEOUT);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<byte[]>> answers = new ArrayList<>();
            for (int id : new int[] {0x0a0a, 0x0b0b, 0x0c0c}) {
                answers.add(threads.submit(() -> client.exchange(query(id))));
            }
            assertHex(FakeTcpDns.answerTo(query(0x0a0a)), answers.get(0).get(5, TimeUnit.SECONDS));
            assertHex(FakeTcpDns.answerTo(query(0x0b0b)), answers.get(1).get(5, TimeUnit.SECONDS));
            assertHex(FakeTcpDns.answerTo(query(0x0c0c)), answers.get(2).get(5, TimeUnit.SECONDS));
            assertEquals(1, server.connections(), "one connection carried all three");
        }
    }

    @Test
    void atMostThreeConnectionsEvenForManyQueriesAtOnce() throws Exception {
        CountDownLatch all = new CountDownLatch(40);
        // No answer before all 40 queries have reached the server: every query is under way at once.
        try (FakeTcpDns server = new FakeTcpDns((n, client) -> {
            Object writing = new Object();
            for (byte[] q; (q = FakeTcpDns.read(client)) != null; ) {
                byte[] query = q;
                all.countDown();
                Thread.ofVirtual().start(() -> {
                    try {
                        all.await();
                        synchronized (writing) {
                            FakeTcpDns.answer(client, query);
                        }
                    } catch (IOException | InterruptedException e) {
                        // The test is over.
                    }
                });
            }
        }); TcpDnsClient client = new TcpDnsClient(server.opener(), server.url(), TIMEOUT);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<byte[]>> answers = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int id = i;
                answers.add(threads.submit(() -> client.exchange(query(id))));
            }
            for (int i = 0; i < 40; i++) {
                assertHex(FakeTcpDns.answerTo(query(i)), answers.get(i).get(5, TimeUnit.SECONDS));
            }
            assertEquals(TcpDnsClient.MAX_CONNECTIONS, server.connections(), "connections");
        }
    }

    @Test
    void aConnectionTheUpstreamClosedIsReplacedAndTheQuerySentAgain() throws Exception {
        try (FakeTcpDns server = new FakeTcpDns((n, client) -> {
            if (n == 0) {
                FakeTcpDns.read(client);
                client.close();
                return;
            }
            FakeTcpDns.answerAll(client);
        }); TcpDnsClient client = new TcpDnsClient(server.opener(), server.url(), TIMEOUT)) {
            assertHex(FakeTcpDns.answerTo(query(7)), client.exchange(query(7)));
            assertEquals(2, server.connections());
        }
    }

    @Test
    void aServerThatAnswersOneQueryPerConnectionStillAnswersEveryQuery() throws Exception {
        try (FakeTcpDns server = new FakeTcpDns((n, client) -> {
            byte[] q = FakeTcpDns.read(client);
            FakeTcpDns.answer(client, q);
            client.close();
        }); TcpDnsClient client = new TcpDnsClient(server.opener(), server.url(), TIMEOUT)) {
            for (int id = 1; id <= 5; id++) {
                assertHex(FakeTcpDns.answerTo(query(id)), client.exchange(query(id)));
            }
            assertEquals(5, server.connections(), "a new connection for each query; none failed");
        }
    }

    @Test
    void aConnectionThatEndsTwiceFailsTheQuery() throws Exception {
        try (FakeTcpDns server = new FakeTcpDns((n, client) -> {
            FakeTcpDns.read(client);
            client.close();
        }); TcpDnsClient client = new TcpDnsClient(server.opener(), server.url(), TIMEOUT)) {
            IOException e = assertThrows(IOException.class, () -> client.exchange(query(7)));
            assertEquals("DNS upstream " + server.url() + ": the connection ended before the answer, twice (the connection to "
                    + server.url() + " ended before the answer (the upstream or proxy closed it))", e.getMessage());
            assertEquals(2, server.connections());
        }
    }

    @Test
    void aSilentUpstreamTimesOutAndItsConnectionIsReplaced() throws Exception {
        Duration timeout = Duration.ofMillis(1500);
        try (FakeTcpDns server = new FakeTcpDns((n, client) -> {
            if (n == 0) {
                while (FakeTcpDns.read(client) != null) {
                    // Never answers.
                }
                return;
            }
            FakeTcpDns.answerAll(client);
        }); TcpDnsClient client = new TcpDnsClient(server.opener(), server.url(), timeout)) {
            long start = System.nanoTime();
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> client.exchange(query(7)));
            long waited = System.nanoTime() - start;
            assertEquals("DNS upstream " + server.url() + " did not answer within 1500ms (no answer)", e.getMessage());
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(1500) && waited < TimeUnit.MILLISECONDS.toNanos(3000), waited + " ns");
            assertHex(FakeTcpDns.answerTo(query(8)), client.exchange(query(8)));
            assertEquals(2, server.connections(), "the silent connection was given up");
        }
    }

    @Test
    void aConnectionThatCannotBeOpenedFailsTheQueryWithTheReason() throws Exception {
        Opener<SocketChannel> refusing = () -> {
            throw new java.net.ConnectException("Connection refused");
        };
        try (TcpDnsClient client = new TcpDnsClient(refusing, "tcp://192.0.2.1:53 (via outbound x)", TIMEOUT)) {
            IOException e = assertThrows(IOException.class, () -> client.exchange(query(7)));
            assertEquals("DNS upstream tcp://192.0.2.1:53 (via outbound x): Connection refused", e.getMessage());
        }
    }

    @Test
    void aClosedClientRefusesQueries() throws Exception {
        try (FakeTcpDns server = new FakeTcpDns((n, client) -> FakeTcpDns.answerAll(client))) {
            TcpDnsClient client = new TcpDnsClient(server.opener(), server.url(), TIMEOUT);
            client.exchange(query(1));
            client.close();
            IOException e = assertThrows(IOException.class, () -> client.exchange(query(2)));
            assertEquals("DNS upstream " + server.url() + ": the DNS client is closed", e.getMessage());
        }
    }

    @Test
    void aQueryShorterThanAHeaderIsAProgrammingError() throws Exception {
        try (TcpDnsClient client = new TcpDnsClient(() -> null, "tcp://x", TIMEOUT)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> client.exchange(new byte[11]));
            assertEquals("a DNS query has 12 to 65535 bytes, not 11", e.getMessage());
        }
    }
}
