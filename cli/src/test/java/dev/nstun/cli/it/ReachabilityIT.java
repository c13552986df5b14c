package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A connect through nstun fails the way the same connect made straight from the host fails, with
 * the same error after the same time: nstun dials before it answers the SYN, then hands the
 * command what it got (RST for refused, ICMP host unreachable, silence for a timeout). Two test
 * namespaces: one with an HTTP server, one that drops everything it would send to the host. Each
 * case runs one python client twice, on the host and inside {@code nstun run}, and compares.
 *
 * <p>And no way around nstun to the host's own loopback: a root command writing packets straight
 * onto the TUN ({@link RawProbe}) to the loopback and unspecified addresses reaches nothing there,
 * and gets "network unreachable"; only {@code --host-loopback}'s mapping gets through.
 */
class ReachabilityIT {
    private static final int HTTP_PORT = 8080;
    private static final int CLOSED_PORT = 8081;
    private static final int BLOB_BYTES = 3 * 1024 * 1024 + 7;
    /** Prints what a connect ended in (errno name, "timeout" or "connected") and how long it took. */
    private static final String CLIENT = String.join("\n",
            "import errno, socket, sys, time",
            "host, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])",
            "start = time.monotonic()",
            "try:",
            "    socket.create_connection((host, port), timeout=timeout).close()",
            "    what = 'connected'",
            "except socket.timeout as e:",
            "    what = 'timeout' if e.errno is None else errno.errorcode[e.errno]",
            "except OSError as e:",
            "    what = errno.errorcode.get(e.errno, type(e).__name__)",
            "print('%s %.3f' % (what, time.monotonic() - start))");

    @TempDir
    static Path www;
    private static byte[] blob;
    private static TestNetwork open;
    private static TestNetwork dropping;

