package dev.nstun.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code nstun help [COMMAND]}: picocli's {@link CommandLine.HelpCommand}, the same texts and
 * behaviour, with its model built in code: that class declares its model in annotations, which
 * cost start-up time ({@link CommandModel}).
 */
final class HelpCommand implements CommandLine.IHelpCommandInitializable2, Callable<Integer> {
    private final PositionalParamSpec command = PositionalParamSpec.builder().paramLabel("COMMAND").arity("0..1").type(String.class)
            .description("The COMMAND to display the usage help message for.").build();
    final CommandSpec spec = CommandSpec.wrapWithoutInspection(this).name("help").helpCommand(true)
            .addOption(OptionSpec.builder("-h", "--help").type(boolean.class).initialValue(false).usageHelp(true)
                    .description("Show usage help for the help command and exit.").build())
            .addPositional(command);
    private CommandLine self;
    private Help.ColorScheme colorScheme;
    private PrintWriter out;

    HelpCommand() {
        spec.usageMessage().header("Display help information about the specified command.").synopsisHeading("%nUsage: ")
                .description("%nWhen no COMMAND is given, the usage help for the main command is displayed.",
                        "If a COMMAND is specified, the help for that command is shown.%n");
    }

    @Override
    public void init(CommandLine helpCommandLine, Help.ColorScheme colorScheme, PrintWriter out, PrintWriter err) {
        this.self = helpCommandLine;
        this.colorScheme = colorScheme;
        this.out = out;
    }

    @Override
    public Integer call() {
        CommandLine parent = self.getParent();
        String name = command.getValue();
        CommandLine subject = name == null ? parent : parent.getSubcommands().get(name);
        if (subject == null) throw new ParameterException(parent, "Unknown subcommand '" + name + "'.", null, name);
        subject.usage(out, colorScheme);
        return subject.getCommandSpec().exitCodeOnUsageHelp();
    }
}
