package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The wrapped command behaves as it would without nstun: exit status, stdin, signals, identity. */
class ProcessBehaviourIT {
    @BeforeAll
    static void needsRoot() {
        Requirements.requireRoot();
    }

    @ParameterizedTest(name = "exit {0}")
    @ValueSource(ints = {0, 1, 7, 124, 255})
    void exitStatusIsTheCommands(int status) throws Exception {
        NstunProcess p = NstunProcess.run("run", "--", "sh", "-c", "exit " + status);
        assertEquals(status, p.exitCode(), p.describe());
    }

    @ParameterizedTest(name = "SIG{0} → {1}")
    @CsvSource({"TERM, 143", "KILL, 137", "SEGV, 139"})
    void deathBySignalIs128PlusN(String signal, int status) throws Exception {
        NstunProcess p = NstunProcess.run("run", "--", "sh", "-c", "kill -" + signal + " $$");
        assertEquals(status, p.exitCode(), p.describe());
    }

    @Test
    void missingCommandIs127() throws Exception {
        NstunProcess p = NstunProcess.run("run", "--", "nstun-no-such-command");
        assertEquals(127, p.exitCode(), p.describe());
        assertTrue(p.stderr().contains("nstun-no-such-command: command not found"), p.describe());
        NstunProcess q = NstunProcess.run("run", "--", "/nonexistent/bin/tool");
        assertEquals(127, q.exitCode(), q.describe());
    }

    @Test
    void nonExecutableCommandIs126(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("not-executable.sh"), "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
        NstunProcess p = NstunProcess.run("run", "--", script.toString());
        assertEquals(126, p.exitCode(), p.describe());
        assertTrue(p.stderr().contains("permission denied"), p.describe());
        NstunProcess q = NstunProcess.run("run", "--", dir.toString());
        assertEquals(126, q.exitCode(), q.describe());
        assertTrue(q.stderr().contains("is a directory"), q.describe());
    }

    @Test
    void ownFailuresAre125WithAReason() throws Exception {
        NstunProcess badFlag = NstunProcess.run("run", "--no-such-flag", "--", "true");
        assertEquals(125, badFlag.exitCode(), badFlag.describe());
        assertTrue(badFlag.stderr().contains("--no-such-flag"), badFlag.describe());
        NstunProcess badMtu = NstunProcess.run("run", "--mtu", "100", "--", "true");
        assertEquals(125, badMtu.exitCode(), badMtu.describe());
        assertTrue(badMtu.stderr().contains("--mtu 100 is out of range"), badMtu.describe());
        NstunProcess badUser = NstunProcess.run("run", "--user", "nstun-no-such-user", "--", "true");
        assertEquals(125, badUser.exitCode(), badUser.describe());
        assertTrue(badUser.stderr().contains("no such user"), badUser.describe());
    }

    @Test
    void withoutPrivilegeSaysWhatIsMissingAnd125() throws Exception {
        Requirements.requireCommand("setpriv");
        // Root without capabilities (bounding set emptied), not another user: a clone in a private
        // directory (a 0700 home, mktemp -d) is unreadable to other users, and that is not the point here.
        NstunProcess p = NstunProcess.start(List.of("setpriv", "--bounding-set=-all", "--inh-caps=-all", "--"),
                Map.of(), "run", "--", "true");
        p.closeStdin();
        assertEquals(125, p.await(), p.describe());
        assertTrue(p.stderr().contains("CAP_SYS_ADMIN") && p.stderr().contains("rootless"), p.describe());
    }

    @Test
    void stdinAndStdoutPassThrough() throws Exception {
        NstunProcess p = NstunProcess.start("run", "--", "sh", "-c", "tr a-z A-Z; echo done >&2");
        p.writeStdin("hello through nstun\n");
        p.closeStdin();
        assertEquals(0, p.await(), p.describe());
        assertEquals("HELLO THROUGH NSTUN\n", p.stdout());
        assertTrue(p.stderr().contains("done"), p.describe());
    }

