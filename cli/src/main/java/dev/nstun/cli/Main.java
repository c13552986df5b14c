package dev.nstun.cli;

import dev.nstun.netns.ImmediateExit;
import dev.nstun.netns.NativeBindings;

/** Entry point of the packaged jar. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        SignalForwarder.takeBlockedSignals();
        if (servesNamespace(args)) {
            NativeBindings.bindInBackground();
            WarmUp.inBackground();
        }
        int status = Nstun.commandLine(new java.io.PrintWriter(System.out, true),
                new java.io.PrintWriter(System.err, true), args).execute(args);
        if (ImmediateExit.requested()) {
            System.out.flush();
            System.err.flush();
            ImmediateExit.now(status);
        }
        System.exit(status);
    }

    /**
     * Whether the arguments name {@code run} or {@code up}, which serve a namespace: nstun's own
     * options (-v, -q, -h, -V) take no value, so the first argument that is not an option is the
     * subcommand (the launcher reads it the same way).
     */
    static boolean servesNamespace(String[] args) {
        for (String a : args) {
            if (!a.startsWith("-")) return a.equals("run") || a.equals("up");
        }
        return false;
    }
}
