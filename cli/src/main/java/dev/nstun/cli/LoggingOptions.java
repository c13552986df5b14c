package dev.nstun.cli;

import dev.nstun.cli.log.StderrLog;
import java.util.function.Consumer;
import org.slf4j.event.Level;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Range;

/** -v / -q and --log-format, shared by every command: how much {@link StderrLog} writes to stderr, and in what form. */
final class LoggingOptions {
    private static int verbosity;

    private LoggingOptions() {}

    /**
     * Adds the options to {@code command}. Each takes effect as it is parsed, before the command runs
     * (and a later one overrides an earlier: {@code nstun -v run -q}).
     */
    static void addTo(CommandSpec command) {
        command
                .addOption(onParse(OptionSpec.builder("-q", "--quiet").type(boolean.class)
                        .description("Only errors on stderr."), LoggingOptions::setQuiet))
                // Repeatable: picocli hands over all the -v so far each time it parses one more (-vv: twice).
                .addOption(onParse(OptionSpec.builder("-v", "--verbose").type(boolean[].class).arity(Range.valueOf("0").unspecified(true))
                        .description("More detail on stderr (-vv for packet-level tracing)."), LoggingOptions::setVerbose))
                .addOption(onParse(OptionSpec.builder("--log-format").paramLabel("FORMAT").type(LogFormat.class)
                        .description("How log lines on stderr look: text (the default) or json"
                                + " (one object per line: time, level, logger, message)."), LoggingOptions::setLogFormat));
    }

    /** An option that calls {@code action} with its value when it is parsed (only then: nothing when it is not given). */
    private static <T> OptionSpec onParse(OptionSpec.Builder option, Consumer<T> action) {
        OnParse<T> binding = new OnParse<>(action);
        return option.hasInitialValue(false).getter(binding).setter(binding).build();
    }

    /** What picocli sets and reads an option's value through: the last value, handed to an action as it is set. */
    private static final class OnParse<T> implements IGetter, ISetter {
        private final Consumer<T> action;
        private T value;

        OnParse(Consumer<T> action) {
            this.action = action;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <V> V get() {
            return (V) value;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <V> V set(V value) {
            V previous = (V) this.value;
            this.value = (T) value;
            action.accept(this.value);
            return previous;
        }
    }

    private static void setVerbose(boolean[] flags) {
        verbosity = flags.length;
        apply();
    }

    private static void setQuiet(boolean quiet) {
        if (quiet) verbosity = -1;
        apply();
    }

    private static void setLogFormat(LogFormat format) {
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
