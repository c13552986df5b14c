package dev.nstun.netns;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@link SignalCalls} through Java's FFM API (JDK 22+). Compiled with release 22 by a JDK 22+ only,
 * and loaded by name on such a JDK: on JDK 21 the API is a preview, and {@link SignalCalls.Jnr}
 * serves instead.
 */
@SuppressWarnings("restricted") // the launcher and the jar's manifest enable native access
final class FfmSignalCalls implements SignalCalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final MethodHandle SIGWAIT = bind("sigwait", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle GETPGRP = bind("getpgrp", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle TCGETPGRP = bind("tcgetpgrp", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name)), descriptor);
    }

    @Override
    public int sigwait(long[] set, int[] signal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeSet = arena.allocateFrom(ValueLayout.JAVA_LONG, set);
            MemorySegment taken = arena.allocate(ValueLayout.JAVA_INT);
            int error = (int) SIGWAIT.invokeExact(nativeSet, taken);
            signal[0] = taken.get(ValueLayout.JAVA_INT, 0);
            return error;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public int getpgrp() {
        try {
            return (int) GETPGRP.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public int tcgetpgrp(int fd) {
        try {
            return (int) TCGETPGRP.invokeExact(fd);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** A downcall declares Throwable but throws only what the JVM may throw anywhere. */
    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException e) return e;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
