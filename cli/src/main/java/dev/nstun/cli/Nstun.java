package dev.nstun.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The top-level {@code nstun} command. */
@Command(name = "nstun", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Runs a command in a network namespace whose only way out is a TUN device.",
        subcommands = {RunCommand.class, CheckCommand.class, ExplainCommand.class, ReloadCommand.class, DoctorCommand.class, CleanStaleCommand.class,
            CommandLine.HelpCommand.class})
public final class Nstun implements Runnable {
    @CommandLine.Mixin LoggingOptions logging;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command, for example: nstun run -- curl http://example.com");
    }

    /** The one factory for the command line, shared by {@link Main} and the tests. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Nstun());
        cl.setOut(out);
        cl.setErr(err);
        // `nstun run [opts] -- cmd -x`: everything from COMMAND on belongs to the command, not to nstun.
        cl.getSubcommands().get("run").setStopAtPositional(true);
        // "@file" belongs to the command (curl --data-binary @file), never a picocli argument file.
        cl.setExpandAtFiles(false);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("nstun: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return ExitCodes.NSTUN_FAILED;
        });
        setInvalidInputExitCode(cl, ExitCodes.NSTUN_FAILED);
        return cl;
    }

    private static void setInvalidInputExitCode(CommandLine cl, int code) {
        cl.getCommandSpec().exitCodeOnInvalidInput(code);
        cl.getCommandSpec().exitCodeOnExecutionException(code);
        cl.getSubcommands().values().forEach(sub -> setInvalidInputExitCode(sub, code));
    }
}
