package dev.nstun.cli;

import dev.nstun.netns.LibC;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Passes SIGTERM, SIGHUP and SIGINT on to the command instead of letting the JVM exit. The command
 * shares nstun's process group, so a terminal's Ctrl-C already reached it: SIGINT is forwarded only
 * when nstun's group is not the terminal's foreground group (then it came from kill, not the tty).
 * With a policy file, SIGHUP is nstun's own (re-read the policy, as daemons do) and is not passed on.
 *
 * <p>Installed before the command starts, so that no signal can take the JVM's default path (exit
 * without cleaning up) in the window between the command's start and the stack's: a signal caught
 * before {@link #attach} is held and delivered to the command as soon as it is attached.
 */
final class SignalForwarder {
    private static final int SIGHUP = 1;
    private static final int SIGINT = 2;

    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();
    private final List<Integer> held = new ArrayList<>();
    private IntConsumer target;

    private SignalForwarder() {}

    /** Installs the handlers; {@code onHangup}, when not null, takes SIGHUP and must return at once. */
    static SignalForwarder install(Runnable onHangup) {
        SignalForwarder f = new SignalForwarder();
        for (String name : List.of("TERM", "HUP", "INT")) {
            Signal s = new Signal(name);
            f.signals.add(s);
            f.previous.add(Signal.handle(s, sig -> {
                if (sig.getNumber() == SIGINT && fromTerminal()) return;
                if (sig.getNumber() == SIGHUP && onHangup != null) {
                    onHangup.run();
                    return;
                }
                f.deliver(sig.getNumber());
            }));
        }
        return f;
    }

    /** Sends every later signal (and the ones held until now) to {@code forward}. */
    void attach(IntConsumer forward) {
        List<Integer> pending;
        synchronized (this) {
            target = forward;
            pending = List.copyOf(held);
            held.clear();
        }
        pending.forEach(forward::accept);
    }

    /** Returns the first signal caught while nothing was attached, or 0. */
    synchronized int firstHeld() {
        return held.isEmpty() ? 0 : held.get(0);
    }

    void uninstall() {
        for (int i = 0; i < signals.size(); i++) Signal.handle(signals.get(i), previous.get(i));
    }

    private void deliver(int signal) {
        IntConsumer t;
        synchronized (this) {
            t = target;
            if (t == null) {
                held.add(signal);
                return;
            }
        }
        t.accept(signal);
    }

    private static boolean fromTerminal() {
        int foreground = LibC.INSTANCE.tcgetpgrp(0);
        return foreground > 0 && foreground == LibC.INSTANCE.getpgrp();
    }
}
