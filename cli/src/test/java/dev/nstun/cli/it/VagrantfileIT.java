package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.cli.it.Requirements.ProcessResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks {@code test-vms/Vagrantfile} with {@code vagrant validate}. The VMs cannot boot on the
 * development machines (no KVM, no internet for boxes), so this is what keeps the file from rotting;
 * broken copies must be rejected, or a passing check would prove nothing.
 *
 * <p>Vagrant checks a provider block only for the provider it would use, and refuses to validate at
 * all ("No usable default provider") when none of them is usable. So the test first asks which of
 * the Vagrantfile's providers works here (libvirt with the vagrant-libvirt plugin that
 * scripts/provision installs; VirtualBox where it is installed) and validates for that one;
 * with neither, it validates everything but the provider blocks ({@code --ignore-provider}).
 */
class VagrantfileIT {
    private static final String SUCCESS = "Vagrantfile validated successfully.";
    private static final String ERRORS = "There are errors in the configuration of this machine";

    /** The Vagrantfile's providers, in the order Vagrant would prefer them. */
    private static final List<String> PROVIDERS = List.of("libvirt", "virtualbox");

    /** The provider vagrant validate checks the file for; null when none is usable here. */
    private static String provider;

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsVagrant(@TempDir Path probe) throws IOException, InterruptedException {
        Requirements.requireCommand("vagrant");
        Files.writeString(probe.resolve("Vagrantfile"), "Vagrant.configure(\"2\") { |c| c.vm.box = \"probe\" }\n");
        for (String p : PROVIDERS) {
            if (vagrant(probe, probe.resolve("dotfile"), p, "validate").exitCode() == 0) {
                provider = p;
                break;
            }
        }
    }

    @Test
    void theTestVmsVagrantfileIsValid() throws Exception {
        Path dir = Requirements.repoRoot().resolve("test-vms");
        assertTrue(Files.isRegularFile(dir.resolve("Vagrantfile")), "missing " + dir.resolve("Vagrantfile"));

        ProcessResult r = validate(dir);

        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains(SUCCESS), r.output());
    }

    /** The control for the broken copies: moving the file to a temporary folder alone breaks nothing. */
    @Test
    void anUnchangedCopyIsValid() throws Exception {
        ProcessResult r = validate(copyWith(""));

        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains(SUCCESS), r.output());
    }

    /** What to append to a copy, and what vagrant must then say. */
    static Stream<Arguments> breakages() {
        return Stream.of(
                Arguments.of("a setting Vagrant does not have", "c.vm.cpus = 2",
                        "The following settings shouldn't exist: cpus"),
                Arguments.of("a shell provisioner with no script", "c.vm.provision \"broken\", type: \"shell\"",
                        "One of `path` or `inline` must be set"),
                Arguments.of("a Ruby syntax error", "c.vm.box = \"unterminated",
                        "There is a syntax error in the following Vagrantfile"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breakages")
    void aBrokenCopyIsRejected(String what, String breakage, String expected) throws Exception {
        ProcessResult r = validate(copyWith(breakage));

        assertNotEquals(0, r.exitCode(), what + " was accepted:\n" + r.output());
        assertTrue(r.output().contains(expected), "expected '" + expected + "' in:\n" + r.output());
        assertFalse(r.output().contains(SUCCESS), r.output());
    }

    /** Proves the provider blocks are really checked, not ignored. */
    @Test
    void aBrokenProviderSettingIsRejected() throws Exception {
        Requirements.require(provider != null, "no usable Vagrant provider, so provider blocks are not validated"
                + " (install vagrant-libvirt: run sudo scripts/provision)");

        ProcessResult r = validate(copyWith("c.vm.provider(:" + provider + ") { |p| p.memroy = 4096 }"));

        assertNotEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains(ERRORS) && r.output().contains("memroy"), r.output());
    }

    /**
     * Copies the Vagrantfile to {@code tmp/test-vms/} (so its repository-root path, {@code ..}, still
     * exists) and appends one more configure block holding {@code breakage}.
     */
    private Path copyWith(String breakage) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("test-vms"));
        Path copy = dir.resolve("Vagrantfile");
        Files.copy(Requirements.repoRoot().resolve("test-vms/Vagrantfile"), copy);
        if (!breakage.isEmpty()) {
            Files.writeString(copy, "\nVagrant.configure(\"2\") do |c|\n  " + breakage + "\nend\n",
                    StandardOpenOption.APPEND);
        }
        return dir;
    }

    private ProcessResult validate(Path dir) throws IOException, InterruptedException {
        return provider != null
                ? vagrant(dir, tmp.resolve("dotfile"), provider, "validate")
                : vagrant(dir, tmp.resolve("dotfile"), null, "validate", "--ignore-provider");
    }

    /**
     * Runs vagrant offline and without touching the tree: no version check against HashiCorp's
     * servers, no colour codes, its per-project state ({@code .vagrant/}) kept out of test-vms/, and
     * the provider chosen by the test rather than by whatever else (docker, …) is usable here.
     */
    private static ProcessResult vagrant(Path dir, Path dotfile, String provider, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                "env", "VAGRANT_CHECKPOINT_DISABLE=1", "VAGRANT_NO_COLOR=1", "VAGRANT_DOTFILE_PATH=" + dotfile));
        if (provider != null) command.add("VAGRANT_DEFAULT_PROVIDER=" + provider);
        command.add("vagrant");
        command.addAll(List.of(args));
        return Requirements.run(dir, command.toArray(String[]::new));
    }
}
