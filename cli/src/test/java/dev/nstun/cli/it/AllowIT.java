package dev.nstun.cli.it;

import static dev.nstun.cli.it.ProxyIT.assertNoSuchNameAtOnce;
import static dev.nstun.cli.it.ProxyIT.assertRefusedAtOnce;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.cli.it.Fetches.Fetch;
import dev.nstun.cli.it.Fetches.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nstun run --allow PATTERN --deny PATTERN}: default deny on the command line, against the
 * real servers of a {@link ProxyNetwork}. Allowed names and addresses are reached; a name nothing
 * allows gets NXDOMAIN at once (every query type: nothing reaches the upstream), a flow nothing
 * allows is refused at once (TCP reset, UDP port unreachable), each with one line on stderr saying
 * how to allow it; {@code --deny} exceptions are refused silently. Without a proxy nstun resolves
 * allowed names itself: its JVM reads them from a hosts file of the test
 * ({@code -Djdk.net.hosts.file}), as the host cannot resolve the test names.
 */
class AllowIT {
    private static final String DOMAIN = ProxyNetwork.DOMAIN;
    private static final int ALLOWED_PORT = ProxyNetwork.WEB_PORTS.get(0);
    private static final int OTHER_PORT = ProxyNetwork.WEB_PORTS.get(1);
    private static final int DENIED_PORT = ProxyNetwork.WEB_PORTS.get(2);
    private static final int ECHO = ProxyNetwork.UDP_ECHO_PORT;
    /** Sends one datagram on a connected UDP socket and prints {@code udp LABEL echo|refused|timeout}. */
    private static final String UDP_PROBE = String.join("\n",
            "import socket, sys",
            "host, port, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]",
            "s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)",
            "s.settimeout(5)",
            "s.connect((host, port))",
            "s.send(b'nstun-allowit-' + label.encode())",
            "try:",
            "    s.recv(100)",
            "    print('udp', label, 'echo')",
            "except ConnectionRefusedError:",
            "    print('udp', label, 'refused')",
            "except socket.timeout:",
            "    print('udp', label, 'timeout')", "");
    private static ProxyNetwork net;

    @BeforeAll
    static void startServers() throws Exception {
        net = ProxyNetwork.start("allowit");
        net.assertHostCannotResolve();
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (net != null) net.close();
    }

