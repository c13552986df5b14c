package dev.nstun.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The top-level {@code nstun} command. */
@Command(name = "nstun", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Runs a command in a network namespace whose only way out is a TUN device.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Nstun implements Runnable {
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
        return cl;
    }
}
