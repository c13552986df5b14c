package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.cli.it.Fetches.Fetch;
import dev.nstun.cli.it.Fetches.Result;
import dev.nstun.netns.NotifySocket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nstun up NAME} as root, driven as a user would: {@code up --background}, then commands in it
 * through {@code nstun exec} and {@code ip netns exec} fetching from a web server in a test namespace
 * (bodies checksummed), {@code ls}, {@code down}; a second {@code up} of the name refused; a killed
 * {@code up} cleaned by the next {@code ls}; systemd's readiness notices; the unit file verified.
 */
class UpIT {
    private static final int WEB_PORT = ProxyNetwork.WEB_PORTS.get(0);
    private static final Path REGISTRY = Path.of("/run/nstun");

    private static ProxyNetwork net;
    private String name;

    @BeforeAll
    static void startServers() throws Exception {
        Requirements.requireRoot();
        for (String c : List.of("ip", "curl", "getent", "setsid", "script")) Requirements.requireCommand(c);
        net = ProxyNetwork.start("up");
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (net != null) net.close();
    }

    @AfterEach
    void downWhatATestLeftUp() throws Exception {
        if (name != null) NstunProcess.run("down", name);
    }

    /** A name of this test's own: runs of the suite elsewhere on the machine must not meet it. */
    private String newName(String what) {
        name = "it-" + what + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
        return name;
    }

    @Test
    void upInTheBackgroundServesExecAndIpNetnsExecUntilDown() throws Exception {
        String ns = newName("up");
        NstunProcess up = NstunProcess.run("up", "--background", ns, "--dns-upstream", net.peer4());
        assertEquals(0, up.exitCode(), up.describe());
        assertTrue(up.stderr().contains("nstun: " + ns + " runs in the background (pid "), up.describe());
        long pid = pidOf(ns);

        String fetch = Fetches.script(List.of(new Fetch("by-name", ProxyNetwork.url(ProxyNetwork.WEB, WEB_PORT, "up-exec"))));
        NstunProcess exec = NstunProcess.run("exec", ns, "--", "sh", "-c", fetch + "grep -c '^nameserver 198.18.0.2$' /etc/resolv.conf");
        Result viaExec = Fetches.parse(exec.stdout()).get("by-name");
        Requirements.ProcessResult ipNetns = Requirements.run(Path.of("/"), "ip", "netns", "exec", ns, "sh", "-c",
                Fetches.script(List.of(new Fetch("ip-netns", ProxyNetwork.url(ProxyNetwork.WEB, WEB_PORT, "up-ip-netns"))))
                        + "grep -c '^nameserver 198.18.0.2$' /etc/resolv.conf; grep '^hosts:' /etc/nsswitch.conf");
        Result viaIpNetns = Fetches.parse(ipNetns.output()).get("ip-netns");
        NstunProcess ls = NstunProcess.run("ls");
        NstunProcess status = NstunProcess.run("status", ns);
        assertAll(
                () -> assertEquals(0, exec.exitCode(), exec.describe()),
                () -> assertEquals(net.fileSha256(), viaExec.sha256(), exec.describe()),
                () -> assertTrue(exec.stdout().endsWith("\n1\n"), "exec gets nstun's resolv.conf: " + exec.describe()),
                () -> assertEquals(0, ipNetns.exitCode(), ipNetns.output()),
                () -> assertEquals(net.fileSha256(), viaIpNetns.sha256(), ipNetns.output()),
                () -> assertTrue(ipNetns.output().endsWith("\n1\nhosts: files dns\n"), "/etc/netns/" + ns + ": " + ipNetns.output()),
                () -> assertEquals(0, ls.exitCode(), ls.describe()),
                // The two fetches were carried both ways (their requests up, the file twice down); their flows may still be closing.
                () -> assertTrue(ls.stdout().lines().anyMatch(l -> l.matches(ns + " +" + pid + " +\\d+m?s +\\d+ +[0-9.]+ (B|KiB) +39[01]\\.\\d KiB +direct")),
                        ls.describe()),
                () -> assertTrue(ls.stdout().startsWith("NAME"), ls.describe()),
                () -> assertEquals(0, status.exitCode(), "status by name: " + status.describe()),
                () -> assertTrue(status.stdout().startsWith("nstun " + pid + ": "), status.describe()));

        NstunProcess down = NstunProcess.run("down", ns);
        assertEquals(0, down.exitCode(), down.describe());
        assertNothingLeftOf(ns, pid);
        name = null;
    }

