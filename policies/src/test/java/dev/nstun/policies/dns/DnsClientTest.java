package dev.nstun.policies.dns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.DnsSettings;
import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.Location;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.policies.outbound.RealServers;
import dev.nstun.policies.outbound.RealServers.Daemon;
import dev.nstun.policies.outbound.UdpSupport;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link DnsClient} against dnsmasq started by the test on 127.0.0.1 (UDP and TCP), directly and
 * through microsocks, dante (with and without UDP ASSOCIATE) and tinyproxy. Queries and answers
 * are byte literals; dnsmasq's answers to its own records are fixed (TTL 0).
 */
class DnsClientTest {
    private static final Location HERE = Location.nowhere("(test)");
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** A example.test, id 0x1234, RD. */
    static final byte[] QUERY_A = hex("1234 0100 0001 0000 0000 0000 07 6578616d706c65 04 74657374 00 0001 0001");
    /** dnsmasq's answer: QR AA RD RA, example.test A 10.9.8.7, TTL 0. */
    static final byte[] ANSWER_A = hex("1234 8580 0001 0001 0000 0000 07 6578616d706c65 04 74657374 00 0001 0001"
            + " c00c 0001 0001 00000000 0004 0a090807");
    /** TXT txt.example.test, id 0xabcd. */
    static final byte[] QUERY_TXT = hex("abcd 0100 0001 0000 0000 0000 03 747874 07 6578616d706c65 04 74657374 00 0010 0001");
    /** The answer: "hello nstun". */
    static final byte[] ANSWER_TXT = hex("abcd 8580 0001 0001 0000 0000 03 747874 07 6578616d706c65 04 74657374 00 0010 0001"
            + " c00c 0010 0001 00000000 000c 0b 68656c6c6f206e7374756e");
    /** MX example.test, id 0xbeef. */
    static final byte[] QUERY_MX = hex("beef 0100 0001 0000 0000 0000 07 6578616d706c65 04 74657374 00 000f 0001");
    /** The answer: 10 mail.example.test. */
    static final byte[] ANSWER_MX = hex("beef 8580 0001 0001 0000 0000 07 6578616d706c65 04 74657374 00 000f 0001"
            + " c00c 000f 0001 00000000 0015 000a 04 6d61696c 07 6578616d706c65 04 74657374 00");

