package dev.nstun.cli;

import dev.nstun.cli.log.StderrLog;
import org.slf4j.event.Level;
import picocli.CommandLine.Option;

/** -v / -q and --log-format, shared by every command: how much {@link StderrLog} writes to stderr, and in what form. */
final class LoggingOptions {
    private static int verbosity;

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

    @Option(names = "--log-format", paramLabel = "FORMAT", description = "How log lines on stderr look: text (the default) or json"
            + " (one object per line: time, level, logger, message).")
    void logFormat(LogFormat format) {
        StderrLog.format(format == LogFormat.json ? StderrLog.Format.JSON : StderrLog.Format.TEXT);
    }

    /** The values --log-format takes, as they are typed. */
    enum LogFormat { text, json }

    /** Returns whether -v (or -vv) was given. */
    static boolean verbose() {
        return verbosity > 0;
    }

    private static void apply() {
        StderrLog.threshold(switch (verbosity) {
            case -1 -> Level.ERROR;
            case 0 -> Level.INFO;
            case 1 -> Level.DEBUG;
            default -> Level.TRACE;
        });
    }
}
