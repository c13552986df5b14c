package dev.nstun.netns;

import java.util.Map;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Looks up who the wrapped command should run as, through libc (so NSS sources such as LDAP count).
 * Bound in {@link LibC} rather than through jnr-posix: jnr-posix generates stubs for its whole libc
 * interface when first used, about 190 ms of a start that needs four calls.
 */
public final class Users {
    /**
     * struct passwd (pwd.h): pw_name, pw_passwd (pointers), pw_uid, pw_gid (32 bits each), pw_gecos,
     * pw_dir, pw_shell (pointers); offsets in units of the pointer size where they follow pointers.
     */
    private static final int POINTER = Runtime.getSystemRuntime().addressSize();
    private static final long PW_NAME = 0;
    private static final long PW_UID = 2L * POINTER;
    private static final long PW_GID = PW_UID + 4;
    private static final long PW_DIR = PW_UID + 8 + POINTER;
    /** Lookups share libc's static struct passwd. */
    private static final Object LOOKUP = new Object();

    private Users() {}

    /** Returns the credentials of user {@code name} (or a numeric uid), or null if unknown. */
    public static Credentials byName(String name) {
        synchronized (LOOKUP) {
            Pointer pw = LibC.INSTANCE.getpwnam(name);
            if (pw == null && name.chars().allMatch(Character::isDigit) && !name.isEmpty()) {
                pw = LibC.INSTANCE.getpwuid(Integer.parseInt(name));
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
        if (uid == null || gid == null || LibC.INSTANCE.geteuid() != 0) return Credentials.UNCHANGED;
        int u;
        int g;
        try {
            u = Integer.parseInt(uid);
            g = Integer.parseInt(gid);
        } catch (NumberFormatException e) {
            return Credentials.UNCHANGED;
        }
        if (u == 0) return Credentials.UNCHANGED;
        synchronized (LOOKUP) {
            Pointer pw = LibC.INSTANCE.getpwuid(u);
            return pw == null ? new Credentials(u, g, null, null) : new Credentials(u, g, string(pw, PW_NAME), string(pw, PW_DIR));
        }
    }

    /**
     * Returns the uid of the user who started nstun: the one who ran sudo ({@link #invoker}), else
     * nstun's real uid. Only when this is 0 may the command run as someone else than that user.
     */
    public static int invokingUid(Map<String, String> env) {
        Credentials invoker = invoker(env);
        return invoker.unchanged() ? LibC.INSTANCE.getuid() : invoker.uid();
    }

    /** Returns the effective uid of nstun itself. */
    public static int effectiveUid() {
        return LibC.INSTANCE.geteuid();
    }

    private static Credentials of(Pointer pw) {
        return new Credentials(pw.getInt(PW_UID), pw.getInt(PW_GID), string(pw, PW_NAME), string(pw, PW_DIR));
    }

    /** Returns the string a char* field of struct passwd points at, or null. */
    private static String string(Pointer pw, long field) {
        Pointer p = pw.getPointer(field);
        return p == null ? null : p.getString(0);
    }
}
