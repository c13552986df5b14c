package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * nstun's resolver at 198.18.0.2 in fake-IP mode, with the upstream (dnsmasq in a
 * {@link ProxyNetwork}) reached through dante: A/AAAA get fake addresses at once, their PTR gives
 * the name back, other types come from the upstream through the proxy, over UDP and TCP alike, and
 * no DNS packet leaves the host outside the proxy's connection.
 *
 * <p>One {@code nstun run} asks every query (a run costs seconds of start-up); the tests below
 * each check a part of the answers.
 */
class DnsIT {
    private static final String WEB = ProxyNetwork.WEB;
    private static final String OTHER = "one." + ProxyNetwork.DOMAIN;
    /** A label only this run's queries carry: found in a capture, it would be one of them. */
    private static final String TOKEN = "leak" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private static final String LEAK_NAME = TOKEN + "." + ProxyNetwork.DOMAIN;
    private static final String CONTROL = "control" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());

    private static ProxyNetwork net;
    private static Path dir;
    private static PacketCapture everywhere;
    private static PacketCapture link;
    private static NstunProcess run;
    private static Map<String, List<String>> answers;

    @BeforeAll
    static void askEverythingOnce() throws Exception {
        net = ProxyNetwork.start("dnsit");
        dir = Files.createTempDirectory("nstun-dnsit");
        everywhere = PacketCapture.start("any", "port 53", dir.resolve("any.pcap"));
        // A query the host sends itself, straight to dnsmasq: the capture must see it.
        Requirements.run(dir, "dig", "+tries=1", "+timeout=2", "@" + net.peer4(), "A", CONTROL + "." + ProxyNetwork.DOMAIN);
        link = PacketCapture.start(net.net().hostInterface(), "port 53 or port " + ProxyNetwork.DANTE_PORT, dir.resolve("veth.pcap"));
        Path policy = Files.writeString(dir.resolve("policy.yaml"), String.join("\n",
                "outbounds:",
                "  - " + net.dante().outbound("dante"),
                "rules:",
                "  - {outbound: dante}",
                "dns: {mode: fake-ip, upstream: \"tcp://" + net.peer4() + ":" + ProxyNetwork.DNS_PORT + "\", via: dante}", ""));
        String script = String.join("\n",
                "q() { label=$1; shift; echo \"== $label\"; dig +short +tries=1 +timeout=5 \"$@\" 2>&1; }",
                "q a1 A " + WEB,
                "q a2 A " + WEB,
                "q other A " + OTHER,
                "q aaaa1 AAAA " + WEB,
                "q aaaa2 AAAA " + WEB,
                "a=$(dig +short +tries=1 +timeout=5 A " + WEB + " | head -n1)",
                "q ptr4 -x \"$a\"",
                "a6=$(dig +short +tries=1 +timeout=5 AAAA " + WEB + " | head -n1)",
                "q ptr6 -x \"$a6\"",
                "q mx MX " + ProxyNetwork.DOMAIN,
                "q txt TXT " + ProxyNetwork.DOMAIN,
                "q tcpA +tcp A " + WEB,
                "q tcpMx +tcp MX " + ProxyNetwork.DOMAIN,
                "q leakA A " + LEAK_NAME,
                "q leakAaaa AAAA " + LEAK_NAME,
                "q leakMx MX " + LEAK_NAME,
                "q leakTcpTxt +tcp TXT " + LEAK_NAME,
                "echo '== end'", "");
        run = NstunProcess.run("run", "-p", policy.toString(), "--", "sh", "-c", script);
        everywhere.stop();
        link.stop();
        answers = parse(run.stdout());
    }

    @AfterAll
    static void cleanUp() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {everywhere, link, net}) {
            if (c != null) c.close();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void theCommandRanToTheEnd() {
        assertEquals(0, run.exitCode(), run.describe());
        assertTrue(answers.containsKey("end"), run.describe());
    }

    @Test
    void aGetsAFakeIpv4Address() {
        InetAddress a = single("a1");
        assertTrue(a instanceof Inet4Address && inPrefix(a, "198.18.0.0", 15), "A " + WEB + ": got " + a + ", want one in 198.18.0.0/15");
    }

    @Test
    void aaaaGetsAFakeIpv6Address() {
        InetAddress a = single("aaaa1");
        assertTrue(a instanceof Inet6Address && inPrefix(a, "fd4e:5354:554e::", 64),
                "AAAA " + WEB + ": got " + a + ", want one in fd4e:5354:554e::/64");
    }

    @Test
    void aNameKeepsItsAddressAndAnotherNameGetsAnother() {
        assertAll(
                () -> assertEquals(single("a1"), single("a2"), "A twice"),
                () -> assertEquals(single("aaaa1"), single("aaaa2"), "AAAA twice"),
                () -> assertNotEquals(single("a1"), single("other"), WEB + " and " + OTHER + " share an address"));
    }

    @Test
    void reverseLookupOfAFakeAddressGivesTheName() {
        assertAll(
                () -> assertEquals(List.of(WEB + "."), answers.get("ptr4"), "PTR of the fake IPv4 address: " + run.describe()),
                () -> assertEquals(List.of(WEB + "."), answers.get("ptr6"), "PTR of the fake IPv6 address: " + run.describe()));
    }

    @Test
    void mxAndTxtComeFromTheUpstreamThroughTheProxy() throws Exception {
        String log = net.dnsmasqLog();
        String viaDante = ProxyNetwork.DOMAIN + " from " + net.dante().source4();
        assertAll(
                () -> assertEquals(List.of(ProxyNetwork.MX_PREFERENCE + " " + ProxyNetwork.MX_HOST + "."), answers.get("mx"), run.describe()),
                () -> assertEquals(List.of("\"" + net.txt() + "\""), answers.get("txt"), run.describe()),
                () -> assertTrue(log.contains("query[MX] " + viaDante), "dnsmasq got no MX query from dante's address:\n" + log),
                () -> assertTrue(log.contains("query[TXT] " + viaDante), "dnsmasq got no TXT query from dante's address:\n" + log));
    }

    @Test
    void queriesOverTcpAreAnsweredToo() {
        assertAll(
                () -> assertEquals(single("a1"), single("tcpA"), "A over TCP"),
                () -> assertEquals(List.of(ProxyNetwork.MX_PREFERENCE + " " + ProxyNetwork.MX_HOST + "."), answers.get("tcpMx"),
                        "MX over TCP: " + run.describe()));
    }

    @Test
    void noDnsPacketLeavesTheHostOutsideTheProxy() throws Exception {
        String log = net.dnsmasqLog();
        assertAll(
                // The capture works: it saw the host's own control query.
                () -> assertTrue(everywhere.contains(CONTROL), "tcpdump on any did not see the control query"),
                // nstun answered and relayed this run's queries...
                () -> assertTrue(inPrefix(single("leakA"), "198.18.0.0", 15), "A " + LEAK_NAME + ": " + run.describe()),
                () -> assertTrue(log.contains("query[MX] " + LEAK_NAME + " from " + net.dante().source4()),
                        "the MX query did not reach the upstream through dante:\n" + log),
                () -> assertTrue(log.contains("query[TXT] " + LEAK_NAME + " from " + net.dante().source4()),
                        "the TXT query over TCP did not reach the upstream through dante:\n" + log),
                // ...yet no packet to or from port 53 on any interface of the host carried them,
                () -> assertFalse(everywhere.contains(TOKEN), "a query for " + LEAK_NAME + " crossed port 53 on the host:\n"
                        + everywhere.packets("port 53")),
                // and the link to the proxies carried the proxy connection, no DNS.
                () -> assertEquals("", link.packets("port 53"), "DNS on the link to the proxies"),
                () -> assertTrue(link.count("tcp port " + ProxyNetwork.DANTE_PORT) > 0, "no connection to dante"));
    }

    /** Returns the one address a query gave, failing with the run's output otherwise. */
    @Test
    void forwardModeRelaysEveryQueryAndFlowsGoByAddress() throws Exception {
        Path policy = Files.writeString(dir.resolve("forward.yaml"), String.join("\n",
                "outbounds:",
                "  - " + net.dante().outbound("dante"),
                "rules:",
                "  - {outbound: dante}",
                "dns: {mode: forward, upstream: \"tcp://" + net.peer4() + ":" + ProxyNetwork.DNS_PORT + "\", via: dante}", ""));
        NstunProcess p = NstunProcess.run("run", "-p", policy.toString(), "--", "sh", "-c",
                "dig +short +tries=1 +timeout=5 A " + WEB + "; echo ==; dig -x 198.18.1.0 +short +tries=1 +timeout=5; echo ==;"
                        + " curl -sS --max-time 10 -o /dev/null -w '%{http_code}\\n' " + ProxyNetwork.url(WEB, ProxyNetwork.WEB_PORTS.get(0), "forward"));
        assertEquals(0, p.exitCode(), p.describe());
        String[] parts = p.stdout().split("==\n", -1);
        assertEquals(net.peer4(), parts[0].trim(), "forward mode gives the upstream's real address: " + p.describe());
        assertFalse(parts[1].contains(WEB), "no fake addresses in forward mode: " + p.describe());
        assertEquals("200", parts[2].trim(), "the flow went by address through dante: " + p.describe());
    }

    private static InetAddress single(String label) {
        List<String> lines = answers.get(label);
        assertTrue(lines != null && lines.size() == 1 && lines.get(0).matches("[0-9A-Fa-f:.]+"),
                label + ": want one address, got " + lines + "\n" + run.describe());
        try {
            return InetAddress.getByName(lines.get(0));
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean inPrefix(InetAddress a, String prefix, int length) {
        byte[] x = a.getAddress();
        byte[] p;
        try {
            p = InetAddress.getByName(prefix).getAddress();
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
        if (x.length != p.length) return false;
        for (int bit = 0; bit < length; bit++) {
            int mask = 0x80 >>> (bit % 8);
            if ((x[bit / 8] & mask) != (p[bit / 8] & mask)) return false;
        }
        return true;
    }

    /** Splits the script's output into the answer lines of each "== label". */
    private static Map<String, List<String>> parse(String stdout) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        List<String> current = null;
        for (String line : stdout.split("\n")) {
            if (line.startsWith("== ")) {
                current = new ArrayList<>();
                out.put(line.substring(3), current);
            } else if (current != null && !line.isBlank()) {
                current.add(line.strip());
            }
        }
        return out;
    }
}
