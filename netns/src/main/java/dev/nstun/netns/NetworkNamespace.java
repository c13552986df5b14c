package dev.nstun.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Network namespaces are per thread: these calls move only the calling platform thread. A virtual
 * thread may hop carriers between calls, so callers must be platform threads.
 */
public final class NetworkNamespace {
    private static final Path THREAD_NS = Path.of("/proc/thread-self/ns/net");

    private NetworkNamespace() {}

    /** Opens an fd on the calling thread's network namespace, to come back to it later. */
    public static int openCurrent() throws NativeException {
        requirePlatformThread();
        int fd = LibC.INSTANCE.open(THREAD_NS.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) throw NativeException.last("open " + THREAD_NS);
        return fd;
    }

    /** Moves the calling thread into a new, empty network namespace. */
    public static void unshareNew() throws NativeException {
        requirePlatformThread();
        if (LibC.INSTANCE.unshare(LibC.CLONE_NEWNET) < 0) throw NativeException.last("create a network namespace");
    }

    /** Moves the calling thread into the namespace {@code fd} refers to. */
    public static void enter(int fd) throws NativeException {
        requirePlatformThread();
        if (LibC.INSTANCE.setns(fd, LibC.CLONE_NEWNET) < 0) throw NativeException.last("enter network namespace");
    }

    /** Returns the calling thread's namespace identity, as the kernel names it ("net:[4026532…]"). */
    public static String currentId() throws IOException {
        return Files.readSymbolicLink(THREAD_NS).toString();
    }

    private static void requirePlatformThread() {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("namespace calls need a platform thread");
        }
    }
}
