package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/package makes a .deb that a clean Debian 13 installs with apt (bringing its JDK), runs
 * from, updates its class-data archive for, and removes without a trace: test-vms/deb-check says
 * how. On this machine it runs in a clean root filesystem of test-vms/rootfs, not provisioned; in
 * one already (the second half of .ci/run, NSTUN_ROOTFS=1: a throwaway clean Debian 13, where a
 * root filesystem cannot be made again) it runs on that system itself.
 */
class PackageIT {
    @Test
    void aCleanDebianInstallsRunsAndRemovesTheDeb(@TempDir Path out) throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("dpkg-deb");
        boolean throwaway = "1".equals(System.getenv("NSTUN_ROOTFS"));
        if (!throwaway) Requirements.requireCommand("mmdebstrap");
        Path repo = Requirements.repoRoot();
        Requirements.ProcessResult packaged = Requirements.run(repo, repo.resolve("scripts/package").toString(), out.toString());
        assertEquals(0, packaged.exitCode(), packaged.output());
        Path deb;
        try (var files = Files.list(out)) {
            deb = files.filter(f -> f.getFileName().toString().matches("nstun_.*_.*\\.deb")).findFirst().orElseThrow();
        }
        assertEquals(deb.toString() + "\n", packaged.output(), "scripts/package prints the .deb it wrote");
        Path check = repo.resolve("test-vms/deb-check");
        List<String> command = new ArrayList<>();
        if (throwaway) {
            command.addAll(List.of(check.toString(), deb.toString()));
        } else {
            command.addAll(List.of(repo.resolve("test-vms/rootfs").toString(), "--no-provision", "--file", check.toString(),
                    "--file", deb.toString(), "--", "/srv/deb-check", "/srv/" + deb.getFileName()));
        }
        Requirements.ProcessResult checked = Requirements.run(Path.of("/"), command.toArray(String[]::new));
        String steps = String.join("\n", checked.output().lines().filter(l -> l.startsWith("deb-check: ")).toList());
        assertEquals(0, checked.exitCode(), checked.output());
        assertTrue(steps.endsWith("deb-check: all checks passed"), steps);
    }
}
