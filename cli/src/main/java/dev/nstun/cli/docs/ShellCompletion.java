package dev.nstun.cli.docs;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** Completion scripts for bash, zsh and fish, from the command line's picocli model. */
final class ShellCompletion {
    private ShellCompletion() {}

    /**
     * picocli's bash script, for share/bash-completion/completions/nstun. picocli takes an option
     * for one that needs a value unless its type is boolean, so a repeatable flag (-v, -vv: a
     * boolean[]) would get a case that offers nothing after it; those cases are taken out. And it
     * offers the names of the commands after {@code help} only when that command is picocli's own
     * {@link CommandLine.HelpCommand} class: nstun's is built in code, so the names are put in here.
     */
    static String bash(CommandLine cl) {
        String script = withCommandsAfterHelp(AutoComplete.bash(cl.getCommandName(), cl), cl);
        for (OptionSpec flag : repeatableFlags(cl.getCommandSpec())) {
            String names = String.join("|", Arrays.stream(flag.names()).map(n -> "'" + n + "'").toList());
            script = script.replace("\n    " + names + ")\n      return\n      ;;", "");
        }
        return script;
    }

    private static String withCommandsAfterHelp(String script, CommandLine cl) {
        for (CommandLine help : cl.getSubcommands().values()) {
            if (!help.getCommandSpec().helpCommand() || help.getCommand() instanceof CommandLine.HelpCommand) continue;
            String names = String.join(" ", cl.getSubcommands().values().stream()
                    .filter(c -> c != help && !c.getCommandSpec().usageMessage().hidden()).map(CommandLine::getCommandName).distinct().toList());
            String none = "\n  local commands=\"\"\n";
            int at = script.indexOf(none, script.indexOf("\nfunction _picocli_" + cl.getCommandName() + "_" + help.getCommandName() + "() {\n"));
            script = script.substring(0, at) + "\n  local commands=\"" + names + "\"\n" + script.substring(at + none.length());
        }
        return script;
    }

    private static Set<OptionSpec> repeatableFlags(CommandSpec spec) {
        Set<OptionSpec> flags = new LinkedHashSet<>();
        spec.options().stream().filter(o -> o.arity().max() == 0 && o.type() != boolean.class && o.type() != Boolean.class).forEach(flags::add);
        spec.subcommands().values().forEach(sub -> flags.addAll(repeatableFlags(sub.getCommandSpec())));
        return flags;
    }

    /**
     * An autoloaded zsh completion function (site-functions/_nstun): picocli's script, written for
     * bash and zsh's bashcompinit alike. The first time, zsh runs this file as the function _nstun:
     * the script's {@code complete} then binds the command to its bash function, and the last line
     * completes the word that made zsh load it.
     */
    static String zsh(CommandLine cl) {
        String name = cl.getCommandName();
        String script = bash(cl);
        String body = script.startsWith("#!") ? script.substring(script.indexOf('\n') + 1) : script;
        return "#compdef " + name + "\n" + body + "\n_bash_complete -F _complete_" + name + " -o default\n";
    }

    /**
     * A fish script (vendor_completions.d/nstun.fish), which picocli does not write: the commands
     * while none is given, then each command's options once it is.
     */
    static String fish(CommandLine cl) {
        String name = cl.getCommandName();
        CommandSpec root = cl.getCommandSpec();
        List<String> lines = new ArrayList<>();
        lines.add("# fish completion for " + name + ", made from its command-line model at build time; do not edit.");
        String none = "__fish_use_subcommand";
        List<String> commandNames = new ArrayList<>();
        for (CommandLine sub : root.subcommands().values()) {
            CommandSpec s = sub.getCommandSpec();
            if (s.usageMessage().hidden() || commandNames.contains(s.name())) continue;
            commandNames.add(s.name());
            lines.add(complete(name, none, "-f -a " + s.name() + " -d " + quote(HelpText.summary(s))));
        }
        options(lines, name, none, root);
        for (String command : commandNames) {
            CommandSpec s = root.subcommands().get(command).getCommandSpec();
            String seen = quote("__fish_seen_subcommand_from " + command);
            if (s.helpCommand()) {
                lines.add(complete(name, seen, "-f -a " + quote(String.join(" ", commandNames))));
                continue;
            }
            options(lines, name, seen, s);
            for (PositionalParamSpec p : s.positionalParameters()) {
                if (!p.hidden() && isPath(p)) lines.add(complete(name, seen, "-F"));
            }
        }
        return String.join("\n", lines) + "\n";
    }

    private static void options(List<String> lines, String name, String condition, CommandSpec spec) {
        for (OptionSpec o : spec.options()) {
            if (o.hidden()) continue;
            StringBuilder flags = new StringBuilder();
            for (String n : o.names()) {
                if (n.startsWith("--")) flags.append(" -l ").append(n.substring(2));
                else if (n.length() == 2) flags.append(" -s ").append(n.substring(1));
                else flags.append(" -o ").append(n.substring(1));
            }
            // -r: takes a value; -F: files offered for it; -x: a value, but not a file.
            if (o.arity().max() > 0) flags.append(isPath(o) ? " -r -F" : " -x");
            lines.add(complete(name, condition, flags.substring(1) + " -d " + quote(HelpText.brief(HelpText.of(o)))));
        }
    }

    private static boolean isPath(ArgSpec arg) {
        return Path.class.isAssignableFrom(arg.type()) || File.class.isAssignableFrom(arg.type());
    }

    private static String complete(String name, String condition, String rest) {
        return "complete -c " + name + " -n " + condition + " " + rest;
    }

    /** A fish single-quoted string: only \ and ' are special in it. */
    private static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
