package dev.nstun.cli.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files the build makes from the command-line model; InstallIT runs them with bash, groff and man. */
class GenerateDocsTest {
    @TempDir static Path dir;
    private static String fish;

    @BeforeAll
    static void generate() throws Exception {
        GenerateDocs.write(dir);
        fish = Files.readString(dir.resolve("completion/nstun.fish"));
    }

    @Test
    void onePagePerCommandButHelp() throws Exception {
        try (Stream<Path> pages = Files.list(dir.resolve("man"))) {
            assertEquals(List.of("nstun-check.1", "nstun-doctor.1", "nstun-down.1", "nstun-exec.1", "nstun-explain.1", "nstun-ls.1", "nstun-reload.1",
                    "nstun-run.1", "nstun-status.1", "nstun-top.1", "nstun-up.1", "nstun.1"),
                    pages.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void aPageHasTheHelpsOptionsExitStatusesAndExamplesInManMacros() throws Exception {
        String run = Files.readString(dir.resolve("man/nstun-run.1"));
        assertTrue(run.contains("\n.TH NSTUN\\-RUN 1 \"\" \"nstun "), run);
        assertTrue(run.contains("\n.SH NAME\nnstun\\-run \\- Runs COMMAND in a new network namespace"), run);
        assertTrue(run.contains("\n.TP\n\\fB\\-p\\fR, \\fB\\-\\-policy\\fR=\\fIFILE\\fR\nSend each flow where"), run);
        assertTrue(run.contains("\n.TP\n\\fB\\-\\-mtu\\fR=\\fIBYTES\\fR\nMTU of the TUN device (65520; 1280 to 65535).\n"),
                "the default filled in: " + run);
        assertTrue(run.contains("\n.TP\n\\fB\\-\\-host\\-loopback\\fR\n"), "a flag has no value: " + run);
        assertTrue(run.contains("\n.SH EXIT STATUS\n.TP\n\\fBN\\fR\n"), run);
        assertTrue(run.contains("\n.TP\n\\fB125\\fR\nnstun's own failure"), run);
        assertTrue(run.contains("\n.SH EXAMPLES\n.nf\nnstun run \\-\\- curl http://example.com/\n"), run);
        assertTrue(run.contains("\n.SH SEE ALSO\n\\fBnstun\\fR(1), \\fBnstun\\-up\\fR(1), \\fBnstun\\-exec\\fR(1)"), run);
        assertFalse(run.contains("debug"), "hidden options stay out: " + run);
        String top = Files.readString(dir.resolve("man/nstun.1"));
        assertTrue(top.contains("\n.SH COMMANDS\n.TP\n\\fBrun\\fR\nRuns COMMAND in a new network namespace whose only way out is a TUN"
                + " device served by nstun. See \\fBnstun\\-run\\fR(1).\n"), top);
        assertTrue(top.contains("\n.SH QUICK START\n.nf\nnstun run \\-\\- curl https://example.com "), top);
    }

    @Test
    void fishOffersCommandsFirstThenTheirOptions() {
        assertTrue(fish.contains("\ncomplete -c nstun -n __fish_use_subcommand -f -a check -d 'Checks a policy file and prints every"
                + " problem in it, as FILE:LINE:COLUMN: message'\n"), fish);
        assertTrue(fish.contains("\ncomplete -c nstun -n __fish_use_subcommand -s v -l verbose -d "), fish);
        assertTrue(fish.contains("\ncomplete -c nstun -n '__fish_seen_subcommand_from run' -s p -l policy -r -F -d 'Send each flow where"
                + " this policy file\\'s rules say (docs/policy.md)'\n"), "a file, and a quote escaped: " + fish);
        assertTrue(fish.contains("\ncomplete -c nstun -n '__fish_seen_subcommand_from run' -l mtu -x -d "), "a value, not a file: " + fish);
        assertTrue(fish.contains("\ncomplete -c nstun -n '__fish_seen_subcommand_from check' -F\n"), "FILE: " + fish);
        assertTrue(fish.contains("\ncomplete -c nstun -n '__fish_seen_subcommand_from help' -f -a 'run up exec down ls status top check explain reload doctor help'\n"), fish);
        assertFalse(fish.contains("debug-faults"), fish);
    }

    @Test
    void bashOffersTheCommandsAfterHelp() throws Exception {
        String bash = Files.readString(dir.resolve("completion/nstun.bash"));
        String help = bash.substring(bash.indexOf("\nfunction _picocli_nstun_help() {\n"));
        assertTrue(help.contains("\n  local commands=\"run up exec down ls status top check explain reload doctor\"\n"), help);
    }

    @Test
    void zshLoadsPicocliScriptThroughBashcompinitAndCompletesAtOnce() throws Exception {
        String zsh = Files.readString(dir.resolve("completion/_nstun"));
        String bash = Files.readString(dir.resolve("completion/nstun.bash"));
        assertTrue(zsh.startsWith("#compdef nstun\n#\n# nstun Bash Completion"), zsh);
        assertTrue(zsh.contains(bash.substring(bash.indexOf('\n') + 1)), "the same functions as bash");
        assertTrue(zsh.endsWith("\n_bash_complete -F _complete_nstun -o default\n"), zsh);
    }
}
