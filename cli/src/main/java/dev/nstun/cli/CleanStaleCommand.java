package dev.nstun.cli;

import dev.nstun.netns.RunRegistry;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code nstun clean-stale}, the launcher's, not the user's: kills what this user's runs whose
 * nstun was killed left behind. {@code nstun run} does the same when it starts, but rootless it runs
 * in a user namespace of its own, from where the processes of another run's (a sibling namespace)
 * cannot be told apart; this runs before it, in the user's own namespace, and only when the
 * launcher saw a record of a run whose nstun is gone.
 */
public final class CleanStaleCommand implements Callable<Integer> {
    final CommandSpec spec = CommandModel.spec(this, "clean-stale");

    CleanStaleCommand() {
        spec.usageMessage().hidden(true).description("Kills what runs of this user's that were killed left behind.");
    }

    @Override
    public Integer call() {
        try {
            RunRegistry.ofThisUser(System.getenv()).cleanStale();
            return 0;
        } catch (IOException e) {
            spec.commandLine().getErr().println("nstun: " + e.getMessage());
            return ExitCodes.NSTUN_FAILED;
        }
    }
}
