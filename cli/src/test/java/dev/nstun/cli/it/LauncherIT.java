package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The launcher's JVM options differ by JDK (--sun-misc-unsafe-memory-access from 23, -Xlog:aot from
 * 24, a class-data archive per major version): whatever JDK runs the suite, a whole run (jffi's
 * Unsafe) says nothing on stderr and leaves the archive of that JDK, a fresh one
 * when the archive there is older than the jar. CI runs this on
 * the host's JDK 25 and on Debian 13's openjdk-21 (test-vms/rootfs).
 */
class LauncherIT {
    @Test
    void runsQuietlyAndLeavesTheArchiveOfItsJdk() throws Exception {
        Requirements.requireRoot();
        // The build runs the tests with the JDK scripts/find-jdk picks (JAVA_HOME), which the launcher picks too.
        int major = Runtime.version().feature();
        Path archive = NstunProcess.launcher().resolveSibling("cli/target/nstun-java" + major + ".jsa");
        Files.deleteIfExists(archive);
        NstunProcess first = NstunProcess.run("run", "--", "true");
        assertAll(
                () -> assertEquals(0, first.exitCode(), first.describe()),
                () -> assertEquals("", first.stderr(), "JDK " + major + ": the first run (no archive yet) said something"),
                () -> assertTrue(Files.isRegularFile(archive), "JDK " + major + ": no class-data archive " + archive + " after the first start"));
        NstunProcess second = NstunProcess.run("run", "--", "true");
        assertAll(
                () -> assertEquals(0, second.exitCode(), second.describe()),
                () -> assertEquals("", second.stderr(), "JDK " + major + ": the run with the archive said something"));
    }

