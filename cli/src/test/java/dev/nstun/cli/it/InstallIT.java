package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/install puts a working nstun on PATH: the launcher finds its jar and a JDK from there, the
 * class-data archive and jffi's library sit beside the jar, and the shell completion and man pages
 * go where bash, zsh, fish and man look under the prefix, each one usable by its program.
 */
class InstallIT {
    private static final List<String> PAGES = List.of("nstun", "nstun-run", "nstun-up", "nstun-exec", "nstun-down", "nstun-ls", "nstun-status",
            "nstun-top", "nstun-check", "nstun-explain", "nstun-reload", "nstun-doctor");

    @TempDir static Path prefix;
    private static String installOutput;

    @BeforeAll
    static void install() throws Exception {
        ProcessBuilder install = new ProcessBuilder(Requirements.repoRoot().resolve("scripts/install").toString()).redirectErrorStream(true);
        install.environment().put("PREFIX", prefix.toString());
        Process p = install.start();
        installOutput = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), installOutput);
    }

    @Test
    void installedLauncherRunsFromItsPrefix() throws Exception {
        assertTrue(Files.isExecutable(prefix.resolve("bin/nstun")), installOutput);
        Requirements.ProcessResult version = Requirements.run(Path.of("/"), prefix.resolve("bin/nstun").toString(), "--version");
        assertEquals(0, version.exitCode(), version.output());
        assertTrue(version.output().startsWith("nstun "), version.output());
        // What the launcher starts faster with, made or copied by the install itself.
        try (var files = Files.list(prefix.resolve("lib/nstun"))) {
            List<String> names = files.map(f -> f.getFileName().toString()).toList();
            for (Path archive : List.of(NstunProcess.trainedArchive(prefix.resolve("lib/nstun/nstun.jar")),
                    NstunProcess.trainedToolsArchive(prefix.resolve("lib/nstun/nstun.jar")))) {
                assertTrue(names.contains(archive.getFileName().toString()), "no class-data archive " + archive + ": " + names + "\n" + installOutput);
            }
        }
        try (var libs = Files.list(prefix.resolve("lib/nstun/jffi"))) {
            assertTrue(libs.anyMatch(f -> f.getFileName().toString().startsWith("libjffi")), "no jffi library in lib/nstun/jffi\n" + installOutput);
        }
    }

    @Test
    void bashCompletesCommandsAndOptionsFromTheInstalledScript() throws Exception {
        Path script = prefix.resolve("share/bash-completion/completions/nstun");
        Requirements.ProcessResult registered = bash("source " + script + "; complete -p nstun");
        assertEquals(0, registered.exitCode(), registered.output());
        assertEquals("complete -o default -F _complete_nstun nstun\n", registered.output());
        // What TAB would offer, with bash's completion variables set as readline sets them.
        assertEquals("run\n", complete(script, "nstun ru"));
        assertEquals("run up exec down ls status top check explain reload doctor help\n", complete(script, "nstun "));
        assertEquals("--policy\n", complete(script, "nstun run --po"));
        assertEquals("--probe\n", complete(script, "nstun check --pr"));
        assertEquals("run reload\n", complete(script, "nstun -v r"), "-v takes no value: the command follows it");
    }

    @Test
    void manPagesRenderWithoutWarnings() throws Exception {
        Requirements.requireCommand("groff");
        for (String page : PAGES) {
            Path file = prefix.resolve("share/man/man1/" + page + ".1");
            assertTrue(Files.readString(file).contains("\n.TH " + page.toUpperCase().replace("-", "\\-") + " 1 "), file.toString());
            // -ww: every warning troff knows; -z: no output but the warnings.
            Requirements.ProcessResult check = Requirements.run(Path.of("/"), "groff", "-man", "-Tutf8", "-ww", "-z", file.toString());
            assertEquals(0, check.exitCode(), page + ": " + check.output());
            assertEquals("", check.output(), page + ": troff warnings");
            String text = render(file);
            assertTrue(text.contains("NAME\n " + page + " - "), page + ":\n" + text);
            assertTrue(text.contains("EXIT STATUS") && text.contains("125 nstun's own failure"), page + ":\n" + text);
        }
        String run = render(prefix.resolve("share/man/man1/nstun-run.1"));
        assertTrue(run.contains("-p, --policy=FILE\n Send each flow where this policy file's rules say"), run);
        assertTrue(run.contains("EXAMPLES\n nstun run -- curl http://example.com/"), run);
        assertTrue(!run.contains("debug-faults"), "hidden options stay hidden:\n" + run);
        String top = render(prefix.resolve("share/man/man1/nstun.1"));
        assertTrue(top.contains("QUICK START") && top.contains("nstun-run(1)"), top);
    }

    @Test
    void zshAndFishScriptsAreWhereTheyLookAndParseWhereInstalled() throws Exception {
        Path zsh = prefix.resolve("share/zsh/site-functions/_nstun");
        Path fish = prefix.resolve("share/fish/vendor_completions.d/nstun.fish");
        assertTrue(Files.readString(zsh).startsWith("#compdef nstun\n"), zsh.toString());
        assertTrue(Files.readString(fish).contains("\ncomplete -c nstun -n __fish_use_subcommand -f -a run -d "), fish.toString());
        // Neither shell is part of the test set-up: each script is parsed where its shell is installed.
        if (Requirements.onPath("zsh")) {
            Requirements.ProcessResult parsed = Requirements.run(Path.of("/"), "zsh", "-n", zsh.toString());
            assertEquals(0, parsed.exitCode(), parsed.output());
        }
        if (Requirements.onPath("fish")) {
            Requirements.ProcessResult parsed = Requirements.run(Path.of("/"), "fish", "--no-execute", fish.toString());
            assertEquals(0, parsed.exitCode(), parsed.output());
        }
    }

    @Test
    void whereAppArmorRestrictsUserNamespacesItsProfileAllowsNstunsOwnUnshare(@TempDir Path other) throws Exception {
        // This machine may not restrict them: NSTUN_APPARMOR installs what Ubuntu 23.10+ would get.
        Path profiles = other.resolve("apparmor.d");
        ProcessBuilder install = new ProcessBuilder(Requirements.repoRoot().resolve("scripts/install").toString()).redirectErrorStream(true);
        install.environment().putAll(java.util.Map.of("PREFIX", other.resolve("prefix").toString(), "NSTUN_APPARMOR", "1",
                "APPARMOR_DIR", profiles.toString()));
        Process p = install.start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), output);
        Path unshare = other.resolve("prefix/lib/nstun/unshare");
        Requirements.ProcessResult version = Requirements.run(Path.of("/"), unshare.toString(), "--version");
        assertTrue(version.output().contains("util-linux"), "the copy beside the jar is util-linux's unshare: " + version.output());
        String profile = Files.readString(profiles.resolve("nstun"));
        assertTrue(profile.contains("\nprofile nstun \"" + unshare + "\" flags=(unconfined) {\n  userns,\n"), profile);
        // AppArmor 4 (Debian 13, Ubuntu 24.04) knows the userns rule: its parser checks the whole
        // profile without loading it. Older parsers (Debian 12's 3.0) cannot read abi 4.0.
        if (Requirements.onPath("apparmor_parser") && Files.exists(Path.of("/etc/apparmor.d/abi/4.0"))) {
            Requirements.ProcessResult parsed = Requirements.run(Path.of("/"), "apparmor_parser", "--skip-kernel-load", "--skip-cache",
                    "--base", "/etc/apparmor.d", profiles.resolve("nstun").toString());
            assertEquals(0, parsed.exitCode(), parsed.output());
        }
    }

    private static Requirements.ProcessResult bash(String script) throws Exception {
        return Requirements.run(Path.of("/"), "bash", "--norc", "--noprofile", "-c", script);
    }

    /** The words bash would offer for {@code line} (ending where the cursor is), one line, space-separated. */
    private static String complete(Path script, String line) throws Exception {
        String words = line.endsWith(" ") ? "(" + line + "'')" : "(" + line + ")";
        Requirements.ProcessResult r = bash("source " + script + "; compopt() { :; }; COMP_LINE='" + line + "'; COMP_WORDS=" + words
                + "; COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _complete_nstun; echo \"${COMPREPLY[*]}\"");
        assertEquals(0, r.exitCode(), line + ": " + r.output());
        return r.output();
    }

    /** A page as man shows it (without man-db, as groff renders it for a terminal), in plain text. */
    /**
     * Returns the page as man shows it, every run of spaces one space: how a line is adjusted is
     * groff's (1.23 justifies where 1.22 did not), what it says is ours.
     */
    private static String render(Path page) throws Exception {
        Requirements.ProcessResult r = Requirements.onPath("man")
                ? Requirements.run(Path.of("/"), "env", "MANWIDTH=100", "MAN_KEEP_FORMATTING=", "man", "-l", page.toString())
                : Requirements.run(Path.of("/"), "groff", "-man", "-Tascii", "-rLL=100n", "-P-c", "-P-b", "-P-o", "-P-u", page.toString());
        assertEquals(0, r.exitCode(), r.output());
        return r.output().replaceAll(" +", " ");
    }
}
