package dev.nstun.netns;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The command's first process, started with posix_spawn(3) from the calling thread and waited for
 * with waitpid(2) by whoever calls {@link #waitFor} (the keeper, the thread that started it, whose
 * end fires the command's death signal). As {@link ProcessBuilder#inheritIO} did before: fds 0-2,
 * the process group and the session are nstun's, every other fd is closed, no signal is blocked.
 * Unlike {@link ProcessBuilder#start} it makes no helper process (the JDK's jspawnhelper), no
 * reaper thread and no system logger, whose lookup (a ServiceLoader scan that opens the jar) cost a
 * run's start 10 to 20 ms of CPU from JDK 24 on (issue 11).
 */
final class SpawnedProcess {
    private final int pid;
    private volatile boolean reaped;

    private SpawnedProcess(int pid) {
        this.pid = pid;
    }

    /**
     * Starts {@code argv}, its program found on nstun's PATH, with {@code environment} as its whole
     * environment, in {@code directory} (null: nstun's working directory).
     */
    static SpawnedProcess start(List<String> argv, Map<String, String> environment, Path directory) throws NativeException {
        String[] envp = new String[environment.size()];
        int i = 0;
        for (Map.Entry<String, String> e : environment.entrySet()) envp[i++] = e.getKey() + "=" + e.getValue();
        long pid = LibC.INSTANCE.spawn(argv.toArray(new String[0]), envp, directory == null ? null : directory.toString());
        if (pid == -LibC.ENOSYS) {
            throw new NativeException("start " + argv.get(0) + " (this libc cannot close nstun's files for it: glibc 2.34 or newer needed)",
                    LibC.ENOSYS);
        }
        if (pid < 0) throw new NativeException("start " + argv.get(0), (int) -pid);
        return new SpawnedProcess((int) pid);
    }

    long pid() {
        return pid;
    }

    /** Whether {@link #waitFor} has not yet seen it end (its pid is still its own until then). */
    boolean isAlive() {
        return !reaped;
    }

    /** Waits for it to end; returns its exit status, 128+N when signal N killed it (as a shell says). */
    int waitFor() throws NativeException {
        int[] status = new int[1];
        while (LibC.INSTANCE.waitpid(pid, status) < 0) {
            int errno = LibC.errno();
            if (errno != LibC.EINTR) throw new NativeException("wait for pid " + pid, errno);
        }
        reaped = true;
        int signal = status[0] & 0x7f;
        return signal == 0 ? (status[0] >> 8) & 0xff : 128 + signal;
    }
}
