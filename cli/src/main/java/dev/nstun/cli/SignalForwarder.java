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
 */
final class SignalForwarder {
    private static final int SIGINT = 2;

    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();

    private SignalForwarder() {}

    static SignalForwarder install(IntConsumer forward) {
        SignalForwarder f = new SignalForwarder();
        for (String name : List.of("TERM", "HUP", "INT")) {
            Signal s = new Signal(name);
            f.signals.add(s);
            f.previous.add(Signal.handle(s, sig -> {
                if (sig.getNumber() == SIGINT && fromTerminal()) return;
                forward.accept(sig.getNumber());
            }));
        }
        return f;
    }

    void uninstall() {
        for (int i = 0; i < signals.size(); i++) Signal.handle(signals.get(i), previous.get(i));
    }

    private static boolean fromTerminal() {
        int foreground = LibC.INSTANCE.tcgetpgrp(0);
        return foreground > 0 && foreground == LibC.INSTANCE.getpgrp();
    }
}
