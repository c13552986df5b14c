package dev.nstun.cli;

import dev.nstun.cli.log.StderrLoggerProvider;
import dev.nstun.netns.ImmediateExit;
import dev.nstun.netns.NativeBindings;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Entry point of the packaged jar. */
public final class Main {
    /**
     * Set by the launcher's training run for the class-data archive (see ./nstun), a run with a
     * policy, to the policy file it loads (or to anything else, such as 1). A run without a policy
     * follows in the same JVM, so that the archive holds the classes of both kinds (an archive
     * trained on one kind started a run of the other in 0.93 of the time, or 1.5 times: the YAML
     * parser from the jar), then {@code explain} of that file, and every command's model is built.
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
        if (forwardsSignals(args)) SignalForwarder.takeBlockedSignals();
        if (servesNamespace(args)) {
            NativeBindings.bindInBackground();
            WarmUp.inBackground();
        }
        int status = execute(args);
        String training = System.getenv(TRAINING);
        if (training != null) train(args, training);
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
     * The rest of the archive's training, after the command it was started with ({@code args}): a
     * run without a policy where that was a run, and one that makes a connection ({@link
     * #trainConnection}), {@code explain} and {@code check} of the training's
     * policy file ({@code training}, when it names one: explain's rule matching and its lambdas are
     * otherwise made at run time, a tenth of its start, and check's reflective field setters), then
     * {@code --version}, and every command's model, which a start builds only for the command it
     * runs. What they print goes where the training's output goes.
     */
    private static void train(String[] args, String training) {
        if (servesNamespace(args)) {
            execute(new String[] {"run", "--", "true"});
            trainConnection();
        }
        if (new java.io.File(training).isFile()) {
            execute(new String[] {"explain", training, "www.example.com:443"});
            execute(new String[] {"check", training});
        }
        execute(new String[] {"--version"});
        Nstun.commandLine(OUT, ERR);
    }

    /**
     * A run whose command makes one TCP connection through nstun to a listener on the host's
     * loopback ({@code --host-loopback}), sends a line and reads the answer: without it the archive
     * held none of what a first connection needs, which then came from the jar (30 of nstun's
     * classes, curl's first connection through nstun) with its lambdas made at run time. bash's
     * /dev/tcp is the client; without bash the run fails, and the training goes on without it.
     */
    private static void trainConnection() {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread.ofPlatform().daemon(true).start(() -> {
                try (Socket s = listener.accept()) {
                    s.setSoTimeout(5_000);
                    s.getInputStream().read();
                    s.getOutputStream().write("answer\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // The training's command saw it fail; nothing to teach.
                }
            });
            execute(new String[] {"run", "--host-loopback", "--", "bash", "-c", "exec 3<>/dev/tcp/" + NstunAddresses.RESOLVER_IPV4_TEXT + "/"
                    + listener.getLocalPort() + " && echo question >&3 && read -r -t 5 answer <&3"});
        } catch (IOException e) {
            // No listener: the training goes on without a connection.
        }
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