    @Test
    void execPassesStdinTerminalAndSignalsAndExitsWithTheCommandsStatus() throws Exception {
        String ns = newName("exec");
        NstunProcess up = NstunProcess.run("up", "--background", ns);
        assertEquals(0, up.exitCode(), up.describe());
        NstunProcess seven = NstunProcess.run("exec", ns, "--", "sh", "-c", "exit 7");
        NstunProcess term = NstunProcess.run("exec", ns, "sh", "-c", "kill -TERM $$");
        NstunProcess missing = NstunProcess.run("exec", ns, "--", "nstun-no-such-command");
        NstunProcess noSuchName = NstunProcess.run("exec", ns + "x", "--", "true");
        NstunProcess badName = NstunProcess.run("exec", "no/such", "--", "true");
        NstunProcess stdin = NstunProcess.start("exec", ns, "--", "tr", "a-z", "A-Z");
        stdin.writeStdin("hello exec\n");
        stdin.closeStdin();
        stdin.await();
        Requirements.ProcessResult tty = Requirements.run(Path.of("/"), "script", "-qec",
                NstunProcess.launcher() + " exec " + ns + " -- sh -c 'test -t 0 && test -t 1 && echo stdin-and-stdout-are-a-tty'", "/dev/null");
        NstunProcess signalled = NstunProcess.start("exec", ns, "--", "sh", "-c",
                "trap 'echo got-term; exit 9' TERM; echo ready; while :; do sleep 0.1; done");
        signalled.closeStdin();
        signalled.awaitStdout("ready", 30);
        Requirements.run(Path.of("/"), "kill", "-TERM", Long.toString(signalled.pid()));
        signalled.await();
        assertAll(
                () -> assertEquals(7, seven.exitCode(), seven.describe()),
                () -> assertEquals(143, term.exitCode(), term.describe()),
                () -> assertEquals(127, missing.exitCode(), missing.describe()),
                () -> assertEquals(125, noSuchName.exitCode(), noSuchName.describe()),
                () -> assertTrue(noSuchName.stderr().contains("no namespace named " + ns + "x is up"), noSuchName.describe()),
                () -> assertEquals(125, badName.exitCode(), badName.describe()),
                () -> assertTrue(badName.stderr().contains("'no/such' is not a namespace name"), badName.describe()),
                () -> assertEquals("HELLO EXEC\n", stdin.stdout(), stdin.describe()),
                () -> assertTrue(tty.output().contains("stdin-and-stdout-are-a-tty"), tty.output()),
                () -> assertEquals(9, signalled.exitCode(), "SIGTERM to nstun reaches the command: " + signalled.describe()),
                () -> assertTrue(signalled.stdout().contains("got-term"), signalled.describe()));
    }

    @Test
    void aSecondUpOfTheNameIsRefusedAndTheFirstServesOn() throws Exception {
        String ns = newName("twice");
        NstunProcess first = NstunProcess.run("up", "--background", ns);
        assertEquals(0, first.exitCode(), first.describe());
        long pid = pidOf(ns);
        NstunProcess background = NstunProcess.run("up", "--background", ns);
        NstunProcess foreground = NstunProcess.run("up", ns);
        NstunProcess stillThere = NstunProcess.run("exec", ns, "--", "true");
        assertAll(
                () -> assertEquals(125, background.exitCode(), background.describe()),
                () -> assertTrue(background.stderr().contains("a namespace named " + ns + " is up already (nstun pid " + pid + ")"),
                        background.describe()),
                () -> assertEquals(125, foreground.exitCode(), foreground.describe()),
                () -> assertTrue(foreground.stderr().contains("a namespace named " + ns + " is up already (nstun pid " + pid + ")"),
                        foreground.describe()),
                () -> assertEquals(0, stillThere.exitCode(), stillThere.describe()));
    }

    @Test
    void whatAKilledUpLeftIsRemovedByTheNextLsAndTheNameIsFreeAgain() throws Exception {
        String ns = newName("killed");
        NstunProcess up = NstunProcess.run("up", "--background", ns);
        assertEquals(0, up.exitCode(), up.describe());
        long pid = pidOf(ns);
        NstunProcess exec = NstunProcess.run("exec", ns, "--", "sh", "-c", "sleep 300 >/dev/null 2>&1 & echo bg=$!");
        long leftover = Long.parseLong(exec.stdout().strip().substring("bg=".length()));
        Requirements.run(Path.of("/"), "kill", "-KILL", Long.toString(pid));
        awaitGone(pid);
        assertTrue(Files.exists(Path.of("/run/netns", ns)), "the bind mount outlives a killed nstun (what the next start cleans)");

        NstunProcess ls = NstunProcess.run("ls");
        assertAll(
                () -> assertEquals(0, ls.exitCode(), ls.describe()),
                () -> assertFalse(ls.stdout().contains(ns), ls.describe()));
        awaitGone(leftover);
        assertNothingLeftOf(ns, pid);
        NstunProcess again = NstunProcess.run("up", "--background", ns);
        assertEquals(0, again.exitCode(), again.describe());
    }