    @Test
    void aTerminalPassesThrough() throws Exception {
        Requirements.requireCommand("script");
        // script(1) gives nstun a pseudo-terminal as stdin/stdout, as an interactive shell would.
        Requirements.ProcessResult r = Requirements.run(Requirements.repoRoot(), "script", "-qec",
                NstunProcess.launcher() + " run -- sh -c 'test -t 0 && test -t 1 && echo stdin-and-stdout-are-a-tty; tty'", "/dev/null");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("stdin-and-stdout-are-a-tty"), r.output());
        assertTrue(r.output().contains("/dev/pts/"), r.output());
    }

    @ParameterizedTest(name = "SIG{0} reaches the command")
    @ValueSource(strings = {"TERM", "HUP", "INT"})
    void signalsAreForwarded(String signal) throws Exception {
        try (NstunProcess p = NstunProcess.start("run", "--", "sh", "-c",
                "trap 'echo got-" + signal + "; exit 3' " + signal + "; echo ready; while :; do sleep 0.05; done")) {
            p.closeStdin();
            p.awaitStdout("ready", 30);
            new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
            assertEquals(3, p.await(), p.describe());
            assertTrue(p.stdout().contains("got-" + signal), p.describe());
        }
    }

    /**
     * Signals the JVM would take for itself (QUIT: a thread dump on stdout; USR2: its thread
     * suspension) or that would end nstun without clean-up (USR1, ALRM), and one whose default is to
     * do nothing (WINCH): the command gets each, nstun's stdout carries only the command's, the exit
     * status is the command's and nothing of the run is left.
     */
    @ParameterizedTest(name = "SIG{0} reaches the command")
    @ValueSource(strings = {"QUIT", "USR1", "USR2", "ALRM", "WINCH"})
    void signalsTheJvmWouldTakeAreForwarded(String signal) throws Exception {
        try (NstunProcess p = NstunProcess.start("run", "--", "sh", "-c", "echo ns=$(readlink /proc/self/ns/net); sleep 300 & "
                + "trap 'echo got-" + signal + "; exit 5' " + signal + "; echo ready; while :; do sleep 0.05; done")) {
            p.closeStdin();
            p.awaitStdout("ready", 30);
            new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
            assertEquals(5, p.await(), p.describe());
            String namespace = CleanupIT.namespaceOf(p);
            assertEquals(List.of("ns=" + namespace, "ready", "got-" + signal), p.stdout().lines().toList(), p.describe());
            assertFalse(p.stderr().contains("thread dump") || p.stderr().contains("SR signal"), p.describe());
            CleanupIT.assertNothingLeft(namespace, p);
        }
    }

    @Test
    void outsideRunASignalEndsNstunAsItWouldAnyProcess(@TempDir Path dir) throws Exception {
        // check --probe waits for a proxy that accepts and never answers: a signal must still end it.
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Path policy = Files.writeString(dir.resolve("mute.yaml"), "outbounds:\n  - {name: mute, type: socks5, server: \"127.0.0.1:"
                    + silent.getLocalPort() + "\"}\nrules:\n  - {outbound: mute}\n");
            NstunProcess p = NstunProcess.start("check", "--probe", policy.toString());
            p.closeStdin();
            p.awaitStdout("valid", 30);
            new ProcessBuilder("kill", "-USR1", Long.toString(p.pid())).start().waitFor();
            assertEquals(128 + 10, p.await(), p.describe());
        }
    }

    @Test
    void underSudoTheCommandRunsAsTheInvokingUserWithoutPrivileges() throws Exception {
        NstunProcess p = NstunProcess.start(List.of(), Map.of("SUDO_UID", "65534", "SUDO_GID", "65534", "SUDO_USER", "nobody"),
                "run", "--", "sh", "-c", "id -u; id -g; id -G; grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs):' /proc/self/status; echo HOME=$HOME");
        p.closeStdin();
        assertEquals(0, p.await(), p.describe());
        String out = p.stdout();
        String[] lines = out.split("\n");
        assertEquals("65534", lines[0], out);
        assertEquals("65534", lines[1], out);
        assertEquals("65534", lines[2].trim(), "supplementary groups: " + out);
        assertTrue(out.contains("CapEff:\t0000000000000000"), out);
        assertTrue(out.contains("CapPrm:\t0000000000000000"), out);
        // The bounding set stays full: with no_new_privs nothing can raise a capability, and an empty
        // one would stop programs with file capabilities (ping) from running at all.
        assertTrue(out.contains("NoNewPrivs:\t1"), out);
        assertTrue(out.contains("HOME=/nonexistent"), out);
    }

    @Test
    void userOptionChoosesTheUserAndItsGroups() throws Exception {
        // As root itself: under sudo, -u may name no one but the user who ran sudo (SudoIT).
        NstunProcess p = NstunProcess.start(List.of("env", "-u", "SUDO_UID", "-u", "SUDO_GID", "-u", "SUDO_USER"), Map.of(),
                "run", "--user", "daemon", "--", "sh", "-c", "id -un; id -u; id -G");
        p.closeStdin();
        assertEquals(0, p.await(), p.describe());
        String[] lines = p.stdout().split("\n");
        assertEquals("daemon", lines[0], p.describe());
        assertEquals("1", lines[1], p.describe());
        assertEquals(groupsOf("daemon"), lines[2].trim(), p.describe());
    }

    @Test
    void plainRootStaysRoot() throws Exception {
        NstunProcess p = NstunProcess.start(List.of("env", "-u", "SUDO_UID", "-u", "SUDO_GID"), Map.of(),
                "run", "--", "id", "-u");
        p.closeStdin();
        assertEquals(0, p.await(), p.describe());
        assertEquals("0\n", p.stdout());
    }

    private static String groupsOf(String user) throws Exception {
        Process id = new ProcessBuilder("id", "-G", user).start();
        String out = new String(id.getInputStream().readAllBytes()).trim();
        id.waitFor();
        return out;
    }
}
