package dev.nstun.netns;

import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * Where nstun's jnr-posix binding (for {@link Users}' user-database look-ups) is made, in jnr-ffi's
 * reflection mode: its default generates a stub class per interface with ASM when the interface is
 * loaded (all of jnr-posix's libc: about 150 functions), a fifth of the CPU of {@code nstun run}'s
 * start (perf); the reflection mode binds each function at its first call, and once the JIT has
 * compiled the path a call costs what the generated stub's does (measured on read(2) of 1500 bytes
 * and getpgrp(2): within a few per cent, both ways). jnr-ffi reads the switch once, when it first
 * loads a library; one given on the command line wins. ({@link LibC} binds through jffi directly.)
 */
final class JnrBindings {
    private static final String ASM_SWITCH = "jnr.ffi.asm.enabled";

    static {
        if (System.getProperty(ASM_SWITCH) == null) System.setProperty(ASM_SWITCH, "false");
    }

    private JnrBindings() {}

    /** Returns jnr-posix's binding of libc. */
    static POSIX posix() {
        return POSIXFactory.getNativePOSIX();
    }
}
