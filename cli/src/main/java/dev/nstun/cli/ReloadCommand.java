package dev.nstun.cli;

import dev.nstun.netns.LibC;
import dev.nstun.netns.RunRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code nstun reload [TARGET]}: asks a running {@code nstun run -p FILE} or {@code nstun up NAME -p FILE} to re-read its policy (the
 * same as sending it SIGHUP) and prints what came of it. New flows follow the new policy; open ones
 * keep the outbound they have.
 */
public final class ReloadCommand implements Callable<Integer> {
    private static final int SIGHUP = 1;
    private static final long ANSWER_MILLIS = 10_000;
    private final PositionalParamSpec target = PositionalParamSpec.builder().arity("0..1").paramLabel("TARGET").type(String.class)
            .description(RunTargets.DESCRIPTION).build();
    final CommandSpec spec = CommandModel.spec(this, "reload");

    ReloadCommand() {
        spec.addPositional(target);
        CommandModel.usage(spec, "0:the running nstun re-read its policy file",
                        "3:no live run with a policy (none of this user's, or none that TARGET names)",
                        ExitCodes.FAILED_ENTRY + "; also when several runs have a policy and no TARGET says which (a file with problems leaves"
                                + " the run's policy as it was)")
                .description("Makes a running `nstun run -p FILE` (or `nstun up NAME -p FILE`) re-read FILE (as SIGHUP to it does) and prints"
                                + " the outcome.",
                        "New flows follow the new policy; open flows stay where they are; a file with problems changes nothing.")
                .footer("", "Examples:", "  nstun reload", "  nstun reload 4242", "  nstun reload work        # nstun up work -p FILE",
                        "  sudo nstun reload       # runs started with sudo");
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        RunRegistry registry;
        try {
            registry = RunRegistry.ofThisUser(System.getenv());
        } catch (IOException e) {
            err.println("nstun: " + e.getMessage());
            return ExitCodes.NSTUN_FAILED;
        }
        List<RunRegistry.Run> withPolicy = registry.live().stream().filter(r -> r.policy().isPresent()).toList();
        RunRegistry.Run run;
        switch (RunTargets.resolve(withPolicy, Optional.ofNullable(target.getValue()), "nstun reload", false)) {
            case RunTargets.Found found -> run = found.run();
            case RunTargets.Refusal refusal -> {
                err.println(refusal.line());
                if (refusal instanceof RunTargets.NoRun) err.println("nstun: (only a run with a policy file, -p FILE, re-reads one)");
                return refusal.status();
            }
        }
        long before = registry.lastReload(run.id()).map(RunRegistry.ReloadOutcome::sequence).orElse(0L);
        if (LibC.INSTANCE.kill((int) run.pid(), SIGHUP) != 0) {
            err.println("nstun: cannot signal nstun " + run.pid() + " (it may have just ended)");
            return ExitCodes.NSTUN_FAILED;
        }
        long deadline = System.nanoTime() + ANSWER_MILLIS * 1_000_000;
        while (System.nanoTime() < deadline) {
            Optional<RunRegistry.ReloadOutcome> outcome = registry.lastReload(run.id()).filter(o -> o.sequence() > before);
            if (outcome.isPresent()) {
                (outcome.get().ok() ? out : err).println("nstun " + run.pid() + ": " + String.join("\n", outcome.get().lines()));
                return outcome.get().ok() ? 0 : ExitCodes.NSTUN_FAILED;
            }
            Thread.sleep(50);
        }
        err.println("nstun: nstun " + run.pid() + " was signalled but did not report within " + ANSWER_MILLIS / 1000 + " s; see its log");
        return ExitCodes.NSTUN_FAILED;
    }
}
