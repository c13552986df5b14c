package dev.nstun.cli;

/** Entry point of the packaged jar. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        SignalForwarder.takeBlockedSignals();
        System.exit(Nstun.commandLine(new java.io.PrintWriter(System.out, true),
                new java.io.PrintWriter(System.err, true)).execute(args));
    }
}
