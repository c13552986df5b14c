package dev.nstun.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The wrapped command's own mount namespace, made by the calling platform thread for the children
 * it starts (mount namespaces, like network namespaces, are per thread: a thread that unshares its
 * file-system attributes may make one, in a multithreaded process too). In it the command gets its
 * own resolv.conf and nsswitch.conf, and the host resolver's unix sockets are hidden (they cross
 * network namespaces: a DNS leak around nstun). Everything is mounted before the command starts,
 * so no shell or mount(8) runs in between. Rootless, the commands that join another nstun's
 * namespace enter the one that nstun made for them ({@link Sandbox#prepareMountsForJoiners}).
 */
final class CommandMounts {
    /** The host resolver's sockets: systemd-resolved (varlink, also its stub files) and nscd, which glibc asks before nsswitch.conf's list. */
    static final List<Path> RESOLVER_SOCKET_DIRECTORIES = List.of(Path.of("/run/systemd/resolve"), Path.of("/run/nscd"), Path.of("/var/run/nscd"));
    private static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");
    private static final Path NSSWITCH_CONF = Path.of("/etc/nsswitch.conf");
    /** Scratch space for the generated files, unmounted once they are bound into place (each bind mount keeps the tmpfs alive). */
    private static final Path SCRATCH = Path.of("/tmp");
    private static final Path RUN = Path.of("/run");
    private static final int CLONE_FS = 0x200;
    private static final int CLONE_NEWNS = 0x20000;
    private static final long MS_PRIVATE = 1 << 18;
    private static final long MS_SLAVE = 1 << 19;
    /** How many symbolic links {@link #canonical} follows before it gives up (the kernel's own limit). */
    private static final int MAX_LINKS = 40;

    private final Set<Path> hidden = new LinkedHashSet<>();

    private CommandMounts() {}

    /** What the new mount namespace shares with the host's; nothing made in it ever reaches the host. */
    enum Propagation {
        /** Nothing: the host's mounts as they were when it was made ({@code unshare --propagation private}), for one command's run. */
        PRIVATE,
        /**
         * The mounts the host makes later arrive in it too, beneath nstun's own where they meet
         * ({@code --propagation slave}): for the commands that join a long-lived namespace.
         */
        FROM_HOST
    }

    /**
     * Moves the calling thread into a new mount namespace whose mounts never propagate to the
     * host's, nor, unless {@code propagation} asks, from it, and mounts there what the
     * command needs: {@code resolvConf} over {@code /etc/resolv.conf} (or where it links to),
     * {@code nsswitchConf} (empty: the host has none) over {@code /etc/nsswitch.conf}, an empty
     * tmpfs over the host resolver's socket directories. Children the thread starts from then on
     * see them; the rest of nstun does not. The thread cannot come back: it should start the
     * command and do nothing else. On failure, the message says what went wrong.
     */
    static void prepare(String resolvConf, Optional<String> nsswitchConf, Propagation propagation) throws SandboxException {
        if (Thread.currentThread().isVirtual()) throw new IllegalStateException("namespace calls need a platform thread");
        try {
            if (LibC.INSTANCE.unshare(CLONE_FS | CLONE_NEWNS) < 0) throw NativeException.last("make a mount namespace");
            long type = propagation == Propagation.PRIVATE ? MS_PRIVATE : MS_SLAVE;
            mount("none", Path.of("/"), null, type | LibC.MS_REC, "make the mount namespace " + propagation.name().toLowerCase(java.util.Locale.ROOT));
            new CommandMounts().mountResolverFiles(resolvConf, nsswitchConf);
        } catch (NativeException e) {
            throw SandboxException.of("give the command its resolver files", e);
        } catch (IOException e) {
            throw new SandboxException(SandboxException.Kind.FAILED, e.getMessage(), e);
        }
    }

    private void mountResolverFiles(String resolvConf, Optional<String> nsswitchConf) throws IOException {
        for (Path d : RESOLVER_SOCKET_DIRECTORIES) {
            if (Files.isDirectory(d)) hide(d.toRealPath());
        }
        mountTmpfs("nstun-scratch", SCRATCH, "size=256k,mode=0755", "cannot mount a tmpfs on " + SCRATCH);
        Path resolvText = SCRATCH.resolve("resolv.conf");
        write(resolvText, resolvConf, "cannot write resolv.conf");
        Path nsswitchText = null;
        if (nsswitchConf.isPresent() && !nsswitchConf.get().isEmpty() && Files.exists(NSSWITCH_CONF)) {
            nsswitchText = SCRATCH.resolve("nsswitch.conf");
            write(nsswitchText, nsswitchConf.get(), "cannot write nsswitch.conf");
        }

        // /etc/resolv.conf is often a link into /run/systemd/resolve/ (hidden above, so its target may be
        // gone) or elsewhere under /run. Create the target only on a tmpfs of ours, never on the host.
        Path target;
        try {
            target = canonical(RESOLV_CONF);
        } catch (IOException e) {
            target = RESOLV_CONF;
        }
        if (!Files.exists(target)) {
            if (!target.startsWith(RUN)) {
                throw new IOException(RESOLV_CONF + " does not exist (or points at missing " + target
                        + "): create it, even empty, so nstun can mount its own over it");
            }
            if (!underHidden(target)) {
                Path base = target.getParent();
                while (!Files.isDirectory(base)) base = base.getParent();
                hide(base);
            }
            try {
                Files.createDirectories(target.getParent());
                Files.write(target, new byte[0]);
            } catch (IOException e) {
                throw new IOException("cannot create " + target, e);
            }
        }
        bind(resolvText, target, "cannot mount resolv.conf over " + target);
        if (nsswitchText != null) {
            Path nsswitch;
            try {
                nsswitch = canonical(NSSWITCH_CONF);
            } catch (IOException e) {
                throw new IOException("cannot mount nsswitch.conf: " + e.getMessage(), e);
            }
            bind(nsswitchText, nsswitch, "cannot mount nsswitch.conf");
        }
        if (LibC.INSTANCE.umount2(SCRATCH.toString(), 0) != 0) {
            throw new IOException("cannot unmount the scratch tmpfs on " + SCRATCH + ": " + LibC.lastError());
        }
    }

    /** Mounts an empty tmpfs over directory {@code dir} (a canonical path), once. */
    private void hide(Path dir) throws IOException {
        if (!hidden.add(dir)) return;
        mountTmpfs("nstun-hidden", dir, "size=64k,mode=0755", "cannot hide " + dir + " (mount tmpfs failed)");
    }

    private boolean underHidden(Path p) {
        for (Path h : hidden) {
            if (p.startsWith(h) && !p.equals(h)) return true;
        }
        return false;
    }

    private static void mountTmpfs(String source, Path dir, String options, String failure) throws IOException {
        if (LibC.INSTANCE.mount(source, dir.toString(), "tmpfs", 0, options) != 0) {
            throw new IOException(failure + ": " + LibC.lastError());
        }
    }

    private static void bind(Path source, Path target, String failure) throws IOException {
        if (LibC.INSTANCE.mount(source.toString(), target.toString(), null, LibC.MS_BIND) != 0) {
            throw new IOException(failure + ": " + LibC.lastError());
        }
    }

    private static void mount(String source, Path target, String type, long flags, String what) throws NativeException {
        if (LibC.INSTANCE.mount(source, target.toString(), type, flags) != 0) throw NativeException.last(what);
    }

    private static void write(Path file, String text, String failure) throws IOException {
        try {
            Files.writeString(file, text);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw new IOException(failure + ": " + e.getMessage(), e);
        }
    }

    /**
     * Returns {@code path} with every symbolic link resolved, as {@code readlink -f} does: every
     * component but the last must exist.
     */
    static Path canonical(Path path) throws IOException {
        Path p = path.toAbsolutePath();
        for (int links = 0; links <= MAX_LINKS; links++) {
            try {
                return p.toRealPath();
            } catch (NoSuchFileException e) {
                // The last component is missing, or a link to something missing: resolve what exists.
            }
            Path parent = p.getParent() == null ? p : p.getParent().toRealPath();
            Path last = p.getFileName() == null ? parent : parent.resolve(p.getFileName());
            if (!Files.isSymbolicLink(last)) return last;
            p = parent.resolve(Files.readSymbolicLink(last));
        }
        throw new IOException(path + ": too many levels of symbolic links");
    }
}