    @Test
    void directlyOnlyWhatIsAllowedPassesAndTheRestFailsFastWithALineSayingHowToAllowIt(@TempDir Path dir) throws Exception {
        Path hosts = Files.writeString(dir.resolve("hosts"), net.peer4() + " web." + DOMAIN + " one." + DOMAIN + " three." + DOMAIN + "\n");
        String peer6 = "[" + net.peer6() + "]";
        String script = Fetches.script(List.of(
                new Fetch("web", ProxyNetwork.url("web." + DOMAIN, ALLOWED_PORT, "web")),
                new Fetch("one", ProxyNetwork.url("one." + DOMAIN, ALLOWED_PORT, "one")),
                new Fetch("denied-name", ProxyNetwork.url("three." + DOMAIN, ALLOWED_PORT, "denied-name")),
                new Fetch("other-port", ProxyNetwork.url("web." + DOMAIN, OTHER_PORT, "other-port")),
                new Fetch("other-port-again", ProxyNetwork.url("web." + DOMAIN, OTHER_PORT, "other-port-again")),
                new Fetch("unknown-name", ProxyNetwork.url("elsewhere.example", ALLOWED_PORT, "unknown-name")),
                new Fetch("cidr", ProxyNetwork.url(net.peer4(), OTHER_PORT, "cidr")),
                new Fetch("denied-address", ProxyNetwork.url(net.peer4(), DENIED_PORT, "denied-address")),
                new Fetch("v6-literal", ProxyNetwork.url(net.peer6(), ALLOWED_PORT, "v6-literal"))))
                + udpProbe(dir, net.peer4(), ECHO, "blocked4")
                + udpProbe(dir, net.peer6(), ECHO, "allowed6")
                + "dig +tries=1 +time=3 elsewhere.example TXT | grep -o 'status: [A-Z]*'\n";
        NstunProcess p = NstunProcess.start(List.of(), Map.of("NSTUN_JAVA_OPTS", "-Djdk.net.hosts.file=" + hosts), "run",
                "--allow", "*." + DOMAIN + ":" + ALLOWED_PORT, "--deny", "three." + DOMAIN,
                "--allow", "tcp:" + net.peer4(), "--deny", net.peer4() + ":" + DENIED_PORT,
                "--allow", "udp:" + peer6 + ":" + ECHO,
                "--", "sh", "-c", script);
        p.closeStdin();
        p.await();
        assertEquals(0, p.exitCode(), p.describe());
        Map<String, Result> r = Fetches.parse(p.stdout());
        String err = p.stderr();
        assertAll(
                () -> assertWholeFile(r.get("web")),
                () -> assertWholeFile(r.get("one")),
                () -> assertWholeFile(r.get("cidr")),
                () -> assertNoSuchNameAtOnce(r.get("denied-name")),
                () -> assertNoSuchNameAtOnce(r.get("unknown-name")),
                () -> assertRefusedAtOnce(r.get("other-port")),
                () -> assertRefusedAtOnce(r.get("denied-address")),
                () -> assertRefusedAtOnce(r.get("v6-literal")),
                () -> assertTrue(p.stdout().contains("udp blocked4 refused\n"), "UDP nothing allows: port unreachable: " + p.describe()),
                () -> assertTrue(p.stdout().contains("udp allowed6 echo\n"), "allowed UDP: " + p.describe()),
                () -> assertTrue(p.stdout().contains("status: NXDOMAIN\n"), "a TXT query for a name nothing allows: " + p.describe()),
                () -> assertBlockedOnce(err, "dns elsewhere.example", "elsewhere.example"),
                () -> assertBlockedOnce(err, "tcp web." + DOMAIN + ":" + OTHER_PORT, "web." + DOMAIN + ":" + OTHER_PORT),
                () -> assertBlockedOnce(err, "tcp " + peer6 + ":" + ALLOWED_PORT, peer6 + ":" + ALLOWED_PORT),
                () -> assertBlockedOnce(err, "udp " + net.peer4() + ":" + ECHO, "udp:" + net.peer4() + ":" + ECHO),
                () -> assertFalse(err.contains("three." + DOMAIN), "--deny refuses without a line: " + err),
                () -> assertFalse(err.contains(":" + DENIED_PORT), "--deny refuses without a line: " + err),
                () -> assertTrue(err.matches("(?s).*nstun: blocked \\d+ flows and queries in all, to 4 destinations.*"),
                        "a refused destination met again is counted, and the count said at exit: " + err),
                () -> assertFalse(net.dnsmasqLog().contains("elsewhere.example"), "a name nothing allows never reaches the upstream"));
    }

    @Test
    void throughASocksProxyAllowedNamesTravelToTheProxyAndTheRestIsBlocked(@TempDir Path dir) throws Exception {
        String script = Fetches.script(List.of(
                new Fetch("web", ProxyNetwork.url("web." + DOMAIN, ALLOWED_PORT, "web")),
                new Fetch("one", ProxyNetwork.url("one." + DOMAIN, ALLOWED_PORT, "one")),
                new Fetch("address", ProxyNetwork.url(net.peer4(), ALLOWED_PORT, "address"))))
                + udpProbe(dir, net.peer4(), ECHO, "allowed4")
                + udpProbe(dir, net.peer4(), ECHO + 1, "blocked4");
        NstunProcess p = NstunProcess.run("run", "--socks5", net.dante().url(), "--allow", "web." + DOMAIN,
                "--allow", "udp:" + net.peer4() + ":" + ECHO, "--", "sh", "-c", script);
        assertEquals(0, p.exitCode(), p.describe());
        Map<String, Result> r = Fetches.parse(p.stdout());
        String err = p.stderr();
        assertAll(
                () -> {
                    assertWholeFile(r.get("web"));
                    String client = net.webClient("web");
                    assertTrue(ProxyIT.sameAddress(client, net.dante().source4()) || ProxyIT.sameAddress(client, net.dante().source6()),
                            "carried by dante, which resolved the name: the web server saw " + client);
                },
                () -> assertNoSuchNameAtOnce(r.get("one")),
                () -> assertRefusedAtOnce(r.get("address")),
                () -> assertTrue(p.stdout().contains("udp allowed4 echo\n"), "allowed UDP through dante's UDP ASSOCIATE: " + p.describe()),
                () -> assertTrue(net.udpEchoLog().contains("UDP " + net.dante().source4() + " "), "the echo came through dante: "
                        + net.udpEchoLog()),
                () -> assertTrue(p.stdout().contains("udp blocked4 refused\n"), p.describe()),
                () -> assertBlockedOnce(err, "dns one." + DOMAIN, "one." + DOMAIN),
                () -> assertBlockedOnce(err, "tcp " + net.peer4() + ":" + ALLOWED_PORT, net.peer4() + ":" + ALLOWED_PORT),
                () -> assertBlockedOnce(err, "udp " + net.peer4() + ":" + (ECHO + 1), "udp:" + net.peer4() + ":" + (ECHO + 1)),
                () -> assertFalse(net.danteLog().contains("one." + DOMAIN), "a blocked name never reaches the proxy"),
                () -> assertFalse(net.dnsmasqLog().contains("one." + DOMAIN), "nor the upstream"));
    }

