package dev.nstun.netns;

import java.util.Map;
import jnr.posix.POSIX;
import jnr.posix.Passwd;

/** Looks up who the wrapped command should run as. */
public final class Users {
    /** Fields of the Uid: line of /proc/self/status: real, effective, saved, file-system. */
    private static final int REAL = 0;
    private static final int EFFECTIVE = 1;

    /** Held while a user-database record is looked up and copied ({@link #byName}). */
    private static final Object DATABASE = new Object();

    private Users() {}

    /**
     * Returns the credentials of user {@code name} (or a numeric uid), or null if unknown. libc's
     * getpwnam and getpwuid return one static record, which the next call on any thread overwrites,
     * and jnr-posix reads its fields from there: every lookup copies them out under {@link #DATABASE}.
     */
    public static Credentials byName(String name) {
        synchronized (DATABASE) {
            Passwd pw = Posix.BINDING.getpwnam(name);
            if (pw == null && name.chars().allMatch(Character::isDigit) && !name.isEmpty()) {
                pw = Posix.BINDING.getpwuid(Integer.parseInt(name));
            }
            return pw == null ? null : of(pw);
        }
    }

    /**
     * Returns who invoked sudo (SUDO_UID / SUDO_GID), or {@link Credentials#UNCHANGED} when nstun
     * was not started through sudo or the invoker was root.
     */
    public static Credentials invoker(Map<String, String> env) {
        String uid = env.get("SUDO_UID");
        String gid = env.get("SUDO_GID");
        if (uid == null || gid == null || effectiveUid() != 0) return Credentials.UNCHANGED;
        int u;
        int g;
        try {
            u = Integer.parseInt(uid);
            g = Integer.parseInt(gid);
        } catch (NumberFormatException e) {
            return Credentials.UNCHANGED;
        }
        if (u == 0) return Credentials.UNCHANGED;
        synchronized (DATABASE) {
            Passwd pw = Posix.BINDING.getpwuid(u);
            return pw == null ? new Credentials(u, g, null, null) : new Credentials(u, g, pw.getLoginName(), pw.getHome());
        }
    }

    /**
     * Returns the uid of the user who started nstun: the one who ran sudo ({@link #invoker}), else
     * nstun's real uid. Only when this is 0 may the command run as someone else than that user.
     */
    public static int invokingUid(Map<String, String> env) {
        Credentials invoker = invoker(env);
        return invoker.unchanged() ? processUid(REAL) : invoker.uid();
    }

    /** Returns the effective uid of nstun itself. */
    public static int effectiveUid() {
        return processUid(EFFECTIVE);
    }

    /**
     * Returns one of nstun's uids as the kernel lists them in /proc/self/status (what getuid(2)
     * and geteuid(2) return, in nstun's user namespace): a run by root or rootless, not started
     * by sudo, then binds no jnr-posix, whose load costs more CPU than the rest of the start's
     * native bindings together. Where /proc cannot be read, jnr-posix asks the kernel.
     */
    private static int processUid(int field) {
        String[] uids = Privileges.status("Uid:").split("\\s+");
        if (uids.length > field) {
            try {
                return Integer.parseInt(uids[field]);
            } catch (NumberFormatException e) {
                // Asked of jnr-posix below.
            }
        }
        return field == REAL ? Posix.BINDING.getuid() : Posix.BINDING.geteuid();
    }

    /** Returns the group ids of {@code user} (the group database's; only its primary group for a uid without a name). */
    public static int[] groupsOf(Credentials user) {
        return FileSystemIdentity.groupsOf(user);
    }

    private static Credentials of(Passwd pw) {
        return new Credentials((int) pw.getUID(), (int) pw.getGID(), pw.getLoginName(), pw.getHome());
    }

    /**
     * jnr-posix, bound at its first use, for the user database: {@link #invoker} outside sudo
     * needs none, so that {@code nstun check} and {@code explain} load no jnr-ffi at all, and
     * {@code nstun run} only {@link LibC}.
     */
    private static final class Posix {
        static final POSIX BINDING = JnrBindings.posix();
    }
}
