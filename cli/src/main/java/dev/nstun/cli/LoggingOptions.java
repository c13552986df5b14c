package dev.nstun.cli;

import picocli.CommandLine.Option;

/**
 * -v / -q, shared by every command. slf4j-simple reads its level once, when the first logger is
 * made, so these set it while options are parsed, before any nstun class logs.
 */
final class LoggingOptions {
    private static final String LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
    private static int verbosity;

    static {
        System.setProperty("org.slf4j.simpleLogger.showThreadName", "false");
        System.setProperty("org.slf4j.simpleLogger.showLogName", "false");
        System.setProperty("org.slf4j.simpleLogger.levelInBrackets", "false");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        apply();
    }

    @Option(names = {"-v", "--verbose"}, description = "More detail on stderr (-vv for packet-level tracing).")
    void verbose(boolean[] flags) {
        verbosity = flags.length;
        apply();
    }

    @Option(names = {"-q", "--quiet"}, description = "Only errors on stderr.")
    void quiet(boolean quiet) {
        if (quiet) verbosity = -1;
        apply();
    }

    /** Returns whether -v (or -vv) was given. */
    static boolean verbose() {
        return verbosity > 0;
    }

    private static void apply() {
        System.setProperty(LEVEL, switch (verbosity) {
            case -1 -> "error";
            case 0 -> "info";
            case 1 -> "debug";
            default -> "trace";
        });
    }
}
