package dev.nstun.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** The top-level {@code nstun} command. */
public final class Nstun implements Runnable {
    /** Every command, in the order the top-level help lists them. */
    private static final List<String> COMMANDS = List.of("run", "up", "exec", "down", "ls", "status", "top", "check", "explain", "reload",
            "doctor", "clean-stale", "help");

    private final CommandSpec spec = CommandModel.spec(this, "nstun");

    private Nstun(List<String> commands) {
        CommandModel.usage(spec, "N:run, exec: its command's own status (128+N when signal N killed it)", ExitCodes.FAILED_ENTRY)
                .description("Runs a command in a network namespace whose only way out is a TUN device.")
                .footer("", "Quick start:",
                        "  nstun run -- curl https://example.com              # every flow direct",
                        "  nstun run --socks5 127.0.0.1:1080 -- firefox       # through a SOCKS5 proxy",
                        "  nstun run -p work.yaml -- bash                     # as a policy's rules say",
                        "  nstun explain work.yaml example.com:443            # which rule a flow meets",
                        "  nstun up --background work -p work.yaml            # a namespace that stays",
                        "  nstun exec work -- curl https://example.com        # run a command in it",
                        "", "No sudo needed: as a plain user nstun runs rootless ('nstun doctor' checks this machine).",
                        "Each command has its own --help and man page (man nstun-run).");
        for (String name : commands) spec.addSubcommand(name, command(name));
    }

    /** Builds the model of the command {@code name}, one of {@link #COMMANDS}. */
    private static CommandSpec command(String name) {
        // A switch, not a map of constructor references: each method reference would spin a class at start.
        return switch (name) {
            case "run" -> new RunCommand().spec;
            case "up" -> new UpCommand().spec;
            case "exec" -> new ExecCommand().spec;
            case "down" -> new DownCommand().spec;
            case "ls" -> new LsCommand().spec;
            case "status" -> new StatusCommand().spec;
            case "top" -> new TopCommand().spec;
            case "check" -> new CheckCommand().spec;
            case "explain" -> new ExplainCommand().spec;
            case "reload" -> new ReloadCommand().spec;
            case "doctor" -> new DoctorCommand().spec;
            case "clean-stale" -> new CleanStaleCommand().spec;
            case "help" -> new HelpCommand().spec;
            default -> throw new IllegalArgumentException("no command " + name);
        };
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command, for example: nstun run -- curl http://example.com");
    }

    /** The command line with every command: for the tests and the generated docs, which look at the whole model. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(COMMANDS, out, err);
    }

    /**
     * The command line to execute {@code args} with ({@link Main}): it says and does for them exactly
     * what the full one does, but holds only the commands it needs ({@link #commandsFor}): building
     * all thirteen, and picocli's command line for each, took about a tenth of the CPU of
     * {@code nstun --version}, {@code nstun check} and {@code nstun run} (issue 11).
     */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err, String[] args) {
        return commandLine(commandsFor(args), out, err);
    }

    /**
     * Which commands picocli needs to parse {@code args} and say about them what it says with all of
     * them: the one the command word names (nstun's own options take no value, so that is the first
     * argument that is not an option, as {@link Main#servesNamespace} reads it), or none when there
     * is no command word. Every command where help or an error lists or suggests commands: top-level
     * -h/--help, {@code help}, an unknown command word, and whatever in front of the command word is
     * not certain to be read as an option of nstun's own or an unknown option ({@link #plainOption}).
     */
    static List<String> commandsFor(String[] args) {
        for (String arg : args) {
            if (!arg.startsWith("-")) return arg.equals("help") || !COMMANDS.contains(arg) ? COMMANDS : List.of(arg);
            if (!plainOption(arg)) return COMMANDS;
        }
        return List.of();
    }

    /**
     * Whether picocli reads {@code arg}, in front of the command word, the same way whatever commands
     * the model holds: -v, -q, -V or a cluster of them, or a word of three or more characters that
     * starts with "--" and is not --help (nstun's option names all start with '-', so picocli takes
     * any such word for an option, known or unknown, and suggests options for it). "-", "--", -h and
     * other single-dash words are left to the full model: picocli may read them as help, or as a
     * positional argument (-1, -Infinity are numbers to it) and suggest commands.
     */
    private static boolean plainOption(String arg) {
        if (arg.startsWith("--")) return arg.length() > 2 && !arg.startsWith("--help");
        if (arg.length() < 2) return false;
        for (int i = 1; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (c != 'v' && c != 'q' && c != 'V') return false;
        }
        return true;
    }

    private static CommandLine commandLine(List<String> commands, PrintWriter out, PrintWriter err) {
        // picocli gives each command line a converter for each java.time and java.sql type, found by
        // reflection: loading and initialising those classes (java.time.Year builds a date parser, and
        // java.sql is a module of its own) cost about 8% of the CPU of `nstun --version` (issue 11).
        // No option of nstun's has such a type. Here, not in Main: a test of a model that needs one fails.
        System.setProperty("picocli.converters.excludes", "java\\.(time|sql)\\..*");
        // Nor groovy: picocli's factory looked for groovy.lang.Closure, which opened the jar to find it
        // missing (from JDK 25 the start otherwise leaves the jar closed: ./nstun).
        System.setProperty("picocli.disable.closures", "true");
        CommandLine cl = new CommandLine(new Nstun(commands).spec);
        cl.setOut(out);
        cl.setErr(err);
        // `nstun run [opts] -- cmd -x`: everything from COMMAND on belongs to the command, not to nstun.
        for (String name : List.of("run", "exec")) {
            CommandLine command = cl.getSubcommands().get(name);
            if (command != null) command.setStopAtPositional(true);
        }
        // "@file" belongs to the command (curl --data-binary @file), never a picocli argument file.
        cl.setExpandAtFiles(false);
        // picocli reaches Path's factory by reflection, whose method handles the JVM makes at run
        // time, class archive or not: a tenth of the wall time of `nstun check` (issue 11).
        cl.registerConverter(Path.class, Path::of);
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