    /**
     * {@code --report}: at exit, the flows by rule and outbound with their bytes, and the refused
     * attempts by reason, counted as the test made them (a name nothing allows is no flow: NXDOMAIN).
     */
    @Test
    void theReportCountsTheRunsFlowsAndRefusals(@TempDir Path dir) throws Exception {
        String script = Fetches.script(List.of(
                new Fetch("report-web", ProxyNetwork.url("web." + DOMAIN, ALLOWED_PORT, "report-web"), true),
                new Fetch("report-one", ProxyNetwork.url("one." + DOMAIN, ALLOWED_PORT, "report-one")),
                new Fetch("report-address", ProxyNetwork.url(net.peer4(), ALLOWED_PORT, "report-address"))))
                + udpProbe(dir, net.peer4(), ECHO, "report-allowed")
                + udpProbe(dir, net.peer4(), ECHO + 1, "report-blocked");
        NstunProcess p = NstunProcess.run("run", "--report", "--socks5", net.dante().url(), "--allow", "web." + DOMAIN,
                "--allow", "udp:" + net.peer4() + ":" + ECHO, "--", "sh", "-c", script);
        assertEquals(0, p.exitCode(), p.describe());
        assertWholeFile(Fetches.parse(p.stdout()).get("report-web"));
        List<String> report = p.stderr().lines().filter(l -> l.startsWith("nstun: ") && !l.startsWith("nstun: blocked ")).toList();
        assertEquals(4, report.size(), p.describe());
        assertAll(
                () -> assertTrue(report.get(0).matches("nstun: [0-9.]+s, 2 flows, \\d+ B sent, [0-9.]+ [KM]iB received"), p.describe()),
                () -> assertTrue(report.get(1).matches("nstun:   tcp rule \\d+ → proxy: 1 flow, \\d+ B sent, [0-9.]+ [KM]iB received"),
                        p.describe()),
                () -> assertTrue(report.get(2).matches("nstun:   udp rule \\d+ → proxy: 1 flow, \\d+ B sent, \\d+ B received"), p.describe()),
                () -> assertEquals("nstun: refused: 2 rejected by a rule", report.get(3), p.describe()));
    }

