package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/install puts a working nstun on PATH: the launcher finds its jar and a JDK from there, and
 * the class-data archive and jffi's library beside the jar.
 */
class InstallIT {
    @Test
    void installedLauncherRunsFromItsPrefix(@TempDir Path prefix) throws Exception {
        Path root = Requirements.repoRoot();
        ProcessBuilder install = new ProcessBuilder(root.resolve("scripts/install").toString()).redirectErrorStream(true);
        install.environment().put("PREFIX", prefix.toString());
        Process p = install.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        assertTrue(Files.isExecutable(prefix.resolve("bin/nstun")), out);
        Requirements.ProcessResult version = Requirements.run(Path.of("/"), prefix.resolve("bin/nstun").toString(), "--version");
        assertEquals(0, version.exitCode(), version.output());
        assertTrue(version.output().startsWith("nstun "), version.output());
        // What the launcher starts faster with, made or copied by the install itself.
        try (var files = Files.list(prefix.resolve("lib/nstun"))) {
            List<String> names = files.map(f -> f.getFileName().toString()).toList();
            assertTrue(names.contains("nstun-java" + Runtime.version().feature() + ".jsa"), "no class-data archive: " + names + "\n" + out);
        }
        try (var libs = Files.list(prefix.resolve("lib/nstun/jffi"))) {
            assertTrue(libs.anyMatch(f -> f.getFileName().toString().startsWith("libjffi")), "no jffi library in lib/nstun/jffi\n" + out);
        }
    }
}
