package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;

/**
 * The launcher's JVM options differ by JDK (--sun-misc-unsafe-memory-access from 23, -Xlog:aot from
 * 24, a class-data archive per major version): whatever JDK runs the suite, a whole run (jnr's
 * Unsafe, the FFM calls) says nothing on stderr and leaves the archive of that JDK, a fresh one
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
}
