package dev.nstun.cli;

import dev.nstun.netns.BlockedSignals;
import dev.nstun.netns.NativeException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Passes the signals sent to nstun on to the command, as if nstun were not there, instead of letting
 * the JVM act on them: SIGQUIT would print a thread dump into the command's stdout, SIGUSR1 end
 * nstun without clean-up, SIGUSR2 disturb the JVM's thread suspension. The command shares nstun's
 * process group, so what a terminal sends (Ctrl-C, Ctrl-\, a window resize) already reached it:
 * SIGINT, SIGQUIT and SIGWINCH are forwarded only when nstun's group is not the terminal's
 * foreground group (then they came from kill, not the tty). With a policy file, SIGHUP is nstun's
 * own (re-read the policy, as daemons do) and is not passed on.
 *
 * <p>How the signals are caught: for the commands that forward them ({@link Main#forwardsSignals}),
 * the launcher ({@code ./nstun}) starts the JVM with {@link #FORWARDED} blocked and {@code -Xrs}, so
 * no JVM thread takes them, and {@link #takeBlockedSignals} waits for them on a thread of its own
 * (sigwait). Started otherwise ({@code java -jar}), nstun handles with JVM signal handlers what the
 * JVM lets it (not SIGQUIT, and not SIGUSR2, its suspend/resume signal). Before {@link #install}, a
 * taken signal does what it does to a process that does not handle it: ends nstun with status 128+N
 * (SIGWINCH: nothing). The other commands leave signals to the JVM.
 *
 * <p>{@link #install} comes before the command starts, so that no signal can take the default path
 * (exit without cleaning up) in the window between the command's start and the stack's: a signal
 * caught before {@link #attach} is held and delivered to the command as soon as it is attached.
 */
final class SignalForwarder {
    /** What the command gets when it is sent to nstun; the launcher blocks the same list. */
    static final List<String> FORWARDED = List.of("HUP", "INT", "QUIT", "TERM", "USR1", "USR2", "ALRM", "WINCH");
    /** The variable that moves the JVM's suspend/resume signal off SIGUSR2 (set by the launcher); not for the command. */
    static final String JVM_SUSPEND_SIGNAL_VARIABLE = "_JAVA_SR_SIGNUM";

    private static final int SIGHUP = new Signal("HUP").getNumber();
    private static final int SIGINT = new Signal("INT").getNumber();
    private static final int SIGQUIT = new Signal("QUIT").getNumber();
    private static final int SIGUSR2 = new Signal("USR2").getNumber();
    private static final int SIGWINCH = new Signal("WINCH").getNumber();

    /** Where signals taken by the waiting thread go: the installed forwarder, or {@link #endNstun}. */
    private static volatile IntConsumer taken = SignalForwarder::endNstun;

    private final Runnable onHangup;
    private final List<Signal> handled = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();
    private final List<Integer> held = new ArrayList<>();
    private IntConsumer target;
    /** No command shares nstun's process group ({@code up}): what the terminal sends is nstun's too. */
    private volatile boolean terminalSignalsToo;

    private SignalForwarder(Runnable onHangup) {
        this.onHangup = onHangup;
    }

    /**
     * Starts the thread that takes the signals of {@link #FORWARDED} blocked by the launcher; does
     * nothing when none is blocked. Called first thing, from the main thread: the native calls that
     * take the signals are bound on that thread, while the main thread goes on.
     */
    static void takeBlockedSignals() {
        long mask = BlockedSignals.blockedInThisThread();
        List<Integer> blocked = FORWARDED.stream().map(n -> new Signal(n).getNumber()).filter(n -> isIn(mask, n)).toList();
        if (blocked.isEmpty()) return;
        Thread.ofPlatform().name("nstun-signals").daemon(true).start(() -> {
            while (true) {
                int signal;
                try {
                    signal = BlockedSignals.take(blocked);
                } catch (NativeException | LinkageError e) {
                    System.err.println("nstun: signals are no longer forwarded to the command: " + e.getMessage());
                    return;
                }
                taken.accept(signal);
            }
        });
    }

    /** Installs the forwarding; {@code onHangup}, when not null, takes SIGHUP and must return at once. */
    static SignalForwarder install(Runnable onHangup) {
        SignalForwarder f = new SignalForwarder(onHangup);
        long mask = BlockedSignals.blockedInThisThread();
        for (String name : FORWARDED) {
            Signal s = new Signal(name);
            // Blocked: taken by the waiting thread. SIGUSR2 unblocked: the JVM's thread suspension uses it.
            if (isIn(mask, s.getNumber()) || s.getNumber() == SIGUSR2) continue;
            try {
                f.previous.add(Signal.handle(s, sig -> f.dispatch(sig.getNumber())));
                f.handled.add(s);
            } catch (IllegalArgumentException e) {
                // The JVM keeps it (SIGQUIT).
            }
        }
        taken = f::dispatch;
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

    /**
     * Sends every later signal (and the ones held until now) to {@code service}, those of the
     * terminal included: {@code nstun up} runs no command that would have had them already.
     */
    void attachService(IntConsumer service) {
        terminalSignalsToo = true;
        attach(service);
    }

    /** Returns the first signal caught while nothing was attached that would end the command (not SIGWINCH), or 0. */
    synchronized int firstHeld() {
        return held.stream().filter(s -> s != SIGWINCH).findFirst().orElse(0);
    }

    /** Gives the signals back their behaviour outside {@code run}. */
    void uninstall() {
        taken = SignalForwarder::endNstun;
        for (int i = 0; i < handled.size(); i++) Signal.handle(handled.get(i), previous.get(i));
    }

    private void dispatch(int signal) {
        if ((signal == SIGINT || signal == SIGQUIT || signal == SIGWINCH) && !terminalSignalsToo && BlockedSignals.inForegroundOfTerminal()) return;
        if (signal == SIGHUP && onHangup != null) {
            onHangup.run();
            return;
        }
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

    /** Returns whether {@code signal} asks a service to stop: any of {@link #FORWARDED} but SIGWINCH. */
    static boolean stops(int signal) {
        return signal != SIGWINCH;
    }

    /** What a signal does to a process that does not handle it: ends it (128+N), except SIGWINCH. */
    private static void endNstun(int signal) {
        if (signal != SIGWINCH) System.exit(128 + signal);
    }

    private static boolean isIn(long mask, int signal) {
        return (mask & 1L << signal - 1) != 0;
    }
}
