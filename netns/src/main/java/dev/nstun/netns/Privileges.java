package dev.nstun.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How this nstun may make namespaces, read once from {@code /proc/self}: as root (capabilities in
 * the host's own user namespace), rootless (the launcher started it in a user namespace of the
 * invoking user's, where it holds every capability over the namespaces it makes), or not at all.
 * {@link HostChecks} says why not, and what to do.
 */
public final class Privileges {
    private static final int CAP_NET_ADMIN = 12;
    private static final int CAP_SYS_ADMIN = 21;
    /** The uid_map of the host's own user namespace: every id maps to itself. */
    private static final String INITIAL_UID_MAP = "0 0 4294967295";

    private Privileges() {}

    /** How namespaces can be made here. */
    public enum Mode {
        /** Root of the host (CAP_SYS_ADMIN and CAP_NET_ADMIN in the initial user namespace). */
        ROOT,
        /**
         * In a user namespace the launcher made for the invoking user: the same namespaces and TUN,
         * but nothing that needs the host's own privileges (a direct outbound's interface or
         * fwmark, devices moved between namespaces).
         */
        ROOTLESS,
        /** Neither: {@code nstun run} cannot work, and {@link HostChecks} says why. */
        NONE
    }

    /** Returns how this process may make namespaces. */
    public static Mode mode() {
        long caps = effectiveCapabilities();
        boolean able = (caps & (1L << CAP_SYS_ADMIN)) != 0 && (caps & (1L << CAP_NET_ADMIN)) != 0;
        if (!able) return Mode.NONE;
        return inInitialUserNamespace() ? Mode.ROOT : Mode.ROOTLESS;
    }

    /** Returns whether this process is in the host's own user namespace (not one nstun's launcher made). */
    public static boolean inInitialUserNamespace() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/uid_map"));
            return lines.size() == 1 && lines.get(0).trim().replaceAll("\\s+", " ").equals(INITIAL_UID_MAP);
        } catch (IOException e) {
            return true; // a kernel without user namespaces
        }
    }

    /** Returns whether this process runs as the host's root (effective uid 0 outside any user namespace). */
    public static boolean isHostRoot() {
        String[] uids = status("Uid:").split("\\s+"); // real, effective, saved, filesystem
        return uids.length > 1 && uids[1].equals("0") && inInitialUserNamespace();
    }

    private static long effectiveCapabilities() {
        try {
            return Long.parseUnsignedLong(status("CapEff:"), 16);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Returns a line of /proc/self/status without its name, or "" when it cannot be read. */
    static String status(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) return line.substring(name.length()).trim();
            }
        } catch (IOException e) {
            return "";
        }
        return "";
    }
}
