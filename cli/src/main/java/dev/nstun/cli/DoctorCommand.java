package dev.nstun.cli;

import dev.nstun.netns.Credentials;
import dev.nstun.netns.HostChecks;
import dev.nstun.netns.Privileges;
import dev.nstun.netns.Users;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** {@code nstun doctor}: what this machine allows nstun, each problem with its fix, and a trial run. */
public final class DoctorCommand implements Callable<Integer> {
    private static final long TRIAL_SECONDS = 30;
    /** ✓ and ✗, or what a terminal that cannot show them gets instead. */
    private static final String[] MARKS = marks();
    private final OptionSpec noTrial = CommandModel.flag("Only read the machine's settings; do not run `nstun run -- true`.", "--no-trial");
    final CommandSpec spec = CommandModel.spec(this, "doctor");

    DoctorCommand() {
        spec.addOption(noTrial);
        CommandModel.usage(spec, "0:`nstun run` works for this user",
                        "1:a check failed (each printed with its fix), or the trial run did", ExitCodes.FAILED_ENTRY)
                .description("Checks what `nstun run` needs from this machine and says how to fix what is missing.",
                        "One line per check, for this user (rootless) or root: ✓ as needed, ! works with a limit, ✗ must be fixed",
                        "(with the fix); then `nstun run -- true` as a trial. Under sudo it also checks what the user who ran sudo",
                        "needs without it. Exits 0 when `nstun run` works for this user, 1 when it does not.")
                .footer("", "Examples:", "  nstun doctor", "  sudo nstun doctor");
    }

    private boolean noTrial() {
        return noTrial.getValue();
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        boolean root = Privileges.isHostRoot();
        HostChecks checks = HostChecks.system();
        out.println(root ? "As root:" : "As " + System.getProperty("user.name") + " (rootless):");
        boolean ok = print(out, checks.all(new HostChecks.Subject(root, true, -1, ownGroups())));
        Credentials invoker = Users.invoker(System.getenv());
        if (root && !invoker.unchanged()) {
            out.println("As " + (invoker.userName() != null ? invoker.userName() : "uid " + invoker.uid()) + " without sudo (rootless):");
            print(out, checks.all(new HostChecks.Subject(false, false, invoker.uid(),
                    Arrays.stream(Users.groupsOf(invoker)).asLongStream().toArray())));
        }
        if (!noTrial()) ok &= trial(out);
        out.flush();
        return ok ? 0 : 1;
    }

    /** Prints each check; returns whether none failed. */
    private static boolean print(PrintWriter out, List<HostChecks.Check> checks) {
        boolean ok = true;
        for (HostChecks.Check c : checks) {
            String mark = switch (c.status()) {
                case OK -> MARKS[0];
                case WARNING -> "!";
                case FAILED -> MARKS[1];
            };
            out.println("  " + mark + " " + c.subject() + ": " + c.found());
            if (c.status() != HostChecks.Status.OK) out.println("      fix: " + c.fix());
            ok &= c.status() != HostChecks.Status.FAILED;
        }
        return ok;
    }

    /** Runs {@code nstun run -- true} through the launcher; returns whether it worked. */
    private static boolean trial(PrintWriter out) throws InterruptedException {
        String launcher = System.getProperty("nstun.launcher");
        if (launcher == null) {
            out.println("  ! trial: skipped (nstun was not started through its launcher)");
            return true;
        }
        Path log;
        Process p;
        try {
            log = Files.createTempFile("nstun-doctor", ".log");
            p = new ProcessBuilder(launcher, "run", "--", "true").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            out.println("  " + MARKS[1] + " trial: cannot start " + launcher + ": " + e.getMessage());
            return false;
        }
        try {
            if (!p.waitFor(TRIAL_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                out.println("  " + MARKS[1] + " trial: `nstun run -- true` did not finish in " + TRIAL_SECONDS + " s");
                return false;
            }
            if (p.exitValue() == 0) {
                out.println("  " + MARKS[0] + " trial: `nstun run -- true` works");
                return true;
            }
            out.println("  " + MARKS[1] + " trial: `nstun run -- true` exited " + p.exitValue() + ":");
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) out.println("      " + line);
            return false;
        } catch (IOException e) {
            out.println("  " + MARKS[1] + " trial: " + e.getMessage());
            return false;
        } finally {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                // A temporary file: nothing to tell the user.
            }
        }
    }

    private static String[] marks() {
        try {
            if (Charset.forName(System.getProperty("stdout.encoding", "UTF-8")).newEncoder().canEncode("✓✗")) return new String[] {"✓", "✗"};
        } catch (IllegalArgumentException e) {
            // An encoding name the JDK does not know: plain ASCII is safe.
        }
        return new String[] {"ok", "XX"};
    }

    /** Returns this process's group ids (its own and supplementary), from /proc/self/status. */
    private static long[] ownGroups() {
        try {
            String gid = "";
            String groups = "";
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Gid:")) gid = line.substring(4).trim().split("\\s+")[1];
                if (line.startsWith("Groups:")) groups = line.substring(7).trim();
            }
            return Arrays.stream((gid + " " + groups).trim().split("\\s+")).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
        } catch (IOException | RuntimeException e) {
            return new long[0];
        }
    }
}
