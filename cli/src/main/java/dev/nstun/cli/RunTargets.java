package dev.nstun.cli;

import dev.nstun.netns.RunRegistry;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Which live run a command such as {@code nstun status [TARGET]} means: the one TARGET names (a
 * run's nstun pid, or the NAME of {@code nstun up NAME}), or with no TARGET the only live run. {@link #matches} is the one place that says
 * what a TARGET may be.
 */
final class RunTargets {
    /** What TARGET is, as each command's help says it. */
    static final String DESCRIPTION = "The run: its nstun's pid, or the NAME of `nstun up NAME`. Needed only when several runs are live.";

    /** What a TARGET came to. */
    sealed interface Resolution {}

    /** The run meant. */
    record Found(RunRegistry.Run run) implements Resolution {}

    /** No run is chosen: {@link #line} says why, and the command exits with {@link #status}. */
    sealed interface Refusal extends Resolution {
        String line();

        int status();
    }

    /** No live run is meant: {@code line} says so (exit {@link ExitCodes#NO_RUN}). */
    record NoRun(String line) implements Refusal {
        @Override
        public int status() {
            return ExitCodes.NO_RUN;
        }
    }

    /** Several live runs and no TARGET: {@code line} lists them (exit {@link ExitCodes#NSTUN_FAILED}). */
    record Ambiguous(String line) implements Refusal {
        @Override
        public int status() {
            return ExitCodes.NSTUN_FAILED;
        }
    }

    private RunTargets() {}

    /**
     * Returns the run among {@code live} that {@code target} means ({@code command} names the command for the lines it says;
     * {@code everyUser}: {@code live} holds every user's runs, as root sees them).
     */
    static Resolution resolve(List<RunRegistry.Run> live, Optional<String> target, String command, boolean everyUser) {
        if (target.isPresent()) {
            List<RunRegistry.Run> meant = live.stream().filter(r -> matches(r, target.get())).toList();
            if (meant.size() == 1) return new Found(meant.get(0));
            if (meant.isEmpty()) return new NoRun("nstun: no live run is " + target.get() + describe(live));
            return new Ambiguous("nstun: " + target.get() + " names several runs" + describe(meant));
        }
        if (live.size() == 1) return new Found(live.get(0));
        if (live.isEmpty()) {
            return new NoRun(everyUser ? "nstun: no live nstun run" : "nstun: no live nstun run of this user's (root's runs are visible to root only: try sudo)");
        }
        return new Ambiguous("nstun: " + live.size() + " runs are live; name one: " + command + " PID|NAME" + describe(live));
    }

    /** Returns whether {@code target} names {@code run}: its nstun's pid, or the name it serves under ({@code nstun up}). */
    static boolean matches(RunRegistry.Run run, String target) {
        return target.equals(Long.toString(run.pid())) || run.name().map(n -> n.value().equals(target)).orElse(false);
    }

    private static String describe(List<RunRegistry.Run> runs) {
        if (runs.isEmpty()) return "";
        return " (live: " + runs.stream()
                .map(r -> r.pid() + r.name().map(n -> " " + n).orElse("") + r.policy().map(p -> " -p " + p).orElse(""))
                .collect(Collectors.joining(", ")) + ")";
    }
}
