package dev.nstun.netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;

/**
 * Runs file work with a user's rights while nstun itself stays root: what nstun opens on the user's
 * behalf under sudo (the pcap it writes, the policy and password files it reads) must not be
 * anything the user could not open, or {@code sudo nstun} would be root-equivalent for whoever
 * sudoers lets run it.
 *
 * <p>How: a fresh platform thread takes the user's file-system identity (supplementary groups,
 * {@code setfsgid}, {@code setfsuid}), runs the work, and ends. Linux keeps credentials per
 * thread, so the rest of the JVM stays root; the kernel then checks every path lookup and open of
 * that thread as it would for the user (changing the fsuid from 0 also drops CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH and CAP_FOWNER from the thread, capabilities(7)), with no window between a
 * check and the open as an {@code access()} test before opening would leave, and a file created
 * there belongs to the user. The thread is never reused, so nothing has to be switched back. The
 * groups are set with the raw system call: glibc's {@code setgroups} applies to every thread of
 * the process.
 */
public final class FileSystemIdentity {
    /** Work to run with the user's rights. */
    @FunctionalInterface
    public interface Action<T, E extends Exception> {
        T run() throws E;
    }

    /** Most groups asked of the group database (NGROUPS_MAX is 65536; real users have a few). */
    private static final int MAX_GROUPS = 65536;

    private FileSystemIdentity() {}

    /**
     * Returns what {@code action} returns when run with {@code user}'s file-system rights, or runs
     * it on the calling thread when {@code user} is {@link Credentials#UNCHANGED}. Exceptions of
     * {@code action} reach the caller as they were thrown.
     *
     * @throws UncheckedIOException when the thread cannot take the user's identity
     */
    @SuppressWarnings("unchecked")
    public static <T, E extends Exception> T call(Credentials user, Action<T, E> action) throws E {
        if (user.unchanged()) return action.run();
        int[] groups = groupsOf(user);
        long setgroups = setgroupsNumber();
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread worker = Thread.ofPlatform().name("nstun-files-uid-" + user.uid()).unstarted(() -> {
            try {
                become(user, groups, setgroups);
            } catch (NativeException e) {
                failure[0] = new UncheckedIOException("cannot take the file rights of uid " + user.uid() + ": " + e.getMessage(), e);
                return;
            }
            try {
                result[0] = action.run();
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        worker.start();
        boolean interrupted = false;
        while (true) {
            try {
                worker.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        Throwable e = failure[0];
        if (e instanceof RuntimeException r) throw r;
        if (e instanceof Error r) throw r;
        if (e != null) throw (E) e;
        return (T) result[0];
    }

    private static void become(Credentials user, int[] groups, long setgroups) throws NativeException {
        LibC c = LibC.INSTANCE;
        if (c.syscall(setgroups, groups.length, groups) != 0) throw NativeException.last("setgroups");
        c.setfsgid(user.gid());
        if (c.setfsgid(-1) != user.gid()) throw new NativeException("setfsgid " + user.gid(), NativeException.EPERM);
        c.setfsuid(user.uid());
        if (c.setfsuid(-1) != user.uid()) throw new NativeException("setfsuid " + user.uid(), NativeException.EPERM);
    }

    /** Returns the user's groups from the group database, its primary group first; only that for a uid without a name. */
    static int[] groupsOf(Credentials user) {
        if (user.userName() == null) return new int[] {user.gid()};
        int[] count = {64};
        while (true) {
            int[] groups = new int[count[0]];
            if (LibC.INSTANCE.getgrouplist(user.userName(), user.gid(), groups, count) >= 0) {
                return Arrays.copyOf(groups, count[0]);
            }
            if (count[0] <= groups.length || count[0] > MAX_GROUPS) {
                throw new UncheckedIOException(new IOException("cannot list the groups of " + user.userName()));
            }
        }
    }

    /** Returns the number of the {@code setgroups} system call (32-bit gids) on this machine. */
    private static long setgroupsNumber() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> 116;
            // The generic system call table (include/uapi/asm-generic/unistd.h).
            case "aarch64", "riscv64", "loongarch64" -> 159;
            default -> throw new UncheckedIOException(new IOException("cannot open files with the invoking user's rights on "
                    + arch + " (nstun knows the setgroups system call of x86-64, arm64, riscv64 and loongarch64)"));
        };
    }
}