    @Test
    void underSystemdItSaysReadyOnceUsableAndStoppingOnSigterm(@TempDir Path dir) throws Exception {
        String ns = newName("notify");
        Path socketPath = dir.resolve("notify");
        try (NotifySocket socket = NotifySocket.bind(socketPath.toString());
             NstunProcess up = NstunProcess.start(List.of(), Map.of(NotifySocket.VARIABLE, socketPath.toString()), "up", ns)) {
            up.closeStdin();
            Optional<String> ready = receive(socket, 30);
            assertTrue(ready.isPresent() && ready.get().lines().anyMatch("READY=1"::equals), ready + "\n" + up.describe());
            assertTrue(ready.get().contains("MAINPID=" + up.pid() + "\n"), ready.get());
            assertTrue(Files.exists(Path.of("/run/netns", ns)), "ready means usable: /run/netns/" + ns);
            Requirements.run(Path.of("/"), "kill", "-TERM", Long.toString(up.pid()));
            Optional<String> stopping = receive(socket, 30);
            assertEquals(Optional.of("STOPPING=1\n"), stopping, up.describe());
            assertEquals(0, up.await(), up.describe());
            assertNothingLeftOf(ns, up.pid());
        }
        name = null;
    }

    @Test
    void theUnitFilePassesSystemdAnalyzeVerify(@TempDir Path prefix) throws Exception {
        Requirements.requireCommand("systemd-analyze");
        ProcessBuilder install = new ProcessBuilder(Requirements.repoRoot().resolve("scripts/install").toString()).redirectErrorStream(true);
        install.environment().put("PREFIX", prefix.toString());
        Process p = install.start();
        String installOutput = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), installOutput);
        Path unit = prefix.resolve("lib/systemd/system/nstun@.service");
        String text = Files.readString(unit);
        assertAll(
                () -> assertTrue(text.contains("\nType=notify\n"), text),
                () -> assertTrue(text.contains("\nExecStart=" + prefix.toRealPath() + "/bin/nstun up %i -p /etc/nstun/%i.yaml\n"), text),
                () -> assertFalse(text.contains("@BINDIR@"), text));
        // Offline: systemd need not run here (CI's machine has another PID 1). --man=no: the page is
        // under the temporary prefix, where man does not look.
        Requirements.ProcessResult verify = Requirements.run(Path.of("/"), "systemd-analyze", "--man=no", "verify", unit.toString());
        assertEquals(0, verify.exitCode(), verify.output());
        assertEquals("", verify.output(), "systemd-analyze's warnings");
    }

    /** Returns nstun's pid for {@code ns}, as {@code nstun ls} lists it. */
    private static long pidOf(String ns) throws Exception {
        NstunProcess ls = NstunProcess.run("ls");
        return ls.stdout().lines().filter(l -> l.startsWith(ns + " ")).map(l -> Long.parseLong(l.split(" +")[1])).findFirst()
                .orElseThrow(() -> new AssertionError(ns + " not listed: " + ls.describe()));
    }

    /** Asserts that nothing of instance {@code ns} (whose nstun was {@code pid}) is left: no process, names or record. */
    private static void assertNothingLeftOf(String ns, long pid) throws Exception {
        awaitGone(pid);
        assertAll(
                () -> assertFalse(Files.exists(Path.of("/run/netns", ns), LinkOption.NOFOLLOW_LINKS), "/run/netns/" + ns),
                () -> assertFalse(Files.exists(Path.of("/etc/netns", ns), LinkOption.NOFOLLOW_LINKS), "/etc/netns/" + ns),
                () -> assertFalse(Files.exists(REGISTRY.resolve(ns), LinkOption.NOFOLLOW_LINKS), REGISTRY + "/" + ns),
                () -> assertFalse(Files.exists(REGISTRY.resolve(ns + ".log"), LinkOption.NOFOLLOW_LINKS), REGISTRY + "/" + ns + ".log"),
                () -> assertFalse(Requirements.run(Path.of("/"), "ip", "netns", "list").output().contains(ns), "ip netns list"));
    }

    private static Optional<String> receive(NotifySocket socket, int seconds) throws Exception {
        return socket.receive((int) TimeUnit.SECONDS.toMillis(seconds));
    }

    /** Waits until {@code pid} is gone or a zombie; fails after 10 s. */
    private static void awaitGone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ProcessHandle.of(pid).isPresent() && !isZombie(pid)) {
            if (System.nanoTime() > deadline) throw new AssertionError("pid " + pid + " still runs 10 s on");
            Thread.sleep(20);
        }
    }

    private static boolean isZombie(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "stat")).contains(") Z ");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
