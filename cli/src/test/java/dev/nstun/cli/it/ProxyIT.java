package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nstun.cli.it.Fetches.Fetch;
import dev.nstun.cli.it.Fetches.Result;
import dev.nstun.cli.it.ProxyNetwork.Proxy;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flows through real proxies (dante, microsocks, tinyproxy in a {@link ProxyNetwork}) as a policy,
 * {@code --socks5} or {@code --http} says. Which proxy carried a request is read on the server side:
 * each proxy connects to the web server from an address of its own. The test names resolve only
 * inside the proxies' namespace, so a request by name succeeds only if the name travelled to the
 * proxy.
 */
class ProxyIT {
    private static final int DANTE_WEB = ProxyNetwork.WEB_PORTS.get(0);
    private static final int MICROSOCKS_WEB = ProxyNetwork.WEB_PORTS.get(1);
    private static final int TINYPROXY_WEB = ProxyNetwork.WEB_PORTS.get(2);
    /** What the command sees of a refused connection, well before any timeout. */
    private static final long REFUSED_WITHIN_MILLIS = 500;
    private static ProxyNetwork net;

    @BeforeAll
    static void startServers() throws Exception {
        net = ProxyNetwork.start("proxyit");
        net.assertHostCannotResolve();
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (net != null) net.close();
    }

    @Test
    void byAddressEachRuleSendsItsFlowsThroughItsProxy(@TempDir Path dir) throws Exception {
        String peer4 = net.peer4() + "/32";
        String peer6 = "\"" + net.peer6() + "/128\"";
        Path policy = policy(dir,
                "rules:",
                "  - {port: 9, outbound: reject}",
                "  - {ip-cidr: " + peer4 + ", port: " + DANTE_WEB + ", outbound: dante}",
                "  - {ip-cidr: " + peer4 + ", port: " + MICROSOCKS_WEB + ", outbound: microsocks}",
                "  - {ip-cidr: " + peer4 + ", port: " + TINYPROXY_WEB + ", outbound: tinyproxy}",
                "  - {ip-cidr: " + peer6 + ", port: " + DANTE_WEB + ", outbound: dante}",
                "  - {ip-cidr: " + peer6 + ", port: " + MICROSOCKS_WEB + ", outbound: microsocks}",
                "  - {outbound: reject}");
        Map<String, Result> r = fetch(policy,
                new Fetch("dante4", ProxyNetwork.url(net.peer4(), DANTE_WEB, "dante4")),
                new Fetch("microsocks4", ProxyNetwork.url(net.peer4(), MICROSOCKS_WEB, "microsocks4")),
                new Fetch("tinyproxy4", ProxyNetwork.url(net.peer4(), TINYPROXY_WEB, "tinyproxy4")),
                new Fetch("dante6", ProxyNetwork.url(net.peer6(), DANTE_WEB, "dante6")),
                new Fetch("microsocks6", ProxyNetwork.url(net.peer6(), MICROSOCKS_WEB, "microsocks6")),
                new Fetch("port9", ProxyNetwork.url(net.peer4(), 9, "port9")),
                new Fetch("final6", ProxyNetwork.url(net.peer6(), TINYPROXY_WEB, "final6")));
        assertAll(
                () -> assertCarriedBy(r.get("dante4"), net.dante().source4()),
                () -> assertCarriedBy(r.get("microsocks4"), net.microsocks().source4()),
                () -> assertCarriedBy(r.get("tinyproxy4"), net.tinyproxy().source4()),
                () -> assertCarriedBy(r.get("dante6"), net.dante().source6()),
                () -> assertCarriedBy(r.get("microsocks6"), net.microsocks().source6()),
                () -> assertRefusedAtOnce(r.get("port9")),
                () -> assertRefusedAtOnce(r.get("final6")));
    }

