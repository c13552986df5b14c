package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.cli.log.StderrLog;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;
import picocli.CommandLine;

class CommandLineTest {
    /** -v in a parsed line sets the log level of this JVM: later tests get the default back. */
    @AfterEach
    void defaultLogLevel() {
        StderrLog.threshold(Level.INFO);
    }

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final CommandLine cl = Nstun.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));

    private RunCommand parseRun(String... args) {
        CommandLine.ParseResult r = cl.parseArgs(args);
        return (RunCommand) r.subcommand().commandSpec().userObject();
    }

    @Test
    void optionsAfterTheCommandBelongToTheCommand() {
        RunCommand run = parseRun("run", "--mtu", "1500", "curl", "-v", "--mtu", "x");
        assertEquals(1500, run.options.mtu());
        assertEquals(List.of("curl", "-v", "--mtu", "x"), run.command());
    }

    @Test
    void doubleDashEndsNstunsOptions() {
        RunCommand run = parseRun("run", "-v", "--", "sh", "-c", "exit 3");
        assertEquals(List.of("sh", "-c", "exit 3"), run.command());
        assertEquals(RunOptions.DEFAULT_MTU, run.options.mtu());
        assertNull(run.options.pcap());
    }

    @Test
    void atFilesAreTheCommandsArguments() {
        RunCommand run = parseRun("run", "--", "curl", "--data-binary", "@/nonexistent/upload.bin", "@.");
        assertEquals(List.of("curl", "--data-binary", "@/nonexistent/upload.bin", "@."), run.command());
    }

    @Test
    void badFlagSaysSoInOneLineAndPointsAtTheCommandsHelp() {
        assertEquals(125, cl.execute("run", "--frobnicate", "--", "true"));
        assertEquals(lines("nstun run: Unknown option: '--frobnicate'", "try 'nstun run --help'"), err.toString());
        assertEquals("", out.toString(), "no usage help");
    }

    @Test
    void aMisspeltOptionOrCommandGetsASuggestion() {
        assertEquals(125, cl.execute("check", "--prboe", "work.yaml"));
        assertEquals(lines("nstun check: Unknown option: '--prboe' (did you mean --probe?)", "try 'nstun check --help'"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(125, cl.execute("chek", "work.yaml"));
        assertEquals(lines("nstun: unknown command 'chek' (did you mean check or help?)", "try 'nstun --help'"), err.toString());
    }

    @Test
    void missingCommandExits125() {
        assertEquals(125, cl.execute("run"));
        assertEquals(lines("nstun run: Missing required parameter: 'COMMAND'", "try 'nstun run --help'"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(125, cl.execute());
        assertEquals(lines("nstun: Missing a command, for example: nstun run -- curl http://example.com", "try 'nstun --help'"),
                err.toString());
    }

    @Test
    void topLevelHelpHasAQuickStart() {
        assertEquals(0, cl.execute("--help"));
        String help = out.toString();
        String quickStart = help.substring(help.indexOf("Quick start:"));
        assertEquals(6, quickStart.lines().filter(l -> l.startsWith("  ") && l.contains("nstun ")).count(), help);
        assertTrue(quickStart.contains("  nstun run -p work.yaml -- bash"), help);
        assertTrue(quickStart.contains("No sudo needed"), help);
    }

    @Test
    void everyCommandsHelpListsItsExitStatusesWith125ForNstunsOwnFailure() {
        for (String command : List.of("run", "up", "exec", "down", "ls", "check", "explain", "reload", "doctor")) {
            String help = cl.getSubcommands().get(command).getUsageMessage(CommandLine.Help.Ansi.OFF);
            String statuses = help.substring(help.indexOf("Exit status:"));
            assertTrue(statuses.contains("\n  125   nstun's own failure: a bad option, a policy file that cannot be read or"), command + ":\n" + help);
        }
        for (String command : List.of("run", "exec")) {
            String help = cl.getSubcommands().get(command).getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertTrue(help.contains("  126   COMMAND cannot be executed") && help.contains("  127   COMMAND was not found"), help);
        }
    }

    @Test
    void anInvalidPolicyExitsTheSameForCheckAndExplain(@TempDir Path dir) throws Exception {
        // run (PolicyIT) and reload (ReloadIT) exit with the same status for the same file.
        Path policy = Files.writeString(dir.resolve("p.yaml"), "rules:\n  - {ip-cidr: [10.0.0.0/8], outbond: direct}\n");
        String problem = policy + ":2:29: unknown key 'outbond'";
        assertEquals(ExitCodes.NSTUN_FAILED, cl.execute("check", policy.toString()));
        assertTrue(err.toString().contains(problem), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(ExitCodes.NSTUN_FAILED, cl.execute("explain", policy.toString(), "example.com:443"));
        assertTrue(err.toString().contains(problem), err.toString());
        assertEquals("", out.toString());
    }

    @Test
    void startingReadsNoAnnotations() throws Exception {
        // Issue 11: each annotation type read makes the JVM generate a Proxy class at start, which no class-data archive keeps.
        Process java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xlog:class+load=info",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "--version").redirectErrorStream(true).start();
        List<String> loaded = new String(java.getInputStream().readAllBytes()).lines().toList();
        assertEquals(0, java.waitFor(), String.join("\n", loaded));
        assertTrue(loaded.stream().anyMatch(l -> l.contains(" dev.nstun.cli.LoggingOptions ")), "the log lists the classes loaded: " + loaded);
        assertEquals(List.of(), loaded.stream().filter(l -> l.contains("source: __dynamic_proxy__")).toList());
    }

    @Test
    void helpAndVersionExit0() {
        assertEquals(0, cl.execute("run", "--help"));
        assertTrue(out.toString().contains("--pcap=FILE"), out.toString());
        assertEquals(0, cl.execute("--version"));
        assertTrue(out.toString().contains("nstun "), out.toString());
    }

    @Test
    void runnableChecks(@TempDir Path dir) throws Exception {
        List<String> w = new ArrayList<>();
        Path exe = Files.writeString(dir.resolve("tool"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path plain = Files.writeString(dir.resolve("plain"), "data");
        Files.setPosixFilePermissions(plain, PosixFilePermissions.fromString("rw-r--r--"));
        assertNull(RunPlan.checkRunnable("tool", "/nonexistent:" + dir, w));
        assertNull(RunPlan.checkRunnable(exe.toString(), null, w));
        assertEquals(127, RunPlan.checkRunnable("tool", "/nonexistent", w));
        assertEquals(127, RunPlan.checkRunnable(dir + "/missing", null, w));
        assertEquals(126, RunPlan.checkRunnable(plain.toString(), null, w));
        assertEquals(126, RunPlan.checkRunnable(dir.toString(), null, w));
        assertEquals(127, RunPlan.checkRunnable("plain", dir.toString(), w), "not executable on PATH is not found, as in sh");
    }

    @Test
    void checkPrintsEveryProblemWithItsPosition(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("p.yaml"), "rules:\n  - {ip-cidr: [10.0.0.0/8], outbond: direct}\n  - {outbound: nowhere}\n");
        assertEquals(125, cl.execute("check", policy.toString()));
        String e = err.toString();
        assertTrue(e.contains(policy + ":2:29: unknown key 'outbond'"), e);
        assertTrue(e.contains(policy + ":3:"), e);
        assertTrue(e.contains("nowhere"), e);
    }

    @Test
    void checkRefusesASelfMergeAtItsPosition(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("p.yaml"), "defaults: &d {<<: *d}\nrules: [{outbound: direct}]\n");
        int status = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> cl.execute("check", policy.toString()));
        assertEquals(125, status);
        assertEquals(policy + ":1:19: *d refers to the map it is in (&d at line 1, column 11): a policy cannot contain itself,"
                + " directly or through merge keys (<<)" + System.lineSeparator(), err.toString());
        assertEquals("", out.toString());
    }

    @Test
    void checkRefusesAFifoInOneLine(@TempDir Path dir) throws Exception {
        Path policy = dir.resolve("p.yaml");
        assertEquals(0, new ProcessBuilder("mkfifo", policy.toString()).inheritIO().start().waitFor(), "mkfifo");
        int status = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> cl.execute("check", policy.toString()));
        assertEquals(125, status);
        assertEquals(policy + ": cannot read the policy: not a regular file (a FIFO); give a path to a YAML file"
                + System.lineSeparator(), err.toString());
    }

    @Test
    void explainNamesTheRuleAndOutbound(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("p.yaml"),
                "rules:\n  - {domain-suffix: [example.com], outbound: reject}\n  - {outbound: direct}\n");
        assertEquals(0, cl.execute("check", policy.toString()));
        assertEquals(0, cl.execute("explain", policy.toString(), "www.example.com:443"));
        assertTrue(out.toString().contains("www.example.com:443/tcp → rule 1"), out.toString());
        assertEquals(0, cl.execute("explain", policy.toString(), "--udp", "192.0.2.1:53"));
        assertTrue(out.toString().contains("192.0.2.1:53/udp → rule 2"), out.toString());
    }

    @Test
    void theModelForTheArgumentsHoldsOnlyTheCommandTheyName() {
        assertEquals(List.of("run"), Nstun.commandsFor(new String[] {"-v", "--log-format=json", "run", "--", "help"}));
        assertEquals(List.of("check"), Nstun.commandsFor(new String[] {"--bogus", "check", "--help"}));
        assertEquals(List.of(), Nstun.commandsFor(new String[] {"--version"}));
        assertEquals(List.of(), Nstun.commandsFor(new String[] {"-vV", "--bogus"}));
        assertEquals(List.of(), Nstun.commandsFor(new String[0]));
        List<String> all = cl.getSubcommands().keySet().stream().toList();
        for (String[] args : List.<String[]>of(new String[] {"help", "run"}, new String[] {"chek"}, new String[] {"-h", "run"},
                new String[] {"-vh"}, new String[] {"--help"}, new String[] {"--", "run"}, new String[] {"-"}, new String[] {"-1"},
                new String[] {"-Infinity"}, new String[] {"--log-format", "json", "run"})) {
            assertEquals(all, Nstun.commandsFor(args), String.join(" ", args));
        }
    }

    @Test
    void theModelForTheArgumentsSaysWhatTheFullOneSays() {
        for (String[] args : List.<String[]>of(new String[0], new String[] {"--version"}, new String[] {"-V"}, new String[] {"-v"},
                new String[] {"--bogus"}, new String[] {"-vx"}, new String[] {"-vlog"}, new String[] {"--log-format"},
                new String[] {"--log-format", "--version"}, new String[] {"--log-format", "run"}, new String[] {"run", "--help"},
                new String[] {"run", "-V"}, new String[] {"run"}, new String[] {"run", "--frobnicate", "--", "true"},
                new String[] {"run", "--mtu", "x", "--", "true"}, new String[] {"--bogus", "run", "--", "true"}, new String[] {"exec", "--help"},
                new String[] {"check", "--help"}, new String[] {"check", "--prboe", "x"}, new String[] {"clean-stale", "--help"},
                new String[] {"help", "run"}, new String[] {"chek"}, new String[] {"-h", "run"})) {
            assertEquals(outcome(Nstun::commandLine, args), outcome((o, e) -> Nstun.commandLine(o, e, args), args), String.join(" ", args));
        }
    }

    /** The status, stdout and stderr of executing {@code args} with a command line {@code factory} makes. */
    private static List<Object> outcome(BiFunction<PrintWriter, PrintWriter, CommandLine> factory, String[] args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = factory.apply(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return List.of(status, out.toString(), err.toString());
    }

    private static String lines(String... lines) {
        return String.join(System.lineSeparator(), lines) + System.lineSeparator();
    }

    @Test
    void lsSaysUptimeInItsLargestTwoUnits() {
        assertEquals("45s", StatusView.duration(45_000));
        assertEquals("12m03s", StatusView.duration((12 * 60 + 3) * 1000));
        assertEquals("5h02m", StatusView.duration((5 * 3600 + 2 * 60 + 59) * 1000));
        assertEquals("3d04h", StatusView.duration((3 * 24 + 4) * 3600_000L));
    }

    @Test
    void execTakesEverythingAfterNameAsTheCommandWithOrWithoutDashes() {
        for (List<String> args : List.of(List.of("exec", "-u", "root", "vpn", "--", "curl", "-v"), List.of("exec", "-u", "root", "vpn", "curl", "-v"))) {
            ExecCommand exec = (ExecCommand) cl.parseArgs(args.toArray(String[]::new)).subcommand().commandSpec().userObject();
            assertEquals("vpn", exec.name().value());
            assertEquals("root", exec.who.user());
            assertEquals(List.of("curl", "-v"), exec.argv(), args.toString());
        }
    }
}
