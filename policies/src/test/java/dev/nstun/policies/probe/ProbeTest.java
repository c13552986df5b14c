package dev.nstun.policies.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nstun.policies.config.FakeEnvironment;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyLoader;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.policies.outbound.RealServers;
import dev.nstun.policies.outbound.RealServers.Daemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Probe} against real servers on 127.0.0.1: microsocks (open, and with a password; no UDP
 * ASSOCIATE), dante (with UDP ASSOCIATE), tinyproxy (open, and with a password allowing CONNECT to
 * port 443 only), a dead port, tinyproxy addressed as if it were SOCKS5, and dnsmasq as the DNS
 * upstream (one answering NXDOMAIN for the root, one REFUSED).
 */
class ProbeTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final List<Daemon> daemons = new ArrayList<>();
    private static Path dir;
    private static int dns;
    private static int refusingDns;
    private static int microsocks;
    private static int microsocksAuth;
    private static int dante;
    private static int tinyproxy;
    private static int tinyproxyAuth;

    @BeforeAll
    static void start(@TempDir Path tmp) throws Exception {
        dir = tmp;
        dns = RealServers.freeUdpAndTcpPort();
        daemons.add(RealServers.dnsmasq(dir, "dnsmasq", dns, "--local=/#/"));
        refusingDns = RealServers.freeUdpAndTcpPort();
        daemons.add(RealServers.dnsmasq(dir, "dnsmasq-refusing", refusingDns));
        microsocks = RealServers.freePort();
        daemons.add(RealServers.microsocks(dir, "microsocks", microsocks));
        microsocksAuth = RealServers.freePort();
        daemons.add(RealServers.microsocks(dir, "microsocks-auth", microsocksAuth, "-u", "nstun", "-P", "s3cret"));
        dante = RealServers.freePort();
        daemons.add(RealServers.dante(dir, "danted", dante, "none", "connect udpassociate"));
        tinyproxy = RealServers.freePort();
        daemons.add(RealServers.tinyproxy(dir, "tinyproxy", tinyproxy, "", dns));
        tinyproxyAuth = RealServers.freePort();
        daemons.add(RealServers.tinyproxy(dir, "tinyproxy-auth", tinyproxyAuth, "BasicAuth nstun s3cret", 443));
    }

    @AfterAll
    static void stop() {
        daemons.forEach(Daemon::close);
    }

    private static List<String> probe(String yaml) throws Exception {
        Path file = Files.writeString(dir.resolve("p.yaml"), yaml);
        Policy policy = PolicyLoader.load(file, new FakeEnvironment());
        List<String> lines = new ArrayList<>();
        for (Probe.Result result : Probe.run(policy, new Connectors(), TIMEOUT)) {
            lines.add(result.line().replaceAll("\\(\\d+ ms\\)$", "(N ms)").replace(file.toString(), "p.yaml"));
        }
        return lines;
    }

    @Test
    void everyProxyAndTheDnsUpstreamInPolicyOrder() throws Exception {
        int dead = RealServers.freePort();
        List<String> lines = probe("""
                outbounds:
                  - {name: open, type: socks5, server: "127.0.0.1:%1$d"}
                  - {name: auth, type: socks5, server: "127.0.0.1:%2$d", username: nstun, password: s3cret}
                  - {name: wrong-pw, type: socks5, server: "127.0.0.1:%2$d", username: nstun, password: wrong}
                  - {name: no-udp, type: socks5, server: "127.0.0.1:%1$d", udp: true}
                  - {name: dante, type: socks5, server: "127.0.0.1:%3$d", udp: true}
                  - {name: web, type: http, server: "127.0.0.1:%4$d"}
                  - {name: web-auth, type: http, server: "127.0.0.1:%5$d", username: nstun, password: s3cret}
                  - {name: dead, type: socks5, server: "127.0.0.1:%6$d"}
                  - {name: not-socks, type: socks5, server: "127.0.0.1:%4$d"}
                  - {name: lan, type: direct}
                dns: {upstream: "tcp://127.0.0.1:%7$d", via: dante}
                rules:
                  - {outbound: open}
                """.formatted(microsocks, microsocksAuth, dante, tinyproxy, tinyproxyAuth, dead, dns));
        String upstream = "127.0.0.1:" + dns;
        assertEquals(List.of(
                "ok   open socks5 127.0.0.1:" + microsocks + ": connected, no authentication required, CONNECT " + upstream + " ok (N ms)",
                "ok   auth socks5 127.0.0.1:" + microsocksAuth + ": connected, authenticated as nstun, CONNECT " + upstream + " ok (N ms)",
                "FAIL wrong-pw socks5 127.0.0.1:" + microsocksAuth + ": connected, then rejected the username/password for nstun"
                        + " — check username and password (p.yaml:4) (N ms)",
                "FAIL no-udp socks5 127.0.0.1:" + microsocks + ": connected, no authentication required, CONNECT " + upstream + " ok,"
                        + " then UDP ASSOCIATE not supported (it answered \"command not supported\"): UDP flows through no-udp would be"
                        + " refused — remove udp: true (p.yaml:5) (N ms)",
                "ok   dante socks5 127.0.0.1:" + dante + ": connected, no authentication required, CONNECT " + upstream + " ok,"
                        + " UDP ASSOCIATE supported (N ms)",
                "ok   web http 127.0.0.1:" + tinyproxy + ": connected, CONNECT " + upstream + " ok (N ms)",
                "ok   web-auth http 127.0.0.1:" + tinyproxyAuth + ": connected, CONNECT " + upstream + " failed (does not allow CONNECT"
                        + " to " + upstream + " (403 Access violation); " + upstream + " is only a test destination, so the credentials"
                        + " are not confirmed) (N ms)",
                "FAIL dead socks5 127.0.0.1:" + dead + ": connection refused — is the proxy running? check server: (p.yaml:9) (N ms)",
                "FAIL not-socks socks5 127.0.0.1:" + tinyproxy + ": connected, then did not answer the greeting within 2s — is"
                        + " 127.0.0.1:" + tinyproxy + " a SOCKS5 proxy? (p.yaml:10) (N ms)",
                "ok   dns tcp://" + upstream + " via dante: answered NS . with NXDOMAIN, 0 records (N ms)"), lines);
    }

    @Test
    void dnsOverUdpThroughAProxyAndDirect() throws Exception {
        assertEquals(List.of(
                "ok   dante socks5 127.0.0.1:" + dante + ": connected, no authentication required, CONNECT 127.0.0.1:" + dns + " ok,"
                        + " UDP ASSOCIATE supported (N ms)",
                "ok   dns udp://127.0.0.1:" + dns + " via dante: answered NS . with NXDOMAIN, 0 records (N ms)"),
                probe("""
                        outbounds: [{name: dante, type: socks5, server: "127.0.0.1:%d", udp: true}]
                        dns: {upstream: "udp://127.0.0.1:%d"}
                        rules: [{outbound: dante}]
                        """.formatted(dante, dns)));
        assertEquals(List.of("ok   dns udp://127.0.0.1:" + dns + " via direct: answered NS . with NXDOMAIN, 0 records (N ms)"),
                probe("dns: {upstream: \"udp://127.0.0.1:%d\"}\nrules: [{outbound: direct}]\n".formatted(dns)));
    }

    @Test
    void dnsFailuresSayWhy() throws Exception {
        assertEquals(List.of("FAIL dns tcp://127.0.0.1:" + refusingDns + " via direct: answered NS . with REFUSED — the upstream does"
                        + " not resolve for nstun; check dns.upstream (N ms)"),
                probe("dns: {upstream: \"tcp://127.0.0.1:%d\"}\nrules: [{outbound: direct}]\n".formatted(refusingDns)));
        int closed = RealServers.freePort();
        assertEquals(List.of("FAIL dns tcp://127.0.0.1:" + closed + " via direct: Connection refused: 127.0.0.1:" + closed + " (N ms)"),
                probe("dns: {upstream: \"tcp://127.0.0.1:%d\"}\nrules: [{outbound: direct}]\n".formatted(closed)));
        assertEquals(List.of("skip dns tcp://9.9.9.9:53 via reject: queries go through a reject outbound, so only the fake-ip"
                        + " answers (A, AAAA) work"),
                probe("rules: [{domain: example.com, outbound: direct}]\n"));
    }
}