    @Test
    void byNameEachRuleSendsItsFlowsThroughItsProxy(@TempDir Path dir) throws Exception {
        Path policy = policy(dir,
                "rules:",
                "  - {domain: blocked." + ProxyNetwork.DOMAIN + ", outbound: reject}",
                "  - {domain: one." + ProxyNetwork.DOMAIN + ", outbound: dante}",
                "  - {domain: two." + ProxyNetwork.DOMAIN + ", outbound: microsocks}",
                "  - {domain-suffix: three." + ProxyNetwork.DOMAIN + ", outbound: tinyproxy}",
                "  - {outbound: reject}");
        Map<String, Result> r = fetch(policy,
                new Fetch("one", ProxyNetwork.url("one." + ProxyNetwork.DOMAIN, DANTE_WEB, "one")),
                new Fetch("two", ProxyNetwork.url("two." + ProxyNetwork.DOMAIN, DANTE_WEB, "two")),
                new Fetch("three", ProxyNetwork.url("three." + ProxyNetwork.DOMAIN, DANTE_WEB, "three")),
                new Fetch("blocked", ProxyNetwork.url("blocked." + ProxyNetwork.DOMAIN, DANTE_WEB, "blocked")),
                new Fetch("unmatched", ProxyNetwork.url(ProxyNetwork.WEB, DANTE_WEB, "unmatched")));
        assertAll(
                () -> assertCarriedBy(r.get("one"), net.dante().source4(), net.dante().source6()),
                () -> assertCarriedBy(r.get("two"), net.microsocks().source4(), net.microsocks().source6()),
                () -> assertCarriedBy(r.get("three"), net.tinyproxy().source4()),
                // Every flow to these names is rejected, so their lookups fail at once (NXDOMAIN).
                () -> assertNoSuchNameAtOnce(r.get("blocked")),
                () -> assertNoSuchNameAtOnce(r.get("unmatched")),
                // The proxies were asked for the names, not for addresses nstun looked up.
                () -> assertTrue(net.microsocksLog().contains("connected to two." + ProxyNetwork.DOMAIN + ":" + DANTE_WEB),
                        "microsocks was not asked for two." + ProxyNetwork.DOMAIN + ":\n" + net.microsocksLog()),
                () -> assertTrue(net.tinyproxyLog().contains("CONNECT three." + ProxyNetwork.DOMAIN + ":" + DANTE_WEB),
                        "tinyproxy was not asked for three." + ProxyNetwork.DOMAIN + ":\n" + net.tinyproxyLog()),
                () -> assertNoUpstreamLookupOf(List.of("one", "two", "three", "blocked")));
    }

    @Test
    void socks5OptionSendsEveryFlowThroughThatProxy() throws Exception {
        String script = Fetches.script(List.of(
                new Fetch("socks5-name", ProxyNetwork.url(ProxyNetwork.WEB, DANTE_WEB, "socks5-name")),
                new Fetch("socks5-address", ProxyNetwork.url(net.peer4(), DANTE_WEB, "socks5-address"))));
        NstunProcess p = NstunProcess.run("run", "--socks5", net.dante().url(), "--", "sh", "-c", script);
        assertEquals(0, p.exitCode(), p.describe());
        Map<String, Result> r = Fetches.parse(p.stdout());
        assertAll(
                () -> assertCarriedBy(r.get("socks5-name"), net.dante().source4(), net.dante().source6()),
                () -> assertCarriedBy(r.get("socks5-address"), net.dante().source4()));
    }

    @Test
    void httpOptionSendsEveryFlowThroughThatProxy() throws Exception {
        String script = Fetches.script(List.of(
                new Fetch("http-name", ProxyNetwork.url(ProxyNetwork.WEB, TINYPROXY_WEB, "http-name")),
                new Fetch("http-address", ProxyNetwork.url(net.peer4(), TINYPROXY_WEB, "http-address"))));
        NstunProcess p = NstunProcess.run("run", "--http", net.tinyproxy().url(), "--", "sh", "-c", script);
        assertEquals(0, p.exitCode(), p.describe());
        Map<String, Result> r = Fetches.parse(p.stdout());
        assertAll(
                () -> assertCarriedBy(r.get("http-name"), net.tinyproxy().source4()),
                () -> assertCarriedBy(r.get("http-address"), net.tinyproxy().source4()));
    }

