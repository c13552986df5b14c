package dev.nstun.netns;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Looks up who the wrapped command should run as, in the user database through {@link LibC}'s
 * getpwnam_r and getpwuid_r: each lookup fills buffers of its own, so threads never share a
 * record. (jnr-posix did this before: under sudo its binding, about 150 functions, cost a fresh JVM
 * 480-580 ms and 0.5 s of CPU, on the path of every {@code sudo nstun run}, where LibC's lookup
 * costs a millisecond.)
 */
public final class Users {
    /** Fields of the Uid: line of /proc/self/status: real, effective, saved, file-system. */
    private static final int REAL = 0;
    private static final int EFFECTIVE = 1;
    /** struct passwd (64-bit): name, passwd, uid, gid, gecos, dir, shell. */
    private static final int PASSWD_SIZE = 48;
    private static final int PW_NAME = 0;
    private static final int PW_UID = 16;
    private static final int PW_GID = 20;
    private static final int PW_DIR = 32;
    private static final int ERANGE = 34;
    /** Where growing the buffer for a record's strings stops: far beyond any real entry. */
    private static final int MAX_RECORD = 1 << 20;

    private Users() {}

    /** Returns the credentials of user {@code name} (or a numeric uid), or null if unknown. */
    public static Credentials byName(String name) {
        Credentials c = lookUp(name, 0);
        if (c == null && !name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
            try {
                c = lookUp(null, Integer.parseInt(name));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return c;
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
        Credentials pw = lookUp(null, u);
        return pw == null ? new Credentials(u, g, null, null) : new Credentials(u, g, pw.userName(), pw.home());
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
     * and geteuid(2) return, in nstun's user namespace), read without a native call; where /proc
     * cannot be read, libc asks the kernel.
     */
    private static int processUid(int field) {
        String[] uids = Privileges.status("Uid:").split("\\s+");
        if (uids.length > field) {
            try {
                return Integer.parseInt(uids[field]);
            } catch (NumberFormatException e) {
                // Asked of libc below.
            }
        }
        return field == REAL ? LibC.INSTANCE.getuid() : LibC.INSTANCE.geteuid();
    }

    /** Returns the group ids of {@code user} (the group database's; only its primary group for a uid without a name). */
    public static int[] groupsOf(Credentials user) {
        return FileSystemIdentity.groupsOf(user);
    }

    /** Looks up user {@code name}, or uid {@code uid} when {@code name} is null; null when the database has no such user. */
    private static Credentials lookUp(String name, int uid) {
        ByteBuffer pwd = ByteBuffer.allocateDirect(PASSWD_SIZE).order(ByteOrder.nativeOrder());
        ByteBuffer result = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        for (int size = 1024; ; size *= 2) {
            ByteBuffer strings = ByteBuffer.allocateDirect(size);
            int error = name != null ? LibC.INSTANCE.getpwnam_r(name, pwd, strings, result) : LibC.INSTANCE.getpwuid_r(uid, pwd, strings, result);
            if (error == ERANGE && size < MAX_RECORD) continue;
            if (error != 0 || result.getLong(0) == 0) return null;
            long base = MemoryIO.getInstance().getDirectBufferAddress(strings);
            return new Credentials(pwd.getInt(PW_UID), pwd.getInt(PW_GID), string(strings, pwd.getLong(PW_NAME) - base),
                    string(strings, pwd.getLong(PW_DIR) - base));
        }
    }

    /** Returns the NUL-terminated string at {@code offset} of {@code strings} (where the record's pointers point), or null. */
    private static String string(ByteBuffer strings, long offset) {
        if (offset < 0 || offset >= strings.capacity()) return null;
        int start = (int) offset;
        int end = start;
        while (end < strings.capacity() && strings.get(end) != 0) end++;
        byte[] bytes = new byte[end - start];
        strings.get(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
