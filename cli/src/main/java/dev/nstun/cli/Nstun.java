package dev.nstun.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** The top-level {@code nstun} command. */
public final class Nstun implements Runnable {
    private final CommandSpec spec = CommandSpec.wrapWithoutInspection(this).name("nstun");

    private Nstun() {
        LoggingOptions.addTo(spec);
        CommandModel.addStandardHelp(spec);
        spec.usageMessage()
                .description("Runs a command in a network namespace whose only way out is a TUN device.")
                .footer("", "Quick start:",
                        "  nstun run -- curl https://example.com              # every flow direct",
                        "  nstun run --socks5 127.0.0.1:1080 -- firefox       # through a SOCKS5 proxy",
                        "  nstun run -p work.yaml -- bash                     # as a policy's rules say",
                        "  nstun explain work.yaml example.com:443            # which rule a flow meets",
                        "  nstun up --background work -p work.yaml            # a namespace that stays",
                        "  nstun exec work -- curl https://example.com        # run a command in it",
                        "", "No sudo needed: as a plain user nstun runs rootless ('nstun doctor' checks this machine).",
                        "Each command has its own --help and man page (man nstun-run).")
                .exitCodeListHeading(ExitCodes.HEADING)
                .exitCodeList(ExitCodes.list("N:run, exec: its command's own status (128+N when signal N killed it)", ExitCodes.FAILED_ENTRY));
        for (CommandSpec command : List.of(new RunCommand().spec, new UpCommand().spec, new ExecCommand().spec, new DownCommand().spec,
                new LsCommand().spec, new StatusCommand().spec, new TopCommand().spec, new CheckCommand().spec, new ExplainCommand().spec,
                new ReloadCommand().spec, new DoctorCommand().spec, new CleanStaleCommand().spec, new HelpCommand().spec)) {
            spec.addSubcommand(command.name(), command);
        }
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command, for example: nstun run -- curl http://example.com");
    }

    /** The one factory for the command line, shared by {@link Main} and the tests. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Nstun().spec);
        cl.setOut(out);
        cl.setErr(err);
        // `nstun run [opts] -- cmd -x`: everything from COMMAND on belongs to the command, not to nstun.
        cl.getSubcommands().get("run").setStopAtPositional(true);
        cl.getSubcommands().get("exec").setStopAtPositional(true);
        // "@file" belongs to the command (curl --data-binary @file), never a picocli argument file.
        cl.setExpandAtFiles(false);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("nstun: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return ExitCodes.NSTUN_FAILED;
        });
        cl.setParameterExceptionHandler(Nstun::usageError);
        setInvalidInputExitCode(cl, ExitCodes.NSTUN_FAILED);
        return cl;
    }

    /**
     * A bad option or argument: what is wrong in one line, then where to read more, instead of
     * picocli's default of the whole usage help, which buries the one line that matters.
     */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine bad = e.getCommandLine();
        String name = bad.getCommandSpec().qualifiedName();
        String message = e.getMessage().strip().replace(System.lineSeparator(), "; ");
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched) {
            List<String> given = unmatched.getUnmatched();
            if (!bad.getSubcommands().isEmpty() && !given.isEmpty() && !given.get(0).startsWith("-")) {
                message = "unknown command '" + given.get(0) + "'";
            }
            List<String> suggestions = unmatched.getSuggestions();
            if (!suggestions.isEmpty()) message += " (did you mean " + String.join(" or ", suggestions) + "?)";
        }
        bad.getErr().println(name + ": " + message);
        bad.getErr().println("try '" + name + " --help'");
        return bad.getCommandSpec().exitCodeOnInvalidInput();
    }

    private static void setInvalidInputExitCode(CommandLine cl, int code) {
        cl.getCommandSpec().exitCodeOnInvalidInput(code);
        cl.getCommandSpec().exitCodeOnExecutionException(code);
        cl.getSubcommands().values().forEach(sub -> setInvalidInputExitCode(sub, code));
    }
}
