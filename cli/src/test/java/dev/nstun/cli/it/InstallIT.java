package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/install puts a working nstun on PATH: the launcher finds its jar and a JDK from there. */
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
    }
}