    /**
     * {@code --learn FILE} through dante writes the destinations used; {@code -p FILE} replays them
     * through dante (its password from the environment, never from the file) and blocks a new
     * one; learning again adds to the file.
     */
    @Test
    void learnModeWritesAPolicyThatReplaysTheRunAndBlocksWhatIsNew(@TempDir Path dir) throws Exception {
        Path learned = dir.resolve("learned.yaml");
        String workload = Fetches.script(List.of(
                new Fetch("learn-web", ProxyNetwork.url("web." + DOMAIN, ALLOWED_PORT, "learn-web")),
                new Fetch("learn-address", ProxyNetwork.url(net.peer4(), OTHER_PORT, "learn-address"))))
                + udpProbe(dir, net.peer4(), ECHO, "learn-udp");
        NstunProcess learning = NstunProcess.run("run", "--socks5", net.dante().url(), "--learn", learned.toString(),
                "--", "sh", "-c", workload);
        assertEquals(0, learning.exitCode(), learning.describe());
        assertTrue(learning.stderr().contains("nstun: learned 3 destination(s) into " + learned), learning.describe());
        String file = Files.readString(learned);
        assertAll(
                () -> assertTrue(file.contains("  - {domain: web." + DOMAIN + ", port: " + ALLOWED_PORT + ", network: tcp, outbound: proxy}"
                        + "  # first seen "), file),
                () -> assertTrue(file.contains("  - {ip-cidr: " + net.peer4() + "/32, port: " + OTHER_PORT + ", network: tcp, outbound: proxy}"),
                        file),
                () -> assertTrue(file.contains("  - {ip-cidr: " + net.peer4() + "/32, port: " + ECHO + ", network: udp, outbound: proxy}"), file),
                () -> assertFalse(file.contains(net.dante().password()), "the proxy's password is not written: " + file));

        String replay = Fetches.script(List.of(
                new Fetch("replay-web", ProxyNetwork.url("web." + DOMAIN, ALLOWED_PORT, "replay-web")),
                new Fetch("replay-address", ProxyNetwork.url(net.peer4(), OTHER_PORT, "replay-address")),
                new Fetch("replay-new", ProxyNetwork.url("one." + DOMAIN, ALLOWED_PORT, "replay-new"))))
                + udpProbe(dir, net.peer4(), ECHO, "replay-udp");
        NstunProcess replaying = NstunProcess.start(List.of(), Map.of("NSTUN_PROXY_PASSWORD", net.dante().password()),
                "run", "-p", learned.toString(), "--", "sh", "-c", replay);
        replaying.closeStdin();
        replaying.await();
        assertEquals(0, replaying.exitCode(), replaying.describe());
        Map<String, Result> r = Fetches.parse(replaying.stdout());
        assertAll(
                () -> {
                    assertWholeFile(r.get("replay-web"));
                    String client = net.webClient("replay-web");
                    assertTrue(ProxyIT.sameAddress(client, net.dante().source4()) || ProxyIT.sameAddress(client, net.dante().source6()),
                            "replayed through dante: the web server saw " + client);
                },
                () -> assertWholeFile(r.get("replay-address")),
                () -> assertTrue(replaying.stdout().contains("udp replay-udp echo\n"), replaying.describe()),
                () -> assertNoSuchNameAtOnce(r.get("replay-new")),
                () -> assertBlockedOnce(replaying.stderr(), "dns one." + DOMAIN, "one." + DOMAIN));

        NstunProcess more = NstunProcess.run("run", "--socks5", net.dante().url(), "--learn", learned.toString(), "--", "sh", "-c",
                Fetches.script(List.of(new Fetch("more-web", ProxyNetwork.url("web." + DOMAIN, ALLOWED_PORT, "more-web")),
                        new Fetch("more-one", ProxyNetwork.url("one." + DOMAIN, ALLOWED_PORT, "more-one")))));
        assertEquals(0, more.exitCode(), more.describe());
        assertTrue(more.stderr().contains("nstun: learned 4 destination(s) into " + learned), more.describe());
        String merged = Files.readString(learned);
        assertTrue(merged.contains("  - {domain: one." + DOMAIN + ", port: " + ALLOWED_PORT + ", network: tcp, outbound: proxy}"), merged);
        assertTrue(merged.matches("(?s).*\\{domain: web\\." + DOMAIN.replace(".", "\\.") + ", port: " + ALLOWED_PORT
                + ", network: tcp, outbound: proxy}  # first seen \\S+, [2-9] flows.*"), "flows count on across runs: " + merged);
    }

    @Test
    void aBadPatternIsRefusedWithTheFormsAccepted() throws Exception {
        NstunProcess p = NstunProcess.run("run", "--allow", "github.com", "--allow", "https://pypi.org", "--", "true");
        assertEquals(125, p.exitCode(), p.describe());
        List<String> lines = new ArrayList<>(List.of(p.stderr().split("\n")));
        assertEquals(1, lines.size(), p.describe());
        assertTrue(lines.get(0).startsWith("nstun: --allow 'https://pypi.org': a URL is no pattern"), p.describe());
        assertTrue(lines.get(0).contains("accepted forms: NAME, *.SUFFIX, ADDRESS"), p.describe());
    }

    private static void assertWholeFile(Result r) {
        assertNotNull(r, "no result");
        assertEquals(net.fileSha256(), r.sha256(), r.toString());
    }

    /** Asserts one "blocked" line for {@code what}, ending with the {@code --allow} that would let it through. */
    private static void assertBlockedOnce(String stderr, String what, String pattern) {
        String line = "nstun: blocked " + what + " (no rule allows it) ";
        int first = stderr.indexOf(line);
        assertTrue(first >= 0, "no line '" + line + "…' in:\n" + stderr);
        assertEquals(-1, stderr.indexOf(line, first + 1), "'" + line + "' twice:\n" + stderr);
        int end = stderr.indexOf('\n', first);
        assertTrue(stderr.substring(first, end).endsWith(" add --allow " + pattern), stderr.substring(first, end));
    }

    private static String udpProbe(Path dir, String host, int port, String label) throws Exception {
        Path probe = dir.resolve("udp-probe.py");
        if (!Files.exists(probe)) Files.writeString(probe, UDP_PROBE);
        return "python3 " + probe + " " + host + " " + port + " " + label + "\n";
    }
}
