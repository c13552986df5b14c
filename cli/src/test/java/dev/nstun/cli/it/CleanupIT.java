package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nothing outlives a run: no process in its namespace, no interface, mount or record on the host. */
class CleanupIT {
    private static final String PRINT_NAMESPACE = "echo ns=$(readlink /proc/self/ns/net); ";

    @BeforeAll
    static void needsRoot() {
        Requirements.requireRoot();
    }

    @Test
    void normalExitLeavesNothing() throws Exception {
        NstunProcess p = NstunProcess.run("run", "--", "sh", "-c", PRINT_NAMESPACE + "sleep 300 & exit 0");
        assertEquals(0, p.exitCode(), p.describe());
        assertNothingLeft(namespaceOf(p), p);
    }

    @Test
    void crashedCommandLeavesNothing() throws Exception {
        NstunProcess p = NstunProcess.run("run", "--", "sh", "-c", PRINT_NAMESPACE + "sleep 300 & kill -SEGV $$");
        assertEquals(139, p.exitCode(), p.describe());
        assertNothingLeft(namespaceOf(p), p);
    }

    @Test
    void sigkillOfNstunTakesTheCommandAndTheNextStartCleansTheRest() throws Exception {
        String namespace;
        long command;
        try (NstunProcess p = NstunProcess.start("run", "--", "sh", "-c", PRINT_NAMESPACE + "sleep 300 & echo cmd=$$; exec sleep 301")) {
            p.closeStdin();
            p.awaitStdout("cmd=", 30);
            namespace = namespaceOf(p);
            command = Long.parseLong(p.stdout().replaceAll("(?s).*cmd=(\\d+).*", "$1"));
            new ProcessBuilder("kill", "-KILL", Long.toString(p.pid())).start().waitFor();
            p.await();
        }
        awaitGone(command);
        NstunProcess next = NstunProcess.run("run", "--", "true");
        assertEquals(0, next.exitCode(), next.describe());
        assertNothingLeft(namespace, next);
    }

    @Test
    void parallelRunsDoNotCollide(@TempDir Path rendezvous) throws Exception {
        // Each command waits until all three run, so their namespaces certainly coexist.
        String command = PRINT_NAMESPACE + "ip -o addr show nstun0; touch " + rendezvous + "/$$; "
                + "for i in $(seq 600); do [ $(ls " + rendezvous + " | wc -l) -ge 3 ] && exit 0; sleep 0.05; done; exit 9";
        List<NstunProcess> runs = List.of(
                NstunProcess.start("run", "--", "sh", "-c", command),
                NstunProcess.start("run", "--", "sh", "-c", command),
                NstunProcess.start("run", "--", "sh", "-c", command));
        for (NstunProcess p : runs) {
            p.closeStdin();
            assertEquals(0, p.await(), p.describe());
            assertTrue(p.stdout().contains("198.18.0.1/15"), p.describe());
        }
        assertNotEquals(namespaceOf(runs.get(0)), namespaceOf(runs.get(1)));
        assertNotEquals(namespaceOf(runs.get(1)), namespaceOf(runs.get(2)));
        assertNotEquals(namespaceOf(runs.get(0)), namespaceOf(runs.get(2)));
        for (NstunProcess p : runs) assertNothingLeft(namespaceOf(p), p);
    }

    static String namespaceOf(NstunProcess p) {
        String out = p.stdout();
        assertTrue(out.contains("ns=net:["), p.describe());
        return out.replaceAll("(?s).*ns=(net:\\[\\d+\\]).*", "$1");
    }

    /**
     * Asserts that no process is left in {@code namespace} (a run of {@code p}'s, ended), nor its
     * device, mounts or record. Namespace numbers are reused once freed: a process there that
     * started after {@code p} exited is another nstun's (say, another test run on the machine).
     */
    static void assertNothingLeft(String namespace, NstunProcess p) throws Exception {
        List<Long> holders = processesIn(namespace).stream().filter(pid -> startTicks(pid) <= p.exitedAt()).toList();
        assertTrue(holders.isEmpty(), "processes left in " + namespace + ": " + holders.stream().map(CleanupIT::describeProcess).toList()
                + "\n" + p.describe());
        Requirements.ProcessResult link = Requirements.run(Path.of("/"), "ip", "link", "show", "nstun0");
        assertNotEquals(0, link.exitCode(), "nstun0 must never appear in the init namespace: " + link.output());
        String mounts = Files.readString(Path.of("/proc/self/mountinfo"));
        // nstun's own mounts are tmpfs named nstun-hidden and nstun-scratch (CommandMounts), and the
        // binds of its files from them; other paths may well hold "nstun-" (test-vms/rootfs's cache).
        assertFalse(mounts.contains(" - tmpfs nstun-"), "a mount of nstun leaked to the host:\n" + mounts);
        Path runs = Path.of("/run/nstun");
        if (Files.isDirectory(runs)) {
            try (Stream<Path> records = Files.list(runs)) {
                List<Path> stale = records.filter(r -> {
                    try {
                        return Files.readString(r).trim().equals(namespace);
                    } catch (IOException e) {
                        return false;
                    }
                }).toList();
                assertTrue(stale.isEmpty(), "run records left: " + stale);
            }
        }
    }

    private static List<Long> processesIn(String namespace) throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(d -> d.getFileName().toString().chars().allMatch(Character::isDigit))
                    .filter(d -> {
                        try {
                            return Files.readSymbolicLink(d.resolve("ns/net")).toString().equals(namespace)
                                    && !Files.readString(d.resolve("stat")).contains(") Z ");
                        } catch (IOException e) {
                            return false;
                        }
                    })
                    .map(d -> Long.parseLong(d.getFileName().toString()))
                    .toList();
        }
    }

    /** Returns field 22 of /proc/PID/stat, the start time in clock ticks since boot (the largest long when gone). */
    private static long startTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]);
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Says what a process is: pid, command line, state and parent (for a failure's message). */
    private static String describeProcess(long pid) {
        try {
            Path dir = Path.of("/proc", Long.toString(pid));
            String cmdline = Files.readString(dir.resolve("cmdline")).replace('\0', ' ').strip();
            String status = Files.readAllLines(dir.resolve("status")).stream()
                    .filter(l -> l.startsWith("State:") || l.startsWith("PPid:")).map(String::strip).toList().toString();
            return pid + " '" + cmdline + "' " + status;
        } catch (IOException e) {
            return pid + " (gone)";
        }
    }

    private static void awaitGone(long pid) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (ProcessHandle.of(pid).map(h -> h.isAlive() && !isZombie(pid)).orElse(false)) {
                Thread.sleep(20);
            } else {
                return;
            }
        }
        throw new AssertionError("the command (pid " + pid + ") outlived nstun's SIGKILL by 2 s");
    }

    private static boolean isZombie(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "stat")).contains(") Z ");
        } catch (IOException e) {
            return false;
        }
    }
}
