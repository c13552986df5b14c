package dev.nstun.cli.it;

import static dev.nstun.cli.it.ProxyIT.assertNoSuchNameAtOnce;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.cli.it.Fetches.Fetch;
import dev.nstun.cli.it.Fetches.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rule-sets:} in a policy, end to end: a hosts list of 100 000 names, one of them a test
 * name, rejects that name (NXDOMAIN at once, nothing reaches the proxy or the upstream) while an
 * unlisted name passes through dante; SIGHUP reads the list again, and a name added to it is
 * rejected from then on.
 */
class RuleSetIT {
    private static final String DOMAIN = ProxyNetwork.DOMAIN;
    private static final int PORT = ProxyNetwork.WEB_PORTS.get(0);
    private static final int LISTED = 100_000;
    private static ProxyNetwork net;

    @BeforeAll
    static void startServers() throws Exception {
        net = ProxyNetwork.start("rulesetit");
        net.assertHostCannotResolve();
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (net != null) net.close();
    }

    /** Writes a hosts list of {@link #LISTED} names: made-up ones, and {@code extra} among them. */
    private static void writeList(Path file, String... extra) throws Exception {
        StringBuilder list = new StringBuilder("# a block list in hosts format\n0.0.0.0 0.0.0.0\n");
        for (int i = 0; i < LISTED - extra.length; i++) {
            list.append("0.0.0.0 ad").append(i).append(".tracker").append(i % 97).append(".example\n");
            if (i == LISTED / 2) {
                for (String name : extra) list.append("0.0.0.0 ").append(name).append('\n');
            }
        }
        Files.writeString(file, list);
    }

    @Test
    void aListedNameIsRejectedAnUnlistedOnePassesAndSighupRereadsTheList(@TempDir Path dir) throws Exception {
        writeList(dir.resolve("blocked.txt"), "blocked." + DOMAIN);
        Path policy = Files.writeString(dir.resolve("policy.yaml"), String.join("\n",
                "outbounds:",
                "  - " + net.dante().outbound("dante"),
                "rule-sets:",
                "  - {name: blocked, file: blocked.txt, format: hosts}",
                "rules:",
                "  - {rule-set: blocked, outbound: reject}",
                "  - {outbound: dante}",
                "dns: {upstream: \"tcp://" + net.peer4() + ":" + ProxyNetwork.DNS_PORT + "\", via: dante}", ""));
        String before = Fetches.script(List.of(
                new Fetch("listed", ProxyNetwork.url("blocked." + DOMAIN, PORT, "listed")),
                new Fetch("unlisted", ProxyNetwork.url("web." + DOMAIN, PORT, "unlisted")),
                new Fetch("later", ProxyNetwork.url("one." + DOMAIN, PORT, "later"))));
        String after = Fetches.script(List.of(
                new Fetch("added", ProxyNetwork.url("one." + DOMAIN, PORT, "added")),
                new Fetch("still-unlisted", ProxyNetwork.url("web." + DOMAIN, PORT, "still-unlisted"))));
        try (NstunProcess p = NstunProcess.start("run", "-p", policy.toString(), "--", "sh", "-c",
                before + "echo step1; read x; " + after + "echo step2")) {
            p.awaitStdout("step1", 60);
            Map<String, Result> r = Fetches.parse(p.stdout());
            assertAll(
                    () -> assertNoSuchNameAtOnce(r.get("listed")),
                    () -> assertWholeFileThroughDante(r.get("unlisted")),
                    () -> assertWholeFileThroughDante(r.get("later")));

            writeList(dir.resolve("blocked.txt"), "blocked." + DOMAIN, "one." + DOMAIN);
            new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!p.stderr().contains("policy reloaded") && System.nanoTime() < deadline) Thread.sleep(20);
            assertTrue(p.stderr().contains("policy reloaded"), p.describe());
            p.writeStdin("go\n");
            p.closeStdin();
            p.awaitStdout("step2", 60);
            assertEquals(0, p.await(), p.describe());
            Map<String, Result> again = Fetches.parse(p.stdout());
            assertAll(
                    () -> assertNoSuchNameAtOnce(again.get("added")),
                    () -> assertWholeFileThroughDante(again.get("still-unlisted")),
                    () -> assertFalse(net.danteLog().contains("blocked." + DOMAIN), "a listed name never reaches the proxy"),
                    () -> assertFalse(net.dnsmasqLog().contains("blocked." + DOMAIN), "nor the upstream"));
        }
    }

    private static void assertWholeFileThroughDante(Result r) throws Exception {
        assertNotNull(r, "no result");
        assertEquals(net.fileSha256(), r.sha256(), r.toString());
        String client = net.webClient(r.label());
        assertTrue(ProxyIT.sameAddress(client, net.dante().source4()) || ProxyIT.sameAddress(client, net.dante().source6()),
                "carried by dante: the web server saw " + client);
    }
}