    private static Daemon dnsmasq;
    private static Daemon microsocks;
    private static Daemon dante;
    private static Daemon danteTcpOnly;
    private static Daemon tinyproxy;
    private static int dnsPort;
    private static Outbound.Socks5 viaMicrosocks;
    private static Outbound.Socks5 viaDante;
    private static Outbound.Socks5 viaDanteTcpOnly;
    private static Outbound.Http viaTinyproxy;
    private static final Outbound.Direct DIRECT = new Outbound.Direct("direct", Optional.empty(), OptionalLong.empty(),
            Optional.empty(), TIMEOUT, HERE);

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        dnsPort = RealServers.freeUdpAndTcpPort();
        dnsmasq = RealServers.dnsmasq(dir, "dnsmasq", dnsPort);
        int port = RealServers.freePort();
        microsocks = RealServers.microsocks(dir, "microsocks", port);
        viaMicrosocks = socks5("microsocks", port);
        port = RealServers.freePort();
        dante = RealServers.dante(dir, "danted", port, "none", "connect udpassociate");
        viaDante = socks5("dante", port);
        port = RealServers.freePort();
        danteTcpOnly = RealServers.dante(dir, "danted-tcp", port, "none", "connect");
        viaDanteTcpOnly = socks5("dante-tcp", port);
        port = RealServers.freePort();
        tinyproxy = RealServers.tinyproxy(dir, "tinyproxy", port, "", dnsPort);
        viaTinyproxy = new Outbound.Http("tinyproxy", new HostPort("127.0.0.1", port), Optional.empty(), TIMEOUT, HERE);
    }

    @AfterAll
    static void stop() {
        for (Daemon d : new Daemon[] {dnsmasq, microsocks, dante, danteTcpOnly, tinyproxy}) {
            if (d != null) {
                d.close();
            }
        }
    }

    private static Outbound.Socks5 socks5(String name, int port) {
        return new Outbound.Socks5(name, new HostPort("127.0.0.1", port), Optional.empty(), true, TIMEOUT, HERE);
    }

    private static DnsSettings.Upstream upstream(Network transport) {
        return new DnsSettings.Upstream(transport, new HostPort("127.0.0.1", dnsPort));
    }

    static Stream<Arguments> transportsAndOutbounds() {
        return Stream.of(
                Arguments.of(Network.TCP, DIRECT),
                Arguments.of(Network.UDP, DIRECT),
                Arguments.of(Network.TCP, viaMicrosocks),
                Arguments.of(Network.TCP, viaDante),
                Arguments.of(Network.UDP, viaDante),
                Arguments.of(Network.TCP, viaTinyproxy),
                Arguments.of(Network.UDP, viaMicrosocks),
                Arguments.of(Network.UDP, viaDanteTcpOnly));
    }

    @ParameterizedTest(name = "{0} via {1}")
    @MethodSource("transportsAndOutbounds")
    void theUpstreamsAnswerComesBackUnchanged(Network transport, Outbound via) throws Exception {
        try (DnsClient client = DnsClient.of(upstream(transport), via, new Connectors(), TIMEOUT)) {
            assertHex(ANSWER_A, client.exchange(QUERY_A));
            assertHex(ANSWER_TXT, client.exchange(QUERY_TXT));
            assertHex(ANSWER_MX, client.exchange(QUERY_MX));
        }
    }

    @Test
    void udpThroughProxiesWithoutUdpAssociateGoesOverTcpAndMarksThem() throws Exception {
        Connectors connectors = new Connectors();
        for (Outbound.Socks5 via : List.of(viaMicrosocks, viaDanteTcpOnly)) {
            try (DnsClient client = DnsClient.of(upstream(Network.UDP), via, connectors, TIMEOUT)) {
                assertHex(ANSWER_A, client.exchange(QUERY_A));
                assertHex(ANSWER_TXT, client.exchange(QUERY_TXT));
            }
            assertEquals(UdpSupport.State.UNSUPPORTED, connectors.udpSupport().status(via.name()).state(), via.name());
        }
        assertEquals("it answered \"command not supported\"", connectors.udpSupport().status("microsocks").reason());
    }

    @Test
    void udpThroughDanteUsesUdpAssociate() throws Exception {
        Connectors connectors = new Connectors();
        try (DnsClient client = DnsClient.of(upstream(Network.UDP), viaDante, connectors, TIMEOUT)) {
            assertHex(ANSWER_A, client.exchange(QUERY_A));
        }
        assertEquals(UdpSupport.State.SUPPORTED, connectors.udpSupport().status("dante").state());
    }

    static Stream<Arguments> concurrentPaths() {
        return Stream.of(Arguments.of(Network.TCP, DIRECT), Arguments.of(Network.UDP, DIRECT), Arguments.of(Network.TCP, viaDante),
                Arguments.of(Network.UDP, viaDante), Arguments.of(Network.TCP, viaMicrosocks));
    }

    /**
     * 200 queries at once, all with the same id (as different programs' queries may have), for
     * q000.example.test to q199.example.test: each must get the answer to its own question.
     */
    @ParameterizedTest(name = "{0} via {1}")
    @MethodSource("concurrentPaths")
    void concurrentQueriesWithTheSameIdEachGetTheirOwnAnswer(Network transport, Outbound via) throws Exception {
        try (DnsClient client = DnsClient.of(upstream(transport), via, new Connectors(), TIMEOUT);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<byte[]>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                byte[] query = numberedQuery(i);
                answers.add(threads.submit(() -> client.exchange(query)));
            }
            for (int i = 0; i < 200; i++) {
                byte[] query = numberedQuery(i);
                byte[] answer = answers.get(i).get(10, TimeUnit.SECONDS);
                assertEquals(0x0101, DnsMessages.id(answer), "id of answer " + i);
                assertHex(Arrays.copyOfRange(query, 12, query.length), Arrays.copyOfRange(answer, 12, query.length));
                assertHex(hex("0a090807"), Arrays.copyOfRange(answer, answer.length - 4, answer.length));
            }
        }
    }

    /** Returns A q{@code nnn}.example.test with id 0x0101. */
    private static byte[] numberedQuery(int n) {
        String digits = HexFormat.of().formatHex("%03d".formatted(n).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return hex("0101 0100 0001 0000 0000 0000 04 71" + digits + " 07 6578616d706c65 04 74657374 00 0001 0001");
    }

    @Test
    void rejectAndDropRefuseEveryQueryAtOnce() {
        for (Outbound via : List.of(new Outbound.Reject("block", HERE), new Outbound.Drop("drop", HERE))) {
            long start = System.nanoTime();
            try (DnsClient client = DnsClient.of(upstream(Network.TCP), via, new Connectors(), TIMEOUT)) {
                IOException e = assertThrows(IOException.class, () -> client.exchange(QUERY_A));
                assertEquals("DNS queries to tcp://127.0.0.1:" + dnsPort + " are refused: they go through outbound " + via.name() + ", a "
                        + via.type() + " outbound, which carries nothing (set dns.via to a socks5, http or direct outbound)", e.getMessage());
            }
            assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(200), "at once");
        }
    }

    @Test
    void aDeadProxyIsNamedWithTheUpstream() throws Exception {
        Outbound.Socks5 dead = socks5("dead", RealServers.freePort());
        try (DnsClient client = DnsClient.of(upstream(Network.TCP), dead, new Connectors(), TIMEOUT)) {
            IOException e = assertThrows(IOException.class, () -> client.exchange(QUERY_A));
            assertEquals("DNS upstream tcp://127.0.0.1:" + dnsPort + " (via outbound dead): socks5 proxy " + dead.server()
                    + " cannot be reached: Connection refused", e.getMessage());
        }
    }

    @Test
    void aClosedUdpPortIsRefusedWithoutWaiting() throws Exception {
        int closed = RealServers.freeUdpAndTcpPort();
        DnsSettings.Upstream nobody = new DnsSettings.Upstream(Network.UDP, new HostPort("127.0.0.1", closed));
        long start = System.nanoTime();
        try (DnsClient client = DnsClient.of(nobody, DIRECT, new Connectors(), TIMEOUT)) {
            IOException e = assertThrows(IOException.class, () -> client.exchange(QUERY_A));
            assertEquals("DNS upstream udp://127.0.0.1:" + closed + " (via outbound direct) refused the query (ICMP port unreachable):"
                    + " is a DNS server listening there?", e.getMessage());
        }
        assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(900), "before the second sending");
    }

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }

    static void assertHex(byte[] want, byte[] got) {
        assertEquals(HexFormat.of().formatHex(want), HexFormat.of().formatHex(got));
    }
}