    @Test
    void udpGoesThroughDanteUdpAssociate(@TempDir Path dir) throws Exception {
        Path policy = policy(dir,
                "rules:",
                "  - {network: udp, port: " + ProxyNetwork.UDP_ECHO_PORT + ", outbound: dante-udp}",
                "  - {outbound: reject}");
        NstunProcess p = NstunProcess.run("run", "-p", policy.toString(), "--", "python3", "-c", UDP_CLIENT,
                net.peer4(), net.peer6(), Integer.toString(ProxyNetwork.UDP_ECHO_PORT));
        assertEquals(0, p.exitCode(), p.describe());
        String echo = net.udpEchoLog();
        assertAll(
                () -> assertTrue(p.stdout().contains(net.peer4() + " echoed"), "IPv4: " + p.describe()),
                () -> assertTrue(p.stdout().contains(net.peer6() + " echoed"), "IPv6: " + p.describe()),
                () -> assertTrue(echo.contains("UDP " + net.dante().source4() + " "), "dante relayed no IPv4 datagram:\n" + echo),
                () -> assertTrue(echo.lines().anyMatch(l -> l.startsWith("UDP ") && sameAddress(l.split(" ")[1], net.dante().source6())),
                        "dante relayed no IPv6 datagram:\n" + echo));
    }

    @Test
    void udpToASocksServerWithoutUdpAssociateIsRefusedAtOnceAndSaidOnce(@TempDir Path dir) throws Exception {
        Path policy = policy(dir,
                "rules:",
                "  - {network: udp, outbound: microsocks-udp}",
                "  - {outbound: reject}");
        // Three flows one after another: the first finds out, the others are refused as fast.
        String script = String.join("\n",
                "import socket, sys, time",
                "for n in range(3):",
                "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)",
                "    s.connect((sys.argv[1], int(sys.argv[2])))",
                "    t = time.monotonic()",
                "    try:",
                "        s.send(b'hello'); s.recv(100); print('flow', n, 'answered')",
                "    except ConnectionRefusedError:",
                "        print('flow', n, 'refused ms=%d' % ((time.monotonic() - t) * 1000))",
                "    except socket.timeout:",
                "        print('flow', n, 'timed out')",
                "    s.close()");
        NstunProcess p = NstunProcess.run("run", "-p", policy.toString(), "--", "python3", "-c", script,
                net.peer4(), Integer.toString(ProxyNetwork.UDP_ECHO_PORT));
        assertEquals(0, p.exitCode(), p.describe());
        List<Executable> checks = new ArrayList<>();
        Matcher m = Pattern.compile("flow (\\d) refused ms=(\\d+)").matcher(p.stdout());
        int refused = 0;
        while (m.find()) {
            refused++;
            long ms = Long.parseLong(m.group(2));
            String flow = m.group(1);
            checks.add(() -> assertTrue(ms < 1000, "flow " + flow + " refused only after " + ms + " ms: " + p.describe()));
        }
        int flows = refused;
        checks.add(() -> assertEquals(3, flows, "every UDP flow must be refused: " + p.describe()));
        List<String> lines = p.stderr().lines().filter(l -> l.toUpperCase(Locale.ROOT).contains("UDP ASSOCIATE")).toList();
        checks.add(() -> assertEquals(1, lines.size(), "one line on stderr about the missing UDP ASSOCIATE: " + p.describe()));
        checks.add(() -> assertTrue(lines.stream().allMatch(l -> l.contains("microsocks-udp") || l.contains(net.microsocks().server())),
                "the line names the outbound or its server: " + lines));
        assertAll(checks);
    }

