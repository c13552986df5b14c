package dev.nstun.netns;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What this machine must allow for {@code nstun run} to work, for root or for a plain user: each
 * {@link Check} says what was found and, when it fails, the one thing to do about it. {@code nstun
 * run} prints the failed ones before giving up; {@code nstun doctor} prints them all.
 *
 * <p>Everything is read from files ({@code /proc/sys}, {@code /dev}, {@code PATH}), never by trying:
 * the checks cost well under a millisecond and change nothing.
 */
public final class HostChecks {
    /** The files the kernel's knobs live in; a test may point them elsewhere. */
    public record Knobs(Path procSys, Path tunDevice, Path apparmorProfiles, Path apparmorDirectory, String path) {
        /** The real ones. */
        public static Knobs system() {
            return new Knobs(Path.of("/proc/sys"), Path.of("/dev/net/tun"), Path.of("/sys/kernel/security/apparmor/profiles"),
                    Path.of("/etc/apparmor.d"), System.getenv("PATH"));
        }
    }

    /** How a check came out. */
    public enum Status {
        /** As needed. */
        OK,
        /** {@code nstun run} works, but something inside it will not (the detail says what). */
        WARNING,
        /** {@code nstun run} cannot work until the fix is applied. */
        FAILED
    }

    /**
     * Whom the checks are for: root or a plain user, with their uid and groups. {@code self}: this
     * process itself, whose access the kernel can be asked about directly (rather than judged from
     * mode bits: a device's group may not even be mapped in nstun's user namespace).
     */
    public record Subject(boolean root, boolean self, long uid, long[] groups) {}

    /** One thing checked: what, how it came out, what was found and (unless OK) what to do. */
    public record Check(String subject, Status status, String found, String fix) {
        static Check ok(String subject, String found) {
            return new Check(subject, Status.OK, found, "");
        }
    }

    /** The AppArmor profile scripts/install and the .deb load where AppArmor restricts user namespaces (for nstun's copy of unshare). */
    public static final String APPARMOR_PROFILE = "nstun";
    private static final String CHMOD_TUN = "sudo chmod 0666 /dev/net/tun (the mode udev gives it on Debian and Ubuntu;"
            + " to keep it: echo 'KERNEL==\"tun\", MODE=\"0666\"' | sudo tee /etc/udev/rules.d/60-nstun-tun.rules)";

    private final Knobs knobs;

    public HostChecks(Knobs knobs) {
        this.knobs = knobs;
    }

    /** Checks against the real machine. */
    public static HostChecks system() {
        return new HostChecks(Knobs.system());
    }

    /** Returns every check for {@code who}, in the order a reader fixes them. */
    public List<Check> all(Subject who) {
        boolean root = who.root();
        List<Check> checks = new ArrayList<>();
        if (root) {
            checks.add(rootCapabilities());
        } else {
            checks.add(userNamespaces());
            checks.add(apparmor());
        }
        checks.add(utilLinux());
        checks.add(tunDevice(who));
        checks.add(ping(root, who.groups()));
        return checks;
    }

    /**
     * Returns the failed checks that explain why {@code mode} cannot run a command, or, when none
     * does, one that says what is left to suspect; empty when it can.
     */
    public List<Check> blockers(Privileges.Mode mode, boolean launcherUsed) {
        boolean root = mode == Privileges.Mode.ROOT || (mode == Privileges.Mode.NONE && Privileges.isHostRoot());
        List<Check> failed = all(new Subject(root, true, -1, new long[0])).stream().filter(c -> c.status() == Status.FAILED).toList();
        if (!failed.isEmpty() || mode != Privileges.Mode.NONE) return failed;
        if (!launcherUsed) {
            return List.of(new Check("user namespace", Status.FAILED, "nstun was not started through its launcher",
                    "start it as 'nstun' (the launcher makes the user namespace a plain user needs), or run it with sudo"));
        }
        return List.of(new Check("user namespace", Status.FAILED,
                "the launcher could not make a user namespace (a container's seccomp filter or a security module may forbid it)",
                "run 'unshare --user --map-current-user --keep-caps true' to see the kernel's answer, or run nstun with sudo"));
    }

    /** Returns whether plain users may make user namespaces here (the sysctls of {@link #all}'s first check). */
    public boolean userNamespacesAllowed() {
        return userNamespaces().status() == Status.OK;
    }

    private Check rootCapabilities() {
        if (Privileges.mode() == Privileges.Mode.ROOT) return Check.ok("privileges", "root, with CAP_SYS_ADMIN and CAP_NET_ADMIN");
        return new Check("privileges", Status.FAILED, "root without CAP_SYS_ADMIN and CAP_NET_ADMIN (in a container?)",
                "give nstun those capabilities (in a container: --cap-add SYS_ADMIN --cap-add NET_ADMIN), or run it as a"
                        + " plain user (rootless)");
    }

