package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nstun run -p FILE}: flows follow the policy's rules. A web server in a test namespace is
 * reached through a real SOCKS5 proxy (microsocks on the host's loopback) when a rule says so —
 * proven by stopping the proxy and seeing the same request fail — and a reject rule refuses at once.
 */
class PolicyIT {
    private static final int WEB_PORT = 8088;
    private static TestNetwork net;
    private static Process web;
    private static Path site;
    private static byte[] page;

    @BeforeAll
    static void setUp() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("microsocks");
        Requirements.requireCommand("curl");
        net = TestNetwork.create("policyit");
        site = Files.createTempDirectory("nstun-policyit");
        page = new byte[300_000];
        new Random(5).nextBytes(page);
        Files.write(site.resolve("page.bin"), page);
        web = net.serveFiles(site, WEB_PORT);
        net.awaitListening(web, WEB_PORT);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (net != null) net.close();
        if (site != null) {
            Files.deleteIfExists(site.resolve("page.bin"));
            Files.deleteIfExists(site);
        }
    }

    @Test
    void aRuleSendsTheFlowThroughTheSocksProxy(@TempDir Path dir) throws Exception {
        int proxyPort = freePort();
        Path policy = Files.writeString(dir.resolve("policy.yaml"), String.join("\n",
                "outbounds:",
                "  - {name: proxy, type: socks5, server: \"127.0.0.1:" + proxyPort + "\"}",
                "rules:",
                "  - {port: [9], outbound: reject}",
                "  - {ip-cidr: [" + net.peer4() + "/32], outbound: proxy}",
                "  - {outbound: reject}",
                "dns: {via: direct}", ""));
        String fetch = "curl -sS --max-time 10 http://" + net.peer4() + ":" + WEB_PORT + "/page.bin | sha256sum";
        Process proxy = new ProcessBuilder("microsocks", "-i", "127.0.0.1", "-p", Integer.toString(proxyPort))
                .redirectErrorStream(true).redirectOutput(dir.resolve("microsocks.log").toFile()).start();
        try {
            awaitPort(proxyPort);
            NstunProcess through = NstunProcess.run("run", "-p", policy.toString(), "--", "sh", "-c", fetch);
            assertEquals(0, through.exitCode(), through.describe());
            assertEquals(TcpIT.sha256(page) + "  -\n", through.stdout(), through.describe());
        } finally {
            proxy.destroy();
            proxy.waitFor(5, TimeUnit.SECONDS);
        }
        // The same request with the proxy gone: refused at once, and never sent around the proxy.
        NstunProcess without = NstunProcess.run("run", "-p", policy.toString(), "--", "sh", "-c",
                "curl -sS --max-time 10 -o /dev/null http://" + net.peer4() + ":" + WEB_PORT + "/page.bin; echo exit=$?");
        assertTrue(without.stdout().contains("exit=7"), "curl must fail to connect: " + without.describe());
    }

    @Test
    void rejectRulesRefuseAtOnceAndTheFinalRuleCatchesTheRest(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), String.join("\n",
                "rules:",
                "  - {port: [9], outbound: reject}",
                "  - {ip-cidr: [" + net.peer4() + "/32], outbound: direct}", ""));
        NstunProcess p = NstunProcess.run("run", "-p", policy.toString(), "--", "sh", "-c",
                "curl -sS --max-time 10 -o /dev/null -w 'direct=%{http_code}\\n' http://" + net.peer4() + ":" + WEB_PORT + "/page.bin; "
                        + "curl -sS --max-time 10 http://" + net.peer4() + ":9/ 2>/dev/null; echo port9=$?; "
                        + "curl -g -sS --max-time 10 http://[" + net.peer6() + "]:" + WEB_PORT + "/ 2>/dev/null; echo v6=$?");
        assertEquals(0, p.exitCode(), p.describe());
        assertTrue(p.stdout().contains("direct=200"), p.describe());
        assertTrue(p.stdout().contains("port9=7"), "reject: connection refused: " + p.describe());
        assertTrue(p.stdout().contains("v6=7"), "no final rule: rejected (fail closed): " + p.describe());
    }

    @Test
    void aBrokenPolicyIsRefusedWithItsPosition(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("broken.yaml"), "rules:\n  - {ip-cidr: [10.0.0.0/8], outbond: direct}\n");
        NstunProcess p = NstunProcess.run("run", "-p", policy.toString(), "--", "true");
        assertEquals(125, p.exitCode(), p.describe());
        assertTrue(p.stderr().contains(policy + ":2:29: unknown key 'outbond'"), p.describe());
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(int port) throws Exception {
        for (int i = 0; i < 100; i++) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (java.io.IOException e) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("microsocks did not listen on " + port);
    }
}