    /** Sends a datagram to each address and prints whether it came back. */
    private static final String UDP_CLIENT = String.join("\n",
            "import os, socket, sys",
            "for host in sys.argv[1:3]:",
            "    family = socket.AF_INET6 if ':' in host else socket.AF_INET",
            "    s = socket.socket(family, socket.SOCK_DGRAM); s.settimeout(5)",
            "    s.connect((host, int(sys.argv[3])))",
            "    data = os.urandom(100)",
            "    try:",
            "        s.send(data); back = s.recv(1000)",
            "        print(host, 'echoed' if back == data else 'garbled')",
            "    except OSError as e:",
            "        print(host, 'failed:', e)");

    /** Writes the policy: every proxy of the fixture as an outbound, the given rules, DNS through dante. */
    private static Path policy(Path dir, String... rules) throws Exception {
        List<String> lines = new ArrayList<>(List.of(
                "outbounds:",
                "  - " + net.dante().outbound("dante"),
                "  - " + net.dante().outbound("dante-udp", "udp: true"),
                "  - " + net.microsocks().outbound("microsocks"),
                "  - " + net.microsocks().outbound("microsocks-udp", "udp: true"),
                "  - " + net.tinyproxy().outbound("tinyproxy"),
                "dns: {upstream: \"tcp://" + net.peer4() + ":" + ProxyNetwork.DNS_PORT + "\", via: dante}"));
        lines.addAll(List.of(rules));
        lines.add("");
        return Files.writeString(dir.resolve("policy.yaml"), String.join("\n", lines));
    }

    private static Map<String, Result> fetch(Path policy, Fetch... fetches) throws Exception {
        NstunProcess p = NstunProcess.run("run", "-p", policy.toString(), "--", "sh", "-c", Fetches.script(List.of(fetches)));
        assertEquals(0, p.exitCode(), p.describe());
        Map<String, Result> results = Fetches.parse(p.stdout());
        assertEquals(fetches.length, results.size(), "a result per request: " + p.describe());
        return results;
    }

    /** Asserts the request got the whole file and the web server saw it come from one of {@code sources}. */
    private static void assertCarriedBy(Result r, String... sources) throws Exception {
        assertNotNull(r, "no result");
        assertEquals(net.fileSha256(), r.sha256(), r.toString());
        String client = net.webClient(r.label());
        assertNotNull(client, "the web server saw no request " + r.label() + ":\n" + net.webLog());
        for (String s : sources) {
            if (s != null && sameAddress(client, s)) return;
        }
        fail(r.label() + " reached the web server from " + client + ", not from the proxy's " + String.join(" or ", sources));
    }

    /** Asserts curl saw "connection refused" (exit 7) well before any timeout. */
    static void assertRefusedAtOnce(Result r) {
        assertNotNull(r, "no result");
        assertEquals(7, r.exit(), "curl must see the connection refused: " + r);
        assertTrue(r.millis() < REFUSED_WITHIN_MILLIS, "refused only after " + r.millis() + " ms: " + r);
    }

    /** Asserts the request failed at once because its name does not resolve (nstun's resolver said NXDOMAIN). */
    static void assertNoSuchNameAtOnce(Result r) {
        assertNotNull(r, "no result");
        assertEquals(6, r.exit(), "curl must see no such name: " + r);
        assertTrue(r.millis() < REFUSED_WITHIN_MILLIS, "failed only after " + r.millis() + " ms: " + r);
    }

    /** Asserts nstun never asked the upstream DNS server for these names' addresses (names go to the proxy as they are). */
    private static void assertNoUpstreamLookupOf(List<String> labels) throws Exception {
        String log = net.dnsmasqLog();
        for (String label : labels) {
            for (String type : List.of("query[A] ", "query[AAAA] ")) {
                assertTrue(!log.contains(type + label + "." + ProxyNetwork.DOMAIN + " "),
                        "nstun looked " + label + "." + ProxyNetwork.DOMAIN + " up instead of passing the name on:\n" + log);
            }
        }
    }

    static boolean sameAddress(String a, String b) {
        try {
            // Literals only: getByName never looks a literal up.
            return a.matches("[0-9A-Fa-f:.]+") && b.matches("[0-9A-Fa-f:.]+") && InetAddress.getByName(a).equals(InetAddress.getByName(b));
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }
}
