package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nstun reload} and SIGHUP re-read the policy of a running {@code nstun run -p FILE}: new
 * flows follow the new rules, a broken file changes nothing and is reported with its position.
 * The command waits on its stdin between two requests while the test edits the file.
 */
class ReloadIT {
    private static final int WEB_PORT = 8089;
    private static TestNetwork net;
    private static Path site;

    @BeforeAll
    static void setUp() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("curl");
        net = TestNetwork.create("reloadit");
        site = Files.createTempDirectory("nstun-reloadit");
        byte[] page = new byte[1000];
        new Random(7).nextBytes(page);
        Files.write(site.resolve("page.bin"), page);
        Process web = net.serveFiles(site, WEB_PORT);
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
    void reloadAppliesANewPolicyToNewFlowsAndKeepsTheOldOneWhenTheFileIsBroken(@TempDir Path dir) throws Exception {
        Path policy = dir.resolve("policy.yaml");
        Files.writeString(policy, rules("reject"));
        String fetch = "curl -sS --max-time 10 -o /dev/null -w '%{http_code}\\n' http://" + net.peer4() + ":" + WEB_PORT + "/page.bin 2>/dev/null; echo exit=$?";
        try (NstunProcess p = NstunProcess.start("run", "-p", policy.toString(), "--", "sh", "-c",
                fetch + "; echo step1; read x; " + fetch + "; echo step2; read y; " + fetch + "; echo step3")) {
            p.awaitStdout("step1", 30);
            assertTrue(p.stdout().contains("exit=7"), "rejected before the reload: " + p.describe());

            Files.writeString(policy, rules("direct"));
            Requirements.ProcessResult reload = Requirements.run(Requirements.repoRoot(), NstunProcess.launcher().toString(), "reload", Long.toString(p.pid()));
            assertEquals(0, reload.exitCode(), reload.output());
            assertTrue(reload.output().contains("policy reloaded"), reload.output());
            p.writeStdin("go\n");
            p.awaitStdout("step2", 30);
            assertTrue(p.stdout().contains("200\nexit=0"), "allowed after the reload: " + p.describe());

            Files.writeString(policy, "rules:\n  - {port: [80], outbund: reject}\n");
            Requirements.ProcessResult broken = Requirements.run(Requirements.repoRoot(), NstunProcess.launcher().toString(), "reload");
            assertEquals(125, broken.exitCode(), broken.output());
            assertTrue(broken.output().contains(policy + ":2:"), "the problem's position: " + broken.output());
            assertTrue(broken.output().contains("previous policy stays"), broken.output());
            p.writeStdin("go\n");
            p.closeStdin();
            p.awaitStdout("step3", 30);
            assertEquals(2, p.stdout().split("200\nexit=0", -1).length - 1, "the previous (direct) policy still applies: " + p.describe());
            assertEquals(0, p.await(), p.describe());
        }
    }

    @Test
    void aSelfMergingFileIsRefusedAtItsPositionAndNewFlowsStillGetThrough(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), rules("direct"));
        String fetch = "c=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' http://" + net.peer4() + ":" + WEB_PORT
                + "/page.bin 2>/dev/null); echo \"got $c exit $?\"";
        String fourAtOnce = "for i in 1 2 3 4; do (" + fetch + ") & done; wait";
        try (NstunProcess p = NstunProcess.start("run", "-p", policy.toString(), "--", "sh", "-c",
                fetch + "; echo step1; read x; " + fourAtOnce + "; echo step2")) {
            p.awaitStdout("step1", 30);
            assertTrue(p.stdout().contains("got 200 exit 0"), "allowed before the reload: " + p.describe());

            // Its merge would never end; the rule below it would reject the page if it were read.
            Files.writeString(policy, "defaults: &d {<<: *d}\n" + rules("reject"));
            // More reloads than the JVM has carriers for virtual threads, each answered at once.
            for (int i = 0; i <= Runtime.getRuntime().availableProcessors(); i++) {
                Requirements.ProcessResult reload = Requirements.run(Requirements.repoRoot(), NstunProcess.launcher().toString(),
                        "reload", Long.toString(p.pid()));
                assertEquals(125, reload.exitCode(), reload.output());
                assertTrue(reload.output().contains(policy + ":1:19: *d refers to the map it is in"), reload.output());
                assertTrue(reload.output().contains("previous policy stays"), reload.output());
            }
            p.writeStdin("go\n");
            p.closeStdin();
            p.awaitStdout("step2", 30);
            assertEquals(5, p.stdout().split("got 200 exit 0", -1).length - 1, "the previous policy still serves new flows: "
                    + p.describe());
            assertEquals(0, p.await(), p.describe());
        }
    }

    @Test
    void sighupReloadsInsteadOfReachingTheCommand(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), rules("direct"));
        try (NstunProcess p = NstunProcess.start("run", "-p", policy.toString(), "--", "sh", "-c",
                "trap 'echo got-HUP' HUP; echo ready; read x; echo done")) {
            p.awaitStdout("ready", 30);
            new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!p.stderr().contains("policy reloaded") && System.nanoTime() < deadline) Thread.sleep(20);
            assertTrue(p.stderr().contains("policy reloaded"), p.describe());
            p.writeStdin("go\n");
            p.closeStdin();
            assertEquals(0, p.await(), p.describe());
            assertTrue(!p.stdout().contains("got-HUP"), "SIGHUP is nstun's when it has a policy: " + p.describe());
        }
    }

    @Test
    void reloadWithoutARunSaysSo() throws Exception {
        Requirements.ProcessResult r = Requirements.run(Requirements.repoRoot(), NstunProcess.launcher().toString(), "reload", "1");
        assertEquals(3, r.exitCode(), "as status and top: " + r.output());
        assertTrue(r.output().contains("nstun: no live run is 1"), r.output());
    }

    private static String rules(String web) {
        return String.join("\n",
                "rules:",
                "  - {ip-cidr: [" + net.peer4() + "/32], port: [" + WEB_PORT + "], outbound: " + web + "}",
                "  - {outbound: reject}", "");
    }
}