    /**
     * picocli and jffi are compiled for Java 5, whose class files no class-data
     * archive holds: the build rewrites them as format 50 (ClassFileUpgrade), so that a command
     * started again loads picocli, which every command parses with, from the archive, not from the
     * jar. (Only picocli's: a class a background thread loads, the signal thread's binding on JDK
     * 21, may come after the first start's archive was written at its exit.)
     */
    @Test
    void startsAgainWithPicocliFromTheArchive() throws Exception {
        Requirements.requireRoot();
        int major = Runtime.version().feature();
        Path archive = NstunProcess.launcher().resolveSibling("cli/target/nstun-java" + major + ".jsa");
        Path policy = Requirements.repoRoot().resolve("scripts/archive-training.yaml");
        Files.deleteIfExists(archive);
        assertEquals(0, NstunProcess.run("check", policy.toString()).exitCode(), "the first check");
        Path log = Files.createTempFile("nstun-class-load", ".log");
        try {
            NstunProcess again = NstunProcess.start(List.of(), Map.of("NSTUN_JAVA_OPTS", "-Xlog:class+load:file=" + log), "check", policy.toString());
            again.closeStdin();
            assertEquals(0, again.await(), again.describe());
            List<String> lines = Files.readAllLines(log);
            List<String> fromJar = lines.stream().filter(l -> l.contains(" picocli.") && l.contains("source: file:")).toList();
            assertAll(
                    () -> assertTrue(lines.stream().anyMatch(l -> l.contains(" picocli.CommandLine source: shared objects file")),
                            "JDK " + major + ": picocli.CommandLine not from the archive: " + lines.stream().filter(l -> l.contains(" picocli.CommandLine ")).toList()),
                    () -> assertEquals(List.of(), fromJar, "JDK " + major + ": picocli classes the second start loaded from the jar"));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** After a rebuild the archive is of the old jar: the JVM refuses it and (JDK 25) never replaces it itself. */
    @Test
    void replacesAnArchiveOlderThanItsJar() throws Exception {
        Requirements.requireRoot();
        int major = Runtime.version().feature();
        Path archive = NstunProcess.launcher().resolveSibling("cli/target/nstun-java" + major + ".jsa");
        Path jar = NstunProcess.launcher().resolveSibling("cli/target/nstun.jar");
        if (!Files.isRegularFile(archive)) assertEquals(0, NstunProcess.run("--version").exitCode());
        FileTime built = Files.getLastModifiedTime(jar);
        Files.setLastModifiedTime(archive, FileTime.fromMillis(built.toMillis() - 3_600_000));
        NstunProcess run = NstunProcess.run("run", "--", "true");
        assertAll(
                () -> assertEquals(0, run.exitCode(), run.describe()),
                () -> assertEquals("", run.stderr(), "JDK " + major + ": the run with a stale archive said something"),
                () -> assertTrue(Files.getLastModifiedTime(archive).compareTo(built) > 0,
                        "JDK " + major + ": the archive older than the jar was kept: " + Files.getLastModifiedTime(archive) + ", jar " + built));
    }

    /**
     * An archive with the right name made by another build of the JDK (an update installed since):
     * the JVM refuses it and writes one of its own at exit (-XX:+AutoCreateSharedArchive); the run
     * neither fails nor says a word.
     */
    @Test
    void runsQuietlyWithAnArchiveOfAnotherJdkBuild() throws Exception {
        Requirements.requireRoot();
        int major = Runtime.version().feature();
        Path archive = NstunProcess.launcher().resolveSibling("cli/target/nstun-java" + major + ".jsa");
        if (!Files.isRegularFile(archive)) assertEquals(0, NstunProcess.run("--version").exitCode());
        // The archive's header names the JVM that made it, "... VM (25.0.3+9-LTS) for linux-amd64 JRE (25.0.3+9-LTS) ...":
        // the same bytes with another version are what the next update of the JDK would find.
        byte[] bytes = Files.readAllBytes(archive);
        byte[] version = ("(" + Runtime.version() + ")").getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(bytes, version);
        assertTrue(at >= 0, "JDK " + major + ": " + new String(version, StandardCharsets.US_ASCII) + " not found in the header of " + archive);
        bytes[at + 1] = (byte) (bytes[at + 1] == '9' ? '8' : '9');
        Files.write(archive, bytes);
        NstunProcess run = NstunProcess.run("run", "--", "true");
        assertAll(
                () -> assertEquals(0, run.exitCode(), run.describe()),
                () -> assertEquals("", run.stderr(), "JDK " + major + ": the run with another JDK's archive said something"),
                () -> assertTrue(Files.isRegularFile(archive) && indexOf(Files.readAllBytes(archive), version) >= 0,
                        "JDK " + major + ": the archive of another JDK build was kept, or none made in its place"));
    }

    /**
     * With the archive in place, as after scripts/build, JDK 21 runs end with _exit (ImmediateExit,
     * past the JVM's 300 ms wait for threads in native code): the exit status, the command's last
     * output and nstun's own message still arrive, and the JVM leaves no perf-data file behind.
     */
    @Test
    void endsWithStatusAndOutputAndLeavesNoPerfData() throws Exception {
        Requirements.requireRoot();
        int major = Runtime.version().feature();
        Path archive = NstunProcess.launcher().resolveSibling("cli/target/nstun-java" + major + ".jsa");
        if (!Files.isRegularFile(archive)) assertEquals(0, NstunProcess.run("--version").exitCode());
        NstunProcess run = NstunProcess.run("run", "--", "sh", "-c", "echo last words; exit 7");
        NstunProcess missing = NstunProcess.run("run", "--", "/nonexistent/command");
        assertAll(
                () -> assertEquals(7, run.exitCode(), run.describe()),
                () -> assertEquals("last words\n", run.stdout(), "JDK " + major + ": the command's output"),
                () -> assertEquals("", run.stderr(), "JDK " + major + ": stderr"),
                () -> assertEquals(127, missing.exitCode(), missing.describe()),
                () -> assertTrue(missing.stderr().contains("/nonexistent/command: no such file or directory"),
                        "JDK " + major + ": nstun's own message, got: " + missing.stderr()),
                () -> assertFalse(Files.exists(Path.of("/tmp/hsperfdata_" + System.getProperty("user.name"), Long.toString(run.pid()))),
                        "JDK " + major + ": the JVM's perf-data file of pid " + run.pid() + " was left behind"));
    }

    /**
     * With -Xrs HotSpot opens its attach socket (/tmp/.java_pidN, jcmd's) as the JVM starts, and a
     * nstun killed with SIGKILL left it behind: the launcher turns the attach mechanism off, so
     * there is none even while nstun runs.
     */
    @Test
    void opensNoAttachSocket() throws Exception {
        Requirements.requireRoot();
        try (NstunProcess p = NstunProcess.start("run", "--", "sh", "-c", "echo started; read line; exit 0")) {
            p.awaitStdout("started", 30);
            Path socket = Path.of("/tmp", ".java_pid" + p.pid()); // HotSpot's, whatever java.io.tmpdir says
            assertFalse(Files.exists(socket), "JDK " + Runtime.version().feature() + ": the JVM's attach socket " + socket + " while nstun runs");
            p.closeStdin();
            assertEquals(0, p.await(), p.describe());
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) return i;
        }
        return -1;
    }
}
