package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.cli.it.Fetches.Fetch;
import dev.nstun.cli.it.Fetches.Result;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proxies that fail: wrong passwords (dante, microsocks, tinyproxy), a dead proxy (a closed port),
 * one that hangs up mid-handshake, one that answers CONNECT with a malformed reply and an HTTP proxy
 * whose refusal carries terminal escape sequences (the last three are this test's own peers on
 * 127.0.0.1, standing in for broken or hostile servers). Each time the command sees
 * a connection error at once, nstun keeps serving other flows, and its stderr has a line naming the
 * outbound (or its server) and the cause.
 *
 * <p>One {@code nstun run} meets every failure (a run costs seconds of start-up); the tests below
 * each check a part of what it did.
 */
class ProxyFailureIT {
    /** curl's exit statuses for a connection that failed: refused (7), empty reply (52), receive error (56). */
    private static final Set<Integer> CONNECTION_ERRORS = Set.of(7, 52, 56);
    /** Quick: far below connect-timeout, and no retries of the command's SYN. */
    private static final long FAILS_WITHIN_MILLIS = 1500;
    private static final int GOOD_PORT = ProxyNetwork.WEB_PORTS.get(0);
    /** A reason phrase that sets the terminal's window title and clears the screen. */
    private static final String HOSTILE_REASON = "\u001b]0;pwned\u0007\u001b[2J";

    private static ProxyNetwork net;
    private static ServerSocket hangsUp;
    private static ServerSocket garbles;
    private static ServerSocket stalls;
    private static ServerSocket blackHole;
    private static final List<SocketChannel> blackHoleFill = new ArrayList<>();
    /** The connect-timeout of the outbounds whose proxy never answers: the command must fail soon after it. */
    private static final long STALL_TIMEOUT_MILLIS = 2000;
    private static ServerSocket hostile;
    private static NstunProcess run;
    private static Map<String, Result> results;

    /** A broken outbound: its name, the port the rule sends to it, its server, and words its cause may be told with. */
    record Case(String outbound, int port, String server, Pattern cause, long withinMillis) {
        Case(String outbound, int port, String server, Pattern cause) {
            this(outbound, port, server, cause, FAILS_WITHIN_MILLIS);
        }

        @Override
        public String toString() {
            return outbound;
        }
    }

    private static List<Case> cases;

