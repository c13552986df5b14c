package dev.nstun.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;

/**
 * Signals that no thread of the JVM handles: blocked before the JVM started (the launcher runs it
 * under {@code env --block-signal}, and every thread inherits the mask), they stay pending until
 * one thread takes them with sigwait(3). Unlike a JVM signal handler this works for every signal,
 * SIGQUIT (the JVM's thread dump) and SIGUSR2 (its suspend/resume signal, moved away by the
 * launcher) included.
 *
 * <p>Every nstun command makes these calls from its first moment (the thread that takes blocked
 * signals starts before arguments are parsed), through {@link LibC}, on every JDK. Java's FFM API,
 * which bound them on JDK 22+ before, cost more: in a fresh JVM with nstun's class-data archive
 * (JDK 25), binding getpgrp, tcgetpgrp and sigwait through FFM and calling two took 63-89 ms (the
 * process's CPU 180-240 ms); LibC's first use, every function looked up, 36-42 ms (130-140 ms).
 */
public final class BlockedSignals {
    /** Longs in a glibc sigset_t (1024 bits). */
    private static final int SIGSET_LONGS = 16;

    private BlockedSignals() {}

    /**
     * Returns the signals (1 to 64, bit N-1 for signal N) blocked in the calling thread, read from
     * /proc so that asking costs no native binding; 0 when it cannot be read.
     */
    public static long blockedInThisThread() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
                if (line.startsWith("SigBlk:")) return Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /**
     * Waits until one of {@code signals} (each blocked in every thread) is sent to the process and
     * returns its number.
     */
    public static int take(Collection<Integer> signals) throws NativeException {
        long[] set = new long[SIGSET_LONGS];
        for (int s : signals) set[(s - 1) / 64] |= 1L << (s - 1) % 64;
        int[] taken = new int[1];
        int error = LibC.INSTANCE.sigwait(set, taken);
        if (error != 0) throw new NativeException("sigwait", error);
        return taken[0];
    }

    /**
     * Whether nstun's process group is the foreground group of the terminal on stdin: then what
     * the terminal sends (Ctrl-C, a window resize) reached the whole group, the command too.
     */
    public static boolean inForegroundOfTerminal() {
        LibC c = LibC.INSTANCE;
        int foreground = c.tcgetpgrp(0);
        return foreground > 0 && foreground == c.getpgrp();
    }
}