    @BeforeAll
    static void createTestNamespaces() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("python3");
        Requirements.requireCommand("curl");
        blob = new byte[BLOB_BYTES];
        new Random(4).nextBytes(blob);
        Files.write(www.resolve("blob"), blob);
        open = TestNetwork.create("reach");
        open.serveFiles(www, HTTP_PORT);
        dropping = TestNetwork.create("drop");
        dropping.dropEverythingToTheHost();
    }

    @AfterAll
    static void removeTestNamespaces() throws Exception {
        try {
            if (open != null) open.close();
        } finally {
            if (dropping != null) dropping.close();
        }
    }

    /** ARP / neighbour discovery gives up after about 3 s; the host's kernel says EHOSTUNREACH. */
    @ParameterizedTest(name = "IPv{0}")
    @ValueSource(ints = {4, 6})
    void missingHostIsUnreachableAsWithoutNstun(int family) throws Exception {
        String absent = family == 4 ? open.absent4() : open.absent6();
        Outcome direct = direct(absent, 80, 20);
        Outcome nstun = throughNstun(absent, 80, 20);
        report("missing host, IPv" + family, direct, nstun);
        direct.assertEnded("EHOSTUNREACH", 2.0, 6.0);
        nstun.assertEnded("EHOSTUNREACH", direct.seconds() - 0.5, direct.seconds() + 1.5);
    }

    /** The peer's SYN-ACKs are swallowed: the client's own 3 s timeout ends both, not an error. */
    @ParameterizedTest(name = "IPv{0}")
    @ValueSource(ints = {4, 6})
    void droppingPeerTimesOutAsWithoutNstun(int family) throws Exception {
        String peer = family == 4 ? dropping.peer4() : dropping.peer6();
        Outcome direct = direct(peer, HTTP_PORT, 3);
        Outcome nstun = throughNstun(peer, HTTP_PORT, 3);
        report("dropping peer, IPv" + family, direct, nstun);
        direct.assertEnded("timeout", 2.9, 4.5);
        nstun.assertEnded("timeout", 2.9, direct.seconds() + 1.5);
    }

    @ParameterizedTest(name = "IPv{0}")
    @ValueSource(ints = {4, 6})
    void closedPortIsRefusedInUnderASecond(int family) throws Exception {
        String peer = family == 4 ? open.peer4() : open.peer6();
        Outcome direct = direct(peer, CLOSED_PORT, 10);
        Outcome nstun = throughNstun(peer, CLOSED_PORT, 10);
        report("closed port, IPv" + family, direct, nstun);
        direct.assertEnded("ECONNREFUSED", 0, 1.0);
        nstun.assertEnded("ECONNREFUSED", 0, 1.0);
    }

    @ParameterizedTest(name = "IPv{0}")
    @ValueSource(ints = {4, 6})
    void serverInTheTestNamespaceServesEveryByte(int family) throws Exception {
        String peer = family == 4 ? open.peer4() : "[" + open.peer6() + "]";
        NstunProcess p = NstunProcess.run("run", "--", "sh", "-c",
                "curl -sS -g --max-time 30 \"$0\" | python3 -c \"$1\"",
                "http://" + peer + ":" + HTTP_PORT + "/blob",
                "import hashlib, sys; d = sys.stdin.buffer.read(); print(len(d), hashlib.sha256(d).hexdigest())");
        assertEquals(0, p.exitCode(), p.describe());
        assertEquals(BLOB_BYTES + " " + TcpIT.sha256(blob) + "\n", p.stdout(), p.describe());
    }

    /** The loopback and unspecified addresses, IPv4-mapped included: each gets a SYN, a datagram and a ping. */
    @Test
    void rawPacketsToTheLoopbackReachNothingOnTheHost() throws Exception {
        try (HostLoopbackListener host = HostLoopbackListener.open()) {
            NstunProcess p = runAsRoot(RawProbe.command(host.port(), 2.0, "127.0.0.1", "0.0.0.0", "::1", "::ffff:127.0.0.1", "::"));
            assertEquals(0, p.exitCode(), p.describe());
            assertEquals(List.of(), host.heard(), "what the host's loopback heard\n" + p.describe());
            // TCP and UDP to each address, answered by nstun's own address; pings go unanswered.
            List<String> answers = p.stdout().lines().filter(l -> !l.startsWith("sent ")).sorted().toList();
            assertEquals(Stream.concat(Collections.nCopies(4, "unreachable 198.18.0.2 3/0").stream(),
                    Collections.nCopies(6, "unreachable fd4e:5354:554e::2 1/0").stream()).toList(), answers, p.describe());
        }
    }

    /** The positive control of the test above: the same packets to --host-loopback's addresses reach the listener. */
    @Test
    void rawPacketsToTheHostLoopbackMappingReachIt() throws Exception {
        try (HostLoopbackListener host = HostLoopbackListener.open()) {
            NstunProcess p = runAsRoot(RawProbe.command(host.port(), 2.0, "198.18.0.2", "fd4e:5354:554e::2"), "--host-loopback");
            assertEquals(0, p.exitCode(), p.describe());
            assertEquals(List.of("tcp 127.0.0.1", "tcp ::1", "udp 127.0.0.1", "udp ::1"), host.heard(), p.describe());
            assertTrue(p.stdout().contains("echo-reply 198.18.0.2\n") && p.stdout().contains("echo-reply fd4e:5354:554e::2\n"), p.describe());
        }
    }

    /** Runs {@code command} in nstun as plain root (not the user behind sudo), who may write raw packets. */
    private static NstunProcess runAsRoot(List<String> command, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(List.of(options));
        args.add("--");
        args.addAll(command);
        NstunProcess p = NstunProcess.start(List.of("env", "-u", "SUDO_UID", "-u", "SUDO_GID"), Map.of(), args.toArray(String[]::new));
        p.closeStdin();
        p.await();
        return p;
    }

    /** TCP and UDP listeners on one port of 127.0.0.1 and ::1, noting who reached them. */
    private static final class HostLoopbackListener implements AutoCloseable {
        private final List<ServerSocketChannel> tcp = new ArrayList<>();
        private final List<DatagramChannel> udp = new ArrayList<>();
        private final List<String> heard = Collections.synchronizedList(new ArrayList<>());

        static HostLoopbackListener open() throws IOException {
            for (int attempt = 0; ; attempt++) {
                HostLoopbackListener l = new HostLoopbackListener();
                try {
                    l.bind();
                    return l;
                } catch (BindException e) {
                    l.close();
                    if (attempt == 10) throw e;
                }
            }
        }

        private void bind() throws IOException {
            ServerSocketChannel first = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            tcp.add(first);
            int port = first.socket().getLocalPort();
            tcp.add(ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getByName("::1"), port)));
            for (String host : List.of("127.0.0.1", "::1")) {
                DatagramChannel ch = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getByName(host), port));
                ch.configureBlocking(false);
                udp.add(ch);
            }
            for (ServerSocketChannel server : tcp) {
                Thread.ofPlatform().daemon().start(() -> {
                    try {
                        while (true) {
                            try (SocketChannel c = server.accept()) {
                                heard.add("tcp " + ((InetSocketAddress) c.getRemoteAddress()).getAddress().getHostAddress());
                            }
                        }
                    } catch (IOException closed) {
                        // the listener was closed: the test is over
                    }
                });
            }
        }

        int port() {
            return tcp.get(0).socket().getLocalPort();
        }

        /** Returns what reached the listeners so far, sorted: "tcp 127.0.0.1", "udp ::1". */
        List<String> heard() throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(2048);
            for (DatagramChannel ch : udp) {
                for (SocketAddress from; (from = ch.receive(buf.clear())) != null; ) {
                    heard.add("udp " + ((InetSocketAddress) from).getAddress().getHostAddress());
                }
            }
            synchronized (heard) {
                return heard.stream().map(h -> h.replace("0:0:0:0:0:0:0:1", "::1")).sorted().toList();
            }
        }

        @Override
        public void close() throws IOException {
            for (ServerSocketChannel c : tcp) c.close();
            for (DatagramChannel c : udp) c.close();
        }
    }

    /** What a connect ended in, as the client printed it, and how long it took. */
    private record Outcome(String how, String what, double seconds, String transcript) {
        static Outcome parse(String how, String output, String transcript) {
            String[] f = output.trim().split(" ");
            if (f.length != 2) throw new AssertionError(how + ": unexpected client output:\n" + transcript);
            return new Outcome(how, f[0], Double.parseDouble(f[1]), transcript);
        }

        void assertEnded(String want, double atLeast, double atMost) {
            assertEquals(want, what, how + ": got " + what + " after " + seconds + " s, want " + want + "\n" + transcript);
            assertTrue(seconds >= atLeast && seconds <= atMost,
                    how + ": " + what + " after " + seconds + " s, want between " + atLeast + " and " + atMost + " s\n" + transcript);
        }
    }

    /** Prints both outcomes, so a run's log shows the timings even when the test passes. */
    private static void report(String scenario, Outcome direct, Outcome nstun) {
        System.out.printf("%s: direct %s after %.3f s, through nstun %s after %.3f s%n",
                scenario, direct.what(), direct.seconds(), nstun.what(), nstun.seconds());
    }

    private static Outcome direct(String host, int port, double timeout) throws Exception {
        Requirements.ProcessResult r = Requirements.run(Path.of("/"), "python3", "-c", CLIENT, host, Integer.toString(port), Double.toString(timeout));
        assertEquals(0, r.exitCode(), "direct client: " + r.output());
        return Outcome.parse("direct", r.output(), r.output());
    }

    private static Outcome throughNstun(String host, int port, double timeout) throws Exception {
        NstunProcess p = NstunProcess.run("run", "--", "python3", "-c", CLIENT, host, Integer.toString(port), Double.toString(timeout));
        assertEquals(0, p.exitCode(), p.describe());
        return Outcome.parse("through nstun", p.stdout(), p.describe());
    }
}
