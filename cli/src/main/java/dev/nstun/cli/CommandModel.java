package dev.nstun.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * What nstun's commands share in building their picocli model. The model is built with picocli's
 * programmatic API, not its annotations: reading annotations makes the JVM generate a
 * {@code java.lang.reflect.Proxy} class per annotation type at run time, which no class-data archive
 * keeps; building the model took about 200 ms of CPU at every start, under 60 ms now (issue 11).
 * Each option is declared once, as an {@link OptionSpec} held by the class that owns it, which reads
 * its typed value after parsing. Options shared by several commands are added to each by their owner
 * ({@code addTo}), not as picocli mixins: a mixin is a {@link CommandSpec} of its own, merged into
 * the command's, and nstun's 29 cost about 40 ms of CPU at start.
 */
final class CommandModel {
    private CommandModel() {}

    /** The model of the command {@code name}, run by {@code command}, with the options every command takes (-v, -q). */
    static CommandSpec spec(Object command, String name) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(command).name(name);
        LoggingOptions.addTo(spec);
        return spec;
    }

    /**
     * Adds -h and -V ({@link #addStandardHelp}) after the options {@code command} has so far, and the
     * list of its exit codes ({@link ExitCodes#list}); returns its usage message for the rest.
     */
    static UsageMessageSpec usage(CommandSpec command, String... exitCodes) {
        addStandardHelp(command);
        return command.usageMessage().exitCodeListHeading(ExitCodes.HEADING).exitCodeList(ExitCodes.list(exitCodes));
    }

    /**
     * Adds -h and -V, as {@code mixinStandardHelpOptions} does (which reads the annotations of a
     * picocli class of its own), and the version -V prints. Last, as there: they come after the
     * command's own options in its man page.
     */
    private static void addStandardHelp(CommandSpec command) {
        command.versionProvider(new VersionProvider())
                .addOption(OptionSpec.builder("-h", "--help").type(boolean.class).initialValue(false).usageHelp(true)
                        .description("Show this help message and exit.").build())
                .addOption(OptionSpec.builder("-V", "--version").type(boolean.class).initialValue(false).versionHelp(true)
                        .description("Print version information and exit.").build());
    }

    /** An option that takes no value: false unless given. */
    static OptionSpec flag(String description, String... names) {
        return OptionSpec.builder(names).type(boolean.class).initialValue(false).description(description).build();
    }
}
