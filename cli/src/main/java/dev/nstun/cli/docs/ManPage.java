package dev.nstun.cli.docs;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * A man page (man(7) macros, section 1) for one command, from the same picocli model as its
 * {@code --help}: name, synopsis, description, options, arguments, subcommands, exit statuses, and
 * one section per footer heading ("Examples:" becomes EXAMPLES). picocli-codegen's ManPageGenerator
 * writes AsciiDoc, which would need Asciidoctor at build time to become a man page; this writes the
 * page itself.
 */
final class ManPage {
    private final StringBuilder page = new StringBuilder();

    private ManPage() {}

    /** The file name of a command's page: nstun.1, nstun-run.1. */
    static String fileName(CommandSpec spec) {
        return pageName(spec) + ".1";
    }

    /** The man page of {@code spec}, for nstun {@code version}. */
    static String of(CommandSpec spec, String version) {
        ManPage m = new ManPage();
        m.write(spec, version);
        return m.page.toString();
    }

    /** The commands that get a page of their own: every visible one but picocli's {@code help}. */
    static List<CommandSpec> documented(CommandSpec root) {
        List<CommandSpec> specs = new ArrayList<>();
        specs.add(root);
        for (CommandLine sub : root.subcommands().values()) {
            CommandSpec s = sub.getCommandSpec();
            if (!s.usageMessage().hidden() && !s.helpCommand() && !specs.contains(s)) specs.add(s);
        }
        return specs;
    }

    private void write(CommandSpec spec, String version) {
        String name = pageName(spec);
        line(".\\\" Made from nstun's command-line model at build time (dev.nstun.cli.docs); do not edit.");
        line(".TH " + name.toUpperCase(Locale.ROOT).replace("-", "\\-") + " 1 \"\" \"" + escape(version) + "\" \"nstun manual\"");
        // No hyphenation and a ragged right margin: option names and URLs stay whole and readable.
        line(".nh");
        line(".ad l");
        line(".SH NAME");
        text(name + " - " + HelpText.summary(spec));
        line(".SH SYNOPSIS");
        line(".nf");
        CommandLine.Help help = new CommandLine.Help(spec, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        help.synopsis(0).lines().forEach(this::text);
        line(".fi");
        line(".SH DESCRIPTION");
        paragraphs(HelpText.description(spec));
        List<PositionalParamSpec> parameters = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
        if (!parameters.isEmpty()) {
            line(".SH ARGUMENTS");
            for (PositionalParamSpec p : parameters) {
                line(".TP");
                line("\\fI" + escape(p.paramLabel()) + "\\fR");
                text(HelpText.of(p));
            }
        }
        line(".SH OPTIONS");
        for (OptionSpec o : spec.options()) {
            if (o.hidden()) continue;
            line(".TP");
            StringBuilder label = new StringBuilder();
            for (String n : o.names()) label.append(label.isEmpty() ? "" : ", ").append("\\fB").append(escape(n)).append("\\fR");
            if (o.arity().max() > 0) label.append("=\\fI").append(escape(o.paramLabel())).append("\\fR");
            line(label.toString());
            text(HelpText.of(o));
        }
        List<CommandSpec> subcommands = spec.subcommands().values().stream().map(CommandLine::getCommandSpec)
                .filter(s -> !s.usageMessage().hidden()).distinct().toList();
        if (!subcommands.isEmpty()) {
            line(".SH COMMANDS");
            for (CommandSpec sub : subcommands) {
                line(".TP");
                line("\\fB" + escape(sub.name()) + "\\fR");
                String seeAlso = sub.helpCommand() ? "" : " See \\fB" + escape(pageName(sub)) + "\\fR(1).";
                line(escape(HelpText.summary(sub)) + "." + seeAlso);
            }
        }
        Map<String, String> exitCodes = spec.usageMessage().exitCodeList();
        if (!exitCodes.isEmpty()) {
            line(".SH EXIT STATUS");
            exitCodes.forEach((code, meaning) -> {
                line(".TP");
                line("\\fB" + escape(code) + "\\fR");
                text(HelpText.format(meaning).replace('\n', ' '));
            });
        }
        footer(HelpText.footer(spec));
        line(".SH SEE ALSO");
        CommandSpec root = spec.root();
        List<String> others = documented(root).stream().filter(s -> s != spec).map(s -> "\\fB" + escape(pageName(s)) + "\\fR(1)").toList();
        line(String.join(", ", others));
    }

    /** Description lines: a line of its own in --help is a line of its own here; a blank one starts a paragraph. */
    private void paragraphs(List<String> lines) {
        for (String l : lines) {
            if (l.isBlank()) line(".PP");
            else text(l);
        }
    }

    /**
     * The footer: a line like "Examples:" starts a section of that name; the indented lines under it
     * (examples, aligned on purpose) are kept as they are, less the indentation of the first (the
     * section indents them already); other lines are running text.
     */
    private void footer(List<String> lines) {
        boolean verbatim = false;
        int indent = 0;
        for (String l : lines) {
            boolean heading = !l.isBlank() && !l.startsWith(" ") && l.endsWith(":");
            boolean indented = l.startsWith(" ");
            if (verbatim && !indented) {
                line(".fi");
                verbatim = false;
            }
            if (l.isBlank()) continue;
            if (heading) {
                line(".SH " + escape(l.substring(0, l.length() - 1).toUpperCase(Locale.ROOT)));
            } else if (indented) {
                if (!verbatim) {
                    line(".nf");
                    indent = l.length() - l.stripLeading().length();
                }
                verbatim = true;
                text(l.substring(Math.min(indent, l.length() - l.stripLeading().length())));
            } else {
                line(".PP");
                text(l);
            }
        }
        if (verbatim) line(".fi");
    }

    private static String pageName(CommandSpec spec) {
        return spec.qualifiedName("-");
    }

    /** Text for troff: a backslash is printed with \e, a minus as \- (so that options can be copied), and
     * a line that would start with a control character is protected with \&. */
    private void text(String s) {
        String escaped = escape(s);
        line(escaped.startsWith(".") || escaped.startsWith("'") ? "\\&" + escaped : escaped);
    }

    /** Escapes troff's specials; a character beyond ASCII becomes its Unicode escape ({@code \[u2713]} for ✓). */
    private static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (c == '\\') {
                out.append("\\e");
            } else if (c == '-') {
                out.append("\\-");
            } else if (c > 127) {
                out.append(String.format("\\[u%04X]", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    private void line(String s) {
        page.append(s).append('\n');
    }
}
