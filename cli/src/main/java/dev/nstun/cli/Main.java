package dev.nstun.cli;

import dev.nstun.cli.log.StderrLoggerProvider;
import dev.nstun.netns.ImmediateExit;
import dev.nstun.netns.NativeBindings;
import java.io.PrintWriter;

/** Entry point of the packaged jar. */
public final class Main {
    /**
     * Set by the launcher's training run for the class-data archive (see ./nstun), a run with a
     * policy, to the policy file it loads (or to anything else, such as 1). The rest of the training
     * follows in the same JVM ({@link ArchiveTraining#rest}: a run without a policy among it, so that
     * the archive holds the classes of both kinds; an archive trained on one kind started a run of the
     * other in 0.93 of the time, or 1.5 times: the YAML parser from the jar), then every command's
     * model is built.
     */
    private static final String TRAINING = "NSTUN_TRAIN_ARCHIVE";

    private Main() {}

    private static final PrintWriter OUT = new PrintWriter(System.out, true);
    private static final PrintWriter ERR = new PrintWriter(System.err, true);

    private static int execute(String[] args) {
        return Nstun.commandLine(OUT, ERR, args).execute(args);
    }

    public static void main(String[] args) {
        StartTimes.mark("main");
        // slf4j's provider named, not looked for: its ServiceLoader scan opened the JDK's module image
        // and the jar for a services file at the first logger (issue 11). The services file stays, for
        // tests and any other entry point; slf4j's own note that it uses the named provider is silenced.
        System.setProperty("slf4j.provider", StderrLoggerProvider.class.getName());
        System.setProperty("slf4j.internal.verbosity", "WARN");
        // The JDK's own selector provider named, not looked for: the ServiceLoader's scan opened the
        // JDK's module image and the jar, which from JDK 25 the start otherwise leaves closed (./nstun).
        System.setProperty("java.nio.channels.spi.SelectorProvider", "sun.nio.ch.EPollSelectorProvider");
        if (forwardsSignals(args)) SignalForwarder.takeBlockedSignals();
        if (servesNamespace(args)) {
            NativeBindings.bindInBackground();
            WarmUp.inBackground();
        }
        int status = execute(args);
        String training = System.getenv(TRAINING);
        if (training != null) {
            ArchiveTraining.rest(args, training, Main::execute);
            Nstun.commandLine(OUT, ERR);
        }
        System.out.flush();
        System.err.flush();
        if (ImmediateExit.requested()) ImmediateExit.now(status);
        // Halt, not exit: no shutdown hook of nstun's is left once a command has returned, and the
        // JVM's exit first logs itself through a System.Logger, whose lookup opened the JDK's module
        // image: a twentieth of the wall time of `nstun check` (issue 11). Halt still writes a
        // class-data archive the launcher asked for.
        Runtime.getRuntime().halt(status);
    }

    /**
     * Whether the arguments name {@code run} or {@code up}, which serve a namespace: nstun's own
     * options (-v, -q, -h, -V) take no value, so the first argument that is not an option is the
     * subcommand (the launcher reads it the same way).
     */
    static boolean servesNamespace(String[] args) {
        String command = commandWord(args);
        return command.equals("run") || command.equals("up");
    }

    /**
     * Whether the arguments name a command that passes the signals sent to nstun on to a command of
     * its own: {@code run} and {@code up} serve a namespace, {@code exec} starts a command in one. The
     * launcher blocks those signals for these commands only (so that one thread takes them with
     * sigwait), and reads the command word the same way. The others end in a second or two and leave
     * signals to the JVM: taking them needed nstun's native binding, whose loading took about a
     * third of the CPU of {@code nstun --version} on 2 cores (issue 11).
     */
    static boolean forwardsSignals(String[] args) {
        return servesNamespace(args) || commandWord(args).equals("exec");
    }

    /** The first argument that is not an option (nstun's own options take no value), or "" when there is none. */
    private static String commandWord(String[] args) {
        for (String a : args) {
            if (!a.startsWith("-")) return a;
        }
        return "";
    }
}
