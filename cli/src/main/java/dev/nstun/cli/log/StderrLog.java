package dev.nstun.cli.log;

import dev.nstun.cli.json.JsonWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import org.slf4j.event.Level;

/**
 * Where nstun's log lines go and how they look: stderr, from {@code ERROR} down to the level -v/-q
 * chose, one line each as plain text ({@code WARN message}, what slf4j-simple printed before) or as
 * one JSON object per line ({@code --log-format json}) for a journal or a log shipper. Both may be
 * set at any time (while options are parsed); each line reads them anew.
 */
public final class StderrLog {
    /** How a line is written. */
    public enum Format {
        /** {@code LEVEL message}; a throwable follows as its stack trace (only for what nstun did not expect). */
        TEXT,
        /** {@code {"time":…,"level":…,"logger":…,"message":…}}, a throwable as "error" and "stack" fields: always one line. */
        JSON
    }

    private static volatile Level threshold = Level.INFO;
    private static volatile Format format = Format.TEXT;
    /** Where lines go; a test may point it elsewhere. */
    private static volatile PrintStream out = System.err;

    private StderrLog() {}

    /** Logs lines of {@code level} and more severe ones. */
    public static void threshold(Level level) {
        threshold = level;
    }

    /** Writes lines as {@code f} says. */
    public static void format(Format f) {
        format = f;
    }

    /** Sends lines to {@code stream} (tests); stderr otherwise. */
    static void output(PrintStream stream) {
        out = stream;
    }

    /** Returns whether a line of {@code level} is written. */
    static boolean enabled(Level level) {
        return level.toInt() >= threshold.toInt();
    }

    /** Writes one line of {@code level} from {@code logger}, with {@code error} if not null. */
    static void write(Level level, String logger, String message, Throwable error) {
        String line = switch (format) {
            case TEXT -> text(level, message, error);
            case JSON -> json(level, logger, message, error);
        };
        PrintStream stream = out;
        // One print per line, so lines of several threads never interleave within a line.
        stream.print(line);
        stream.flush();
    }

    private static String text(Level level, String message, Throwable error) {
        StringBuilder line = new StringBuilder().append(level.name()).append(' ').append(message).append(System.lineSeparator());
        if (error != null) line.append(stackTrace(error));
        return line.toString();
    }

    private static String json(Level level, String logger, String message, Throwable error) {
        JsonWriter line = new JsonWriter().beginObject()
                .name("time").value(Instant.now().toString())
                .name("level").value(level.name())
                .name("logger").value(logger)
                .name("message").value(message);
        if (error != null) line.name("error").value(error.toString()).name("stack").value(stackTrace(error));
        return line.endObject() + "\n";
    }

    private static String stackTrace(Throwable error) {
        StringWriter trace = new StringWriter();
        error.printStackTrace(new PrintWriter(trace));
        return trace.toString();
    }
}
