package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * Outbound groups through real proxies (dante and tinyproxy in a {@link ProxyNetwork}): a fallback
 * group whose first proxy is down, refusing connections or silently unreachable (an address on the
 * test link nobody answers for, {@link TestNetwork#absent4()}), carries the command's connections
 * through its second proxy with nothing seen by the command, in less than the group's timeout; a
 * round-robin group spreads connections over its proxies. Which proxy carried a request is read
 * from the web server's log: each proxy connects from an address of its own.
 */
class FailoverIT {
    private static final int AFTER_REFUSED_WEB = ProxyNetwork.WEB_PORTS.get(0);
    private static final int AFTER_SILENT_WEB = ProxyNetwork.WEB_PORTS.get(1);
    private static final int SPREAD_WEB = ProxyNetwork.WEB_PORTS.get(2);
    /** A port of the peer where nothing listens: its kernel refuses at once. */
    private static final int CLOSED_PORT = 1099;
    /** The silent member's own connect-timeout, and the group's, which bounds the connect time. */
    private static final long SILENT_MEMBER_TIMEOUT_MILLIS = 1000;
    private static final long GROUP_TIMEOUT_MILLIS = 3000;
    private static ProxyNetwork net;

    @BeforeAll
    static void startServers() throws Exception {
        net = ProxyNetwork.start("failover");
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (net != null) net.close();
    }

    @Test
    void aFallbackGroupCarriesFlowsThroughTheSecondProxyWhenTheFirstIsDown(@TempDir Path dir) throws Exception {
        Path policy = policy(dir);
        List<Fetch> fetches = new ArrayList<>();
        for (String label : List.of("refused-1", "refused-2", "refused-3")) {
            fetches.add(new Fetch(label, ProxyNetwork.url(net.peer4(), AFTER_REFUSED_WEB, label)));
        }
        for (String label : List.of("silent-1", "silent-2", "silent-3")) {
            fetches.add(new Fetch(label, ProxyNetwork.url(net.peer4(), AFTER_SILENT_WEB, label)));
        }
        NstunProcess p = NstunProcess.run("run", "-p", policy.toString(), "--", "sh", "-c", Fetches.script(fetches));
        assertEquals(0, p.exitCode(), p.describe());
        Map<String, Result> r = Fetches.parse(p.stdout());
        assertEquals(fetches.size(), r.size(), "a result per request: " + p.describe());
        List<String> warnings = p.stderr().lines().filter(l -> l.contains("failed") && l.contains("member")).toList();
        assertAll(
                () -> assertCarriedBy(r.get("refused-1"), net.dante().source4()),
                () -> assertCarriedBy(r.get("refused-2"), net.dante().source4()),
                () -> assertCarriedBy(r.get("refused-3"), net.dante().source4()),
                () -> assertCarriedBy(r.get("silent-1"), net.tinyproxy().source4()),
                () -> assertCarriedBy(r.get("silent-2"), net.tinyproxy().source4()),
                () -> assertCarriedBy(r.get("silent-3"), net.tinyproxy().source4()),
                // The silent member costs the first flow its own timeout, never more than the group's.
                () -> assertTrue(r.get("silent-1").millis() >= SILENT_MEMBER_TIMEOUT_MILLIS,
                        "the first flow waited for the silent member: " + r.get("silent-1")),
                () -> assertTrue(r.get("silent-1").millis() < GROUP_TIMEOUT_MILLIS, "bounded by the group's timeout: " + r.get("silent-1")),
                // Backed off, it is tried after the working member: the next flows do not wait for it.
                () -> assertTrue(r.get("silent-2").millis() < SILENT_MEMBER_TIMEOUT_MILLIS, "backed off: " + r.get("silent-2")),
                () -> assertTrue(r.get("refused-1").millis() < SILENT_MEMBER_TIMEOUT_MILLIS, "a refusal costs no wait: " + r.get("refused-1")),
                () -> assertEquals(2, warnings.size(), "one line per failed member, not per flow: " + p.describe() + "\ndante:\n" + net.danteLog()),
                () -> assertTrue(warnings.stream().anyMatch(l -> l.contains("member refused")), "names the member: " + warnings),
                () -> assertTrue(warnings.stream().anyMatch(l -> l.contains("member silent")), "names the member: " + warnings));
    }

    @Test
    void aRoundRobinGroupSpreadsFlowsOverItsProxies(@TempDir Path dir) throws Exception {
        Path policy = policy(dir);
        List<Fetch> fetches = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            fetches.add(new Fetch("spread-" + i, ProxyNetwork.url(net.peer4(), SPREAD_WEB, "spread-" + i)));
        }
        NstunProcess p = NstunProcess.run("run", "-p", policy.toString(), "--", "sh", "-c", Fetches.script(fetches));
        assertEquals(0, p.exitCode(), p.describe());
        Map<String, Result> r = Fetches.parse(p.stdout());
        int dante = 0;
        int tinyproxy = 0;
        for (Fetch f : fetches) {
            Result result = r.get(f.label());
            assertNotNull(result, "no result for " + f.label() + ": " + p.describe());
            assertEquals(0, result.exit(), result.toString());
            assertEquals(net.fileSha256(), result.sha256(), result.toString());
            String client = net.webClient(f.label());
            if (ProxyIT.sameAddress(client, net.dante().source4())) dante++;
            if (ProxyIT.sameAddress(client, net.tinyproxy().source4())) tinyproxy++;
        }
        assertEquals(List.of(3, 3), List.of(dante, tinyproxy), "flows through dante and tinyproxy:\n" + net.webLog());
    }

    /**
     * Writes the policy: a fallback group from a refusing proxy to dante, one from a silent proxy to
     * tinyproxy, a round-robin group over dante and tinyproxy, each behind a port of the web server.
     */
    private static Path policy(Path dir) throws Exception {
        String peer4 = net.peer4() + "/32";
        List<String> lines = List.of(
                "outbounds:",
                "  - " + net.dante().outbound("dante", "connect-timeout: 2s"),
                "  - " + net.tinyproxy().outbound("tinyproxy", "connect-timeout: 2s"),
                "  - {name: refused, type: socks5, server: \"" + net.peer4() + ":" + CLOSED_PORT + "\", connect-timeout: 2s}",
                "  - {name: silent, type: socks5, server: \"" + net.net().absent4() + ":1080\", connect-timeout: "
                        + SILENT_MEMBER_TIMEOUT_MILLIS + "ms}",
                "  - {name: after-refused, type: fallback, members: [refused, dante], connect-timeout: " + GROUP_TIMEOUT_MILLIS + "ms}",
                "  - {name: after-silent, type: fallback, members: [silent, tinyproxy], connect-timeout: " + GROUP_TIMEOUT_MILLIS + "ms}",
                "  - {name: spread, type: round-robin, members: [dante, tinyproxy]}",
                "dns: {upstream: \"tcp://" + net.peer4() + ":" + ProxyNetwork.DNS_PORT + "\", via: dante}",
                "rules:",
                "  - {ip-cidr: " + peer4 + ", port: " + AFTER_REFUSED_WEB + ", outbound: after-refused}",
                "  - {ip-cidr: " + peer4 + ", port: " + AFTER_SILENT_WEB + ", outbound: after-silent}",
                "  - {ip-cidr: " + peer4 + ", port: " + SPREAD_WEB + ", outbound: spread}",
                "  - {outbound: reject}",
                "");
        return Files.writeString(dir.resolve("policy.yaml"), String.join("\n", lines));
    }

    /** Asserts curl got the whole file (exit 0, checksum) and the web server saw it come from {@code source}. */
    private static void assertCarriedBy(Result r, String source) throws Exception {
        assertNotNull(r, "no result");
        assertEquals(0, r.exit(), r.toString());
        assertEquals(net.fileSha256(), r.sha256(), r.toString());
        String client = net.webClient(r.label());
        assertNotNull(client, "the web server saw no request " + r.label() + ":\n" + net.webLog());
        assertTrue(ProxyIT.sameAddress(client, source), r.label() + " reached the web server from " + client + ", not from " + source);
    }
}
