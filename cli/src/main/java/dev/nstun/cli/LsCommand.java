package dev.nstun.cli;

import dev.nstun.netns.RunRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code nstun ls}: the namespaces {@code nstun up} serves for this user (root: root's), from the
 * registry, after removing what killed ones left. Each row is what the registry knows of an
 * instance ({@link RunRegistry.Instance}) and what the instance itself says on its control socket
 * (its live flows and the bytes it carried: {@link StatusView#totals}); "-" where it does not answer.
 */
public final class LsCommand implements Callable<Integer> {
    private static final String FORMAT = "%-32s %8s %8s %6s %10s %10s  %s";
    final CommandSpec spec = CommandModel.spec(this, "ls");

    LsCommand() {
        CommandModel.usage(spec, "0:listed (none is not an error)", ExitCodes.FAILED_ENTRY)
                .description("Lists the namespaces `nstun up` serves.",
                        "One line each, for this user (under sudo: root's): name, nstun's pid, uptime, live flows, bytes carried each way"
                                + " and what their flows follow. `nstun status NAME` shows the flows.")
                .footer("", "Examples:", "  nstun ls", "  sudo nstun ls");
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        RunRegistry registry;
        try {
            registry = RunRegistry.ofThisUser(System.getenv());
        } catch (IOException e) {
            spec.commandLine().getErr().println("nstun: " + e.getMessage());
            return ExitCodes.NSTUN_FAILED;
        }
        registry.cleanStale();
        List<RunRegistry.Instance> instances = registry.instances();
        Map<String, RunRegistry.Run> runs = new HashMap<>();
        for (RunRegistry.Run r : registry.live()) runs.put(r.id(), r);
        out.println(String.format(FORMAT, "NAME", "PID", "UPTIME", "FLOWS", "UP", "DOWN", "POLICY").stripTrailing());
        Instant now = Instant.now();
        instances.forEach(i -> out.println(row(i, Optional.ofNullable(runs.get(i.runId())).flatMap(LsCommand::totals), now)));
        return 0;
    }

    /** One instance's line under the header, with what it carried if it said. */
    static String row(RunRegistry.Instance instance, Optional<StatusView.Totals> totals, Instant now) {
        return String.format(FORMAT, instance.name(), instance.pid(), StatusView.duration(Duration.between(instance.started(), now).toMillis()),
                totals.map(t -> Integer.toString(t.liveFlows())).orElse("-"), totals.map(t -> RunReport.bytes(t.bytesUp())).orElse("-"),
                totals.map(t -> RunReport.bytes(t.bytesDown())).orElse("-"), instance.policy());
    }

    /** Asks {@code run} what it carried; empty when it does not answer (starting, ending, or an older nstun). */
    private static Optional<StatusView.Totals> totals(RunRegistry.Run run) {
        try {
            return Optional.of(StatusView.totals(StatusView.parse(StatusCommand.ask(run))));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
