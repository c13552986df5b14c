package dev.nstun.netns;

/**
 * Binds the native calls a run needs ({@link LibC}, and under sudo the user database's look-up of
 * the invoking user, whose first call loads glibc's NSS modules) on a thread of its own, while the
 * main thread is still parsing arguments (the thread that takes blocked signals has usually begun
 * LibC's binding already, and this one then waits for it): LibC's first use loads jffi and its
 * native library and looks up every function (20 to 40 ms in a fresh JVM), and without this the
 * main thread would wait for it when it first needs it.
 */
public final class NativeBindings {
    private NativeBindings() {}

    /**
     * Starts binding in the background and returns at once. A caller that needs a binding before
     * it is ready waits for it (class initialisation); one that failed fails again, with its cause,
     * in the caller that uses it, so nothing is reported from here.
     */
    public static void bindInBackground() {
        Thread.ofPlatform().name("nstun-bind").daemon(true).start(() -> {
            try {
                LibC.INSTANCE.getpgrp();
                if (System.getenv("SUDO_UID") != null) Users.invoker(System.getenv());
            } catch (LinkageError | RuntimeException e) {
                // Reported where the binding is used.
            }
        });
    }
}
