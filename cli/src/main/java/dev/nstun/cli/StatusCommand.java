package dev.nstun.cli;

import dev.nstun.netns.Privileges;
import dev.nstun.netns.RunRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code nstun status [TARGET] [--json]}: what a live run is doing, asked on its control socket. */
public final class StatusCommand implements Callable<Integer> {
    private final PositionalParamSpec target = PositionalParamSpec.builder().arity("0..1").paramLabel("TARGET").type(String.class)
            .description(RunTargets.DESCRIPTION).build();
    private final OptionSpec json = CommandModel.flag("The run's answer as one JSON document (the form scripts should read).", "--json");
    final CommandSpec spec = CommandModel.spec(this, "status");

    StatusCommand() {
        spec.addOption(json).addPositional(target);
        CommandModel.usage(spec, "0:the run answered", "3:no live run (none of this user's, or none that TARGET names)",
                        ExitCodes.FAILED_ENTRY + "; also when several runs are live and no TARGET says which, or the run cannot answer")
                .description("Shows a live run's flows (protocol, source, destination with the name of a fake address, rule, outbound,"
                        + " bytes each way, age) and its counters (flows by rule and outbound, refusals and drops by reason, DNS answers).")
                .footer("", "A plain user sees the runs it started; root sees every user's.",
                        "", "Examples:", "  nstun status", "  nstun status 4242 --json | jq '.flows[].destination'");
    }

    private boolean json() {
        return json.getValue();
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        RunTargets.Resolution resolution;
        try {
            resolution = RunTargets.resolve(liveRuns(), Optional.ofNullable(target.getValue()), "nstun status", Privileges.isHostRoot());
        } catch (IOException e) {
            err.println("nstun: " + e.getMessage());
            return ExitCodes.NSTUN_FAILED;
        }
        RunRegistry.Run run;
        switch (resolution) {
            case RunTargets.Found found -> run = found.run();
            case RunTargets.Refusal refusal -> {
                err.println(refusal.line());
                return refusal.status();
            }
        }
        String answer;
        try {
            answer = ask(run);
            if (json()) {
                StatusView.parse(answer); // an error the run gave is said as one, not printed as a status
                out.println(answer);
            } else {
                StatusView.render(StatusView.parse(answer), StatusView.Sort.BYTES, Integer.MAX_VALUE).forEach(out::println);
            }
        } catch (IOException | IllegalArgumentException e) {
            err.println("nstun: run " + run.pid() + ": " + e.getMessage());
            return ExitCodes.NSTUN_FAILED;
        }
        out.flush();
        return 0;
    }

    /** Returns the live runs this user may look at ({@link RunRegistry#visible}). */
    static List<RunRegistry.Run> liveRuns() throws IOException {
        List<RunRegistry.Run> all = new ArrayList<>();
        for (RunRegistry registry : RunRegistry.visible(System.getenv())) all.addAll(registry.live());
        return all;
    }

    /** Asks {@code run} for its status document. */
    static String ask(RunRegistry.Run run) throws IOException {
        if (run.control().isEmpty()) throw new IOException("it has no control socket (an nstun older than `nstun status`)");
        try {
            return ControlClient.request(run.control().get(), "status");
        } catch (IOException e) {
            throw new IOException("its control socket " + run.control().get() + " does not answer (" + e.getMessage()
                    + "); the run may be starting or ending");
        }
    }
}