    @BeforeAll
    static void failEveryWayInOneRun() throws Exception {
        net = ProxyNetwork.start("proxyfailit");
        hangsUp = peer(ProxyFailureIT::hangUpAfterTheGreeting);
        garbles = peer(ProxyFailureIT::answerConnectWithAnUnknownAddressType);
        stalls = peer(ProxyFailureIT::neverAnswer);
        blackHole = fullListenQueue();
        hostile = peer(ProxyFailureIT::refuseConnectWithEscapeSequences);
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Pattern authentication = Pattern.compile("(?i)authenticat|password|credential|rejected|401|407");
        ProxyNetwork.Proxy dante = net.dante().withPassword("wrong-" + net.password());
        ProxyNetwork.Proxy microsocks = net.microsocks().withPassword("wrong-" + net.password());
        ProxyNetwork.Proxy tinyproxy = net.tinyproxy().withPassword("wrong-" + net.password());
        cases = List.of(
                new Case("dante-wrong-password", 1001, dante.server(), authentication),
                new Case("microsocks-wrong-password", 1002, microsocks.server(), authentication),
                // A port tinyproxy allows CONNECT to, so that only the password is wrong.
                new Case("tinyproxy-wrong-password", ProxyNetwork.WEB_PORTS.get(2), tinyproxy.server(), authentication),
                new Case("dead-proxy", 1004, "127.0.0.1:" + closed, Pattern.compile("(?i)refused|unreachable|cannot be reached|connect")),
                new Case("hangs-up", 1005, "127.0.0.1:" + hangsUp.getLocalPort(), Pattern.compile("(?i)closed|end of stream|eof|reset|hung up")),
                new Case("garbles", 1006, "127.0.0.1:" + garbles.getLocalPort(),
                        Pattern.compile("(?i)malformed|invalid|unexpected|expected|unknown|protocol|address type")),
                // Accepts, then never says a word: the handshake's deadline ends it.
                new Case("stalls", 1007, "127.0.0.1:" + stalls.getLocalPort(), Pattern.compile("(?i)timed out|within|did not"),
                        STALL_TIMEOUT_MILLIS + FAILS_WITHIN_MILLIS),
                // Drops every SYN (its listen queue is full): the connect's deadline ends it, one dial per flow.
                new Case("black-hole", 1008, "127.0.0.1:" + blackHole.getLocalPort(), Pattern.compile("(?i)timed out|within|did not"),
                        STALL_TIMEOUT_MILLIS + FAILS_WITHIN_MILLIS),
                new Case("hostile", 1009, "127.0.0.1:" + hostile.getLocalPort(), Pattern.compile("does not allow CONNECT .*\\(403 ")));
        List<String> policy = new ArrayList<>(List.of(
                "outbounds:",
                "  - " + dante.outbound("dante-wrong-password"),
                "  - " + microsocks.outbound("microsocks-wrong-password"),
                "  - " + tinyproxy.outbound("tinyproxy-wrong-password"),
                "  - {name: dead-proxy, type: socks5, server: \"127.0.0.1:" + closed + "\"}",
                "  - {name: hangs-up, type: socks5, server: \"127.0.0.1:" + hangsUp.getLocalPort() + "\", connect-timeout: 3s}",
                "  - {name: garbles, type: socks5, server: \"127.0.0.1:" + garbles.getLocalPort() + "\", connect-timeout: 3s}",
                "  - {name: stalls, type: socks5, server: \"127.0.0.1:" + stalls.getLocalPort() + "\", connect-timeout: " + STALL_TIMEOUT_MILLIS + "ms}",
                "  - {name: black-hole, type: socks5, server: \"127.0.0.1:" + blackHole.getLocalPort() + "\", connect-timeout: " + STALL_TIMEOUT_MILLIS + "ms}",
                "  - {name: hostile, type: http, server: \"127.0.0.1:" + hostile.getLocalPort() + "\", connect-timeout: 3s}",
                "  - " + net.dante().outbound("dante"),
                "rules:"));
        List<Fetch> fetches = new ArrayList<>();
        for (Case c : cases) {
            policy.add("  - {ip-cidr: " + net.peer4() + "/32, port: " + c.port() + ", outbound: " + c.outbound() + "}");
            // Twice: the second request must fail as fast as the first, nstun being still there.
            fetches.add(new Fetch(c.outbound() + "-1", ProxyNetwork.url(net.peer4(), c.port(), c.outbound() + "-1")));
            fetches.add(new Fetch(c.outbound() + "-2", ProxyNetwork.url(net.peer4(), c.port(), c.outbound() + "-2")));
        }
        policy.add("  - {ip-cidr: " + net.peer4() + "/32, port: " + GOOD_PORT + ", outbound: dante}");
        policy.add("  - {ip-cidr: \"" + net.peer6() + "/128\", outbound: direct}");
        policy.add("  - {outbound: reject}");
        policy.add("");
        fetches.add(new Fetch("good-proxy", ProxyNetwork.url(net.peer4(), GOOD_PORT, "good-proxy")));
        fetches.add(new Fetch("good-direct", ProxyNetwork.url(net.peer6(), GOOD_PORT, "good-direct")));
        Path dir = Files.createTempDirectory("nstun-proxyfailit");
        Path file = Files.writeString(dir.resolve("policy.yaml"), String.join("\n", policy));
        try {
            run = NstunProcess.run("run", "-p", file.toString(), "--", "sh", "-c", Fetches.script(fetches));
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
        results = Fetches.parse(run.stdout());
    }

    @AfterAll
    static void stopServers() throws Exception {
        for (SocketChannel ch : blackHoleFill) ch.close();
        for (AutoCloseable c : new AutoCloseable[] {hangsUp, garbles, stalls, blackHole, hostile, net}) {
            if (c != null) c.close();
        }
    }

    static Stream<Case> cases() {
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theCommandSeesAConnectionErrorAtOnce(Case c) {
        assertAll(Stream.of("-1", "-2").map(n -> () -> {
            Result r = results.get(c.outbound() + n);
            assertNotNull(r, "no result for " + c.outbound() + n + ": " + run.describe());
            assertTrue(CONNECTION_ERRORS.contains(r.exit()), "want a connection error (curl exit 7, 52 or 56): " + r);
            assertTrue(r.millis() < c.withinMillis(), "failed only after " + r.millis() + " ms: " + r);
        }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stderrSaysWhichOutboundFailedAndWhy(Case c) {
        List<String> lines = run.stderr().lines()
                .filter(l -> l.contains(c.outbound()) || l.contains(c.server()))
                .toList();
        assertTrue(lines.stream().anyMatch(l -> c.cause().matcher(l).find()),
                "want a line naming " + c.outbound() + " (or " + c.server() + ") and its cause (" + c.cause() + "); stderr:\n" + run.stderr());
    }

    @Test
    void nstunKeepsServingOtherFlows() throws Exception {
        assertEquals(0, run.exitCode(), run.describe());
        assertAll(
                () -> assertEquals(net.fileSha256(), results.get("good-proxy").sha256(), "through dante: " + results.get("good-proxy")),
                () -> assertTrue(ProxyIT.sameAddress(String.valueOf(net.webClient("good-proxy")), net.dante().source4()),
                        "good-proxy came from " + net.webClient("good-proxy")),
                () -> assertEquals(net.fileSha256(), results.get("good-direct").sha256(), "direct: " + results.get("good-direct")),
                () -> assertTrue(run.stderr().lines().noneMatch(l -> l.startsWith("\tat ") || l.startsWith("    at ")),
                        "stack traces on stderr:\n" + run.stderr()));
    }

    @Test
    void whatTheProxySaidReachesTheTerminalEscaped() {
        String stderr = run.stderr();
        assertTrue(stderr.contains("(403 \\x1b]0;pwned\\x07\\x1b[2J)"), "want the reason phrase escaped; stderr:\n" + stderr);
        assertTrue(stderr.chars().noneMatch(c -> c < 0x20 && c != '\n' || c >= 0x7f && c <= 0x9f),
                "stderr holds control characters:\n" + stderr.replace("\u001b", "<ESC>").replace("\u0007", "<BEL>"));
    }

    /** Reads the greeting, then closes: a proxy that dies mid-handshake. */
    private static void hangUpAfterTheGreeting(Socket s) throws IOException {
        s.getInputStream().read(new byte[512]);
    }

    /** Reads whatever comes and never answers: a proxy that hangs. */
    private static void neverAnswer(Socket s) throws IOException {
        byte[] buf = new byte[512];
        while (s.getInputStream().read(buf) >= 0) {
            // discard
        }
    }

    /**
     * Returns a listener that is never accepted from, its queue filled by connections of this test:
     * the kernel then drops every further SYN, as a host behind a silent firewall does.
     */
    private static ServerSocket fullListenQueue() throws IOException {
        ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        for (int i = 0; i < 3; i++) {
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.connect(server.getLocalSocketAddress());
            blackHoleFill.add(ch);
        }
        return server;
    }

    /** Accepts "no authentication", then answers CONNECT with address type 9 (there is none) and waits. */
    private static void answerConnectWithAnUnknownAddressType(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[512];
        if (in.read(buf) < 3) return;
        out.write(new byte[] {5, 0});
        if (in.read(buf) < 7) return;
        out.write(new byte[] {5, 0, 0, 9, 1, 2, 3, 4, 0, 80});
        out.flush();
        // Keeps the connection open: a client that waits for more instead of rejecting the reply times out.
        while (in.read(buf) >= 0) {
            // discard
        }
    }

    /** Reads a CONNECT request, then refuses it with a reason phrase that would take over the terminal. */
    private static void refuseConnectWithEscapeSequences(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] head = new byte[4096];
        int n = 0;
        while (n < 4 || !new String(head, 0, n, StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int r = in.read(head, n, head.length - n);
            if (r < 0 || n + r == head.length) return;
            n += r;
        }
        s.getOutputStream().write(("HTTP/1.1 403 " + HOSTILE_REASON + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    private interface Conversation {
        void run(Socket s) throws IOException;
    }

    /** A server on 127.0.0.1 that holds {@code conversation} with every client, each on its own thread. */
    private static ServerSocket peer(Conversation conversation) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("broken-proxy-" + server.getLocalPort()).start(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        s.setSoTimeout(10_000);
                        conversation.run(s);
                    } catch (IOException e) {
                        // the client went away: nothing to do
                    }
                });
            }
        });
        return server;
    }
}
