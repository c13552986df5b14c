package dev.nstun.netns;

/**
 * Ends the process without the JVM's exit sequence. JDK 21's exit (System.exit and Runtime.halt
 * alike) waits up to 300 ms for threads that are in native code to come back, and nstun always
 * has some there when it is done: the thread blocked in sigwait(3), the JDK's own epoll pollers.
 * JDK 22 made that wait a flag the launcher turns off; on JDK 21 only leaving without the JVM's
 * help avoids it. From JDK 25, with an AOT cache, the launcher asks for it too: the JVM's exit also
 * waits, in 10 ms steps, for a compilation in progress (issue 11). What the JVM would have
 * done at exit and nstun relies on must be done before:
 * output flushed, files closed, run records removed (nstun's run does all that before it returns),
 * and no JVM state that outlives the process (the launcher turns off the JVM's perf-data file and
 * asks for this only when no class-data archive is to be written at exit).
 */
public final class ImmediateExit {
    /** The system property, set by the launcher, that asks for it. */
    public static final String PROPERTY = "nstun.exit.immediate";

    private ImmediateExit() {}

    /** Whether the launcher asked for it. */
    public static boolean requested() {
        return Boolean.getBoolean(PROPERTY);
    }

    /** Ends the process with {@code status} now; never returns. */
    public static void now(int status) {
        LibC.INSTANCE._exit(status);
        throw new IllegalStateException("_exit(" + status + ") returned");
    }
}
