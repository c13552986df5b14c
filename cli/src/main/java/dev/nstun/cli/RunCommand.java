package dev.nstun.cli;

import dev.nstun.stack.NetStack;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code nstun run [options] -- COMMAND [ARGS...]}. */
public final class RunCommand implements Callable<Integer> {
    final RunOptions options = new RunOptions();
    final CommandOptions who = new CommandOptions();
    private final PositionalParamSpec command = PositionalParamSpec.builder().required(true).arity("1..*").paramLabel("COMMAND")
            .type(List.class).auxiliaryTypes(String.class).description("The command to run, and its arguments.").build();
    final CommandSpec spec = CommandModel.spec(this, "run");

    RunCommand() {
        options.addTo(spec);
        who.addTo(spec);
        spec.addPositional(command);
        CommandModel.usage(spec, "N:COMMAND's own status (128+N when signal N killed it)", ExitCodes.FAILED_ENTRY,
                        "126:COMMAND cannot be executed", "127:COMMAND was not found")
                .description("Runs COMMAND in a new network namespace whose only way out is a TUN device served by nstun.")
                .footer("", "Without sudo, nstun runs rootless (in a user namespace of the user's own; 'nstun doctor' checks the machine);",
                        "sudo is needed only for a direct outbound's interface or fwmark.",
                        "", "Examples:", "  nstun run -- curl http://example.com/", "  nstun run --pcap trace.pcap -- ping -c1 198.18.0.9");
    }

    /** Returns COMMAND and its arguments. */
    List<String> command() {
        return command.getValue();
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        StartTimes.mark("parsed");
        // instanceof, not a pattern switch: a cold JVM's first pattern switch builds a class (~15 ms).
        RunPlan.Outcome outcome = RunPlan.of(options, who, command());
        if (outcome instanceof RunPlan.Refused refused) {
            refused.lines().forEach(err::println);
            return refused.status();
        }
        return run(((RunPlan.Ready) outcome).plan(), err);
    }

    /**
     * Runs the command as {@code plan} says, or serves its namespace until told to stop ({@code up});
     * returns the command's status (0 for {@code up}), or nstun's own when nstun fails.
     */
    static int run(RunPlan plan, PrintWriter err) throws InterruptedException {
        RunSession.Start start = RunSession.start(plan, err);
        if (start instanceof RunSession.Failed failed) {
            failed.line().ifPresent(err::println);
            return failed.status();
        }
        RunSession session = ((RunSession.Running) start).session();
        int status;
        try (session) {
            status = session.waitFor();
        }
        // Closed: every flow has ended and counted its bytes.
        if (plan.report()) session.printReport(err);
        NetStack stack = session.stack();
        LoggerFactory.getLogger(RunCommand.class).debug("command exited with status {}; packets in {}, out {}; drops {} {}",
                status, stack.packetsIn(), stack.packetsOut(), stack.counters().snapshot(), stack.echoCounters());
        if (plan.learning().isPresent() && !writeLearned(plan.learning().get(), plan.files(), err)) return ExitCodes.NSTUN_FAILED;
        return status;
    }

    /** Writes the --learn file; says what it wrote, or why it could not. */
    private static boolean writeLearned(RunPlan.Learning learning, UserFiles files, PrintWriter err) {
        try (FileChannel out = files.createOutput(learning.file())) {
            ByteBuffer bytes = ByteBuffer.wrap(learning.into().render().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) out.write(bytes);
        } catch (IOException e) {
            err.println("nstun: cannot write --learn " + learning.file() + ": " + e.getMessage());
            return false;
        }
        err.println("nstun: learned " + learning.into().size() + " destination(s) into " + learning.file() + " (use it with -p "
                + learning.file() + ")");
        return true;
    }
}