    private Check userNamespaces() {
        String subject = "user namespaces";
        Optional<Long> max = number("user/max_user_namespaces");
        if (max.isEmpty()) {
            return new Check(subject, Status.FAILED, "this kernel has no user namespaces", "run nstun with sudo");
        }
        if (max.get() == 0) {
            return new Check(subject, Status.FAILED, "disabled (user.max_user_namespaces = 0)",
                    "sudo sysctl -w user.max_user_namespaces=15000 (and the same line in /etc/sysctl.d/ to keep it), or run nstun with sudo");
        }
        if (number("kernel/unprivileged_userns_clone").orElse(1L) == 0) {
            return new Check(subject, Status.FAILED, "disabled for plain users (kernel.unprivileged_userns_clone = 0)",
                    "sudo sysctl -w kernel.unprivileged_userns_clone=1 (and the same line in /etc/sysctl.d/ to keep it), or run nstun with sudo");
        }
        return Check.ok(subject, "allowed to plain users (at most " + max.get() + ")");
    }

    private Check apparmor() {
        String subject = "AppArmor";
        if (number("kernel/apparmor_restrict_unprivileged_userns").orElse(0L) != 1) {
            return Check.ok(subject, "does not restrict user namespaces");
        }
        if (profileLoaded()) return Check.ok(subject, "restricts user namespaces; nstun's profile is loaded");
        Path installed = knobs.apparmorDirectory().resolve(APPARMOR_PROFILE);
        return new Check(subject, Status.FAILED,
                "restricts user namespaces to programs with a profile (kernel.apparmor_restrict_unprivileged_userns = 1), and nstun's is not loaded",
                Files.exists(installed) ? "sudo apparmor_parser -r " + installed + ", or run nstun with sudo"
                        : "sudo scripts/install or nstun's .deb (each installs and loads the profile '" + APPARMOR_PROFILE + "'), or run nstun with sudo");
    }

    /** Whether the kernel has nstun's profile; when only root may ask it, whether the profile is installed. */
    private boolean profileLoaded() {
        try {
            return Files.readAllLines(knobs.apparmorProfiles()).stream().anyMatch(l -> l.startsWith(APPARMOR_PROFILE + " "));
        } catch (IOException | SecurityException e) {
            return Files.exists(knobs.apparmorDirectory().resolve(APPARMOR_PROFILE));
        }
    }

    private Check utilLinux() {
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("setpriv", "unshare", "nsenter")) {
            if (onPath(tool) == null) missing.add(tool);
        }
        if (missing.isEmpty()) return Check.ok("util-linux", "setpriv, unshare and nsenter found");
        return new Check("util-linux", Status.FAILED, String.join(", ", missing) + " not found on PATH",
                "sudo apt-get install util-linux (2.38 or later)");
    }

    private Check tunDevice(Subject who) {
        Path tun = knobs.tunDevice();
        if (!Files.exists(tun)) {
            return new Check(tun.toString(), Status.FAILED, "does not exist", "sudo modprobe tun (and add 'tun' to /etc/modules to keep it)");
        }
        boolean usable = who.root() || (who.self() ? Files.isReadable(tun) && Files.isWritable(tun) : readWriteByModeBits(tun, who));
        if (usable) return Check.ok(tun.toString(), "usable");
        return new Check(tun.toString(), Status.FAILED, "not readable and writable by this user", CHMOD_TUN);
    }

    /** Whether the owner, group or other bits of {@code file} give {@code who} read and write (no ACLs). */
    private static boolean readWriteByModeBits(Path file, Subject who) {
        try {
            int mode = (Integer) Files.getAttribute(file, "unix:mode");
            int owner = (Integer) Files.getAttribute(file, "unix:uid");
            int group = (Integer) Files.getAttribute(file, "unix:gid");
            int bits = owner == who.uid() ? mode >> 6 : java.util.Arrays.stream(who.groups()).anyMatch(g -> g == group) ? mode >> 3 : mode;
            return (bits & 6) == 6;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private Check ping(boolean root, long[] groups) {
        String subject = "ping";
        if (root) return Check.ok(subject, "raw ICMP sockets");
        Optional<String> range = text("net/ipv4/ping_group_range");
        if (range.isPresent()) {
            String[] bounds = range.get().trim().split("\\s+");
            if (bounds.length == 2) {
                long low = Long.parseLong(bounds[0]);
                long high = Long.parseLong(bounds[1]);
                for (long g : groups) {
                    if (g >= low && g <= high) return Check.ok(subject, "ICMP echo sockets allowed to this user's groups");
                }
            }
        }
        return new Check(subject, Status.WARNING,
                "ICMP echo sockets not allowed to this user's groups (net.ipv4.ping_group_range = "
                        + range.orElse("?").trim().replaceAll("\\s+", " ")
                        + "): ping inside gets 'administratively prohibited'",
                "sudo sysctl -w net.ipv4.ping_group_range='0 2147483647' (Debian's and Ubuntu's usual value)");
    }

    private Path onPath(String tool) {
        if (knobs.path() == null) return null;
        for (String dir : knobs.path().split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, tool);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    private Optional<String> text(String knob) {
        try {
            // Not Files.readString: a /proc/sys file reports size 0, and the JDK then read one byte of it.
            return Optional.of(String.join("\n", Files.readAllLines(knobs.procSys().resolve(knob))));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private Optional<Long> number(String knob) {
        // No method references: only a plain user's run reads these, and the archive's training runs as
        // root, so their lambdas were made at every rootless start.
        Optional<String> text = text(knob);
        if (text.isEmpty()) return Optional.empty();
        try {
            return Optional.of(Long.parseLong(text.get().trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
