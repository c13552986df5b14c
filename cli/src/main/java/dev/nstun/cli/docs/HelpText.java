package dev.nstun.cli.docs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The text of a command's help as its {@code --help} shows it, without picocli's line wrapping, for
 * the man pages and completion scripts made from the same model.
 */
final class HelpText {
    private HelpText() {}

    /** The description of an option or parameter as one line, its variables (such as the default) filled in. */
    static String of(ArgSpec arg) {
        return format(String.join(" ", arg.renderedDescription()));
    }

    /** The first sentence (or clause before a semicolon) of a description, without its full stop: for a completion menu. */
    static String brief(String description) {
        String first = description;
        for (String end : new String[] {". ", "; "}) {
            int at = first.indexOf(end);
            if (at >= 0) first = first.substring(0, at);
        }
        return first.endsWith(".") ? first.substring(0, first.length() - 1) : first;
    }

    /** A command's one-line summary, as its parent's list of commands shows it: its header, or else its description's first line. */
    static String summary(CommandSpec spec) {
        List<String> header = lines(spec.usageMessage().header());
        List<String> text = header.stream().anyMatch(l -> !l.isBlank()) ? header : description(spec);
        return brief(text.stream().filter(l -> !l.isBlank()).findFirst().orElse("").strip());
    }

    /** A command's description lines. */
    static List<String> description(CommandSpec spec) {
        return lines(spec.usageMessage().description());
    }

    /** A command's footer lines (Examples:, Exit status:, …). */
    static List<String> footer(CommandSpec spec) {
        return lines(spec.usageMessage().footer());
    }

    private static List<String> lines(String[] formatted) {
        List<String> lines = new ArrayList<>();
        for (String s : formatted) lines.addAll(Arrays.asList(format(s).split("\n", -1)));
        return lines;
    }

    /** What picocli does to help texts, which are format strings: %n is a line break, %% a percent sign. */
    static String format(String s) {
        return s.replace("%n", "\n").replace("%%", "%");
    }
}
