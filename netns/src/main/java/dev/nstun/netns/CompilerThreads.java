package dev.nstun.netns;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Puts the threads of the JVM's just-in-time compilers at nice 19, so that on a busy machine the
 * work of nstun's own threads goes first and the compilers take what the cores leave. A start is
 * about a tenth of a second of code that runs once, and on two cores the compilers took about a
 * third of its CPU, mostly compiling what the start would have finished before the code was ready.
 * A compiler thread the JVM adds later is made by a compiler thread, and inherits its nice value.
 * Raising one's own nice value needs no privilege (rootless too); lowering it again would, so it is
 * done once, for the life of the process.
 */
public final class CompilerThreads {
    /** The kernel's lowest priority for a normal thread: it runs when nothing of nice 0 wants the core. */
    static final int NICE = 19;

    private CompilerThreads() {}

    /**
     * Sets every compiler thread of this process to {@link #NICE}; returns how many it set. HotSpot
     * names them "C1 CompilerThread0", "C2 CompilerThread1" (15 bytes of which are the thread's
     * name in /proc) and, from JDK 25, "Training replay" for the compilations an AOT cache's
     * training asks for. A thread that has ended since the listing, or a refusal, is skipped: this
     * changes when work is done, never what is done.
     */
    public static int deprioritize() {
        String[] tasks = new File("/proc/self/task").list();
        if (tasks == null) return 0;
        ByteBuffer name = ByteBuffer.allocateDirect(32);
        int set = 0;
        for (String task : tasks) {
            if (isCompiler(threadName(task, name)) && LibC.INSTANCE.setpriority(LibC.PRIO_PROCESS, Integer.parseInt(task), NICE) == 0) {
                set++;
            }
        }
        return set;
    }

    /** Whether {@code name}, as /proc gives a thread's name, is one of HotSpot's compiler threads'. */
    static boolean isCompiler(String name) {
        return name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre") || name.startsWith("Training replay");
    }

    /** The name of thread {@code task} of this process, or "" when it cannot be read. */
    private static String threadName(String task, ByteBuffer buffer) {
        int fd = LibC.INSTANCE.open("/proc/self/task/" + task + "/comm", LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) return "";
        try {
            long n = LibC.INSTANCE.read(fd, buffer.clear(), buffer.capacity());
            if (n <= 0) return "";
            byte[] bytes = new byte[(int) n];
            buffer.get(0, bytes);
            return new String(bytes, StandardCharsets.US_ASCII).strip();
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }
}
