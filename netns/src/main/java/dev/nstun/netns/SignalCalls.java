package dev.nstun.netns;

/**
 * The libc calls of signal forwarding, which every nstun command makes from its first moment (the
 * thread that takes blocked signals starts before arguments are parsed). Two bindings: Java's FFM
 * API on JDK 22+ (where it is final), and {@link LibC} otherwise. Measured in a bare JVM:
 * about 60 ms to bind and call two functions through FFM, 170 ms through jnr-ffi's generated stubs
 * (100 ms in its reflection mode), which {@code nstun --version}, {@code check} and {@code explain}
 * need not pay: on JDK 22+ they load no jnr-ffi class at all.
 */
interface SignalCalls {
    /** Takes one pending signal of {@code set} (a sigset_t as longs) into {@code signal[0]}; returns 0 or an error number. */
    int sigwait(long[] set, int[] signal);

    /** Returns the process group of nstun. */
    int getpgrp();

    /** Returns the foreground process group of the terminal on {@code fd}, or -1 when it is not a terminal. */
    int tcgetpgrp(int fd);

    /** Returns the binding for this JDK, made once. */
    static SignalCalls get() {
        return Holder.CALLS;
    }

    /** Binds {@link LibC}'s functions of the same names. */
    final class Jnr implements SignalCalls {
        @Override
        public int sigwait(long[] set, int[] signal) {
            return LibC.INSTANCE.sigwait(set, signal);
        }

        @Override
        public int getpgrp() {
            return LibC.INSTANCE.getpgrp();
        }

        @Override
        public int tcgetpgrp(int fd) {
            return LibC.INSTANCE.tcgetpgrp(fd);
        }
    }

    /** The FFM binding when this JDK and this build have it (compiled only by a JDK 22+), else LibC's. */
    final class Holder {
        static final String FFM_CLASS = "dev.nstun.netns.FfmSignalCalls";
        static final SignalCalls CALLS = choose();

        private Holder() {}

        private static SignalCalls choose() {
            if (Runtime.version().feature() >= 22) {
                try {
                    return (SignalCalls) Class.forName(FFM_CLASS).getDeclaredConstructor().newInstance();
                } catch (ReflectiveOperationException e) {
                    // Built by a JDK 21: only LibC.
                }
            }
            return new Jnr();
        }
    }
}
