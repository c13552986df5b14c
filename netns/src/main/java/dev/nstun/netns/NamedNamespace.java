package dev.nstun.netns;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Root's names for a long-lived namespace, made the way iproute2 makes them, so that
 * {@code ip netns exec NAME} and systemd's {@code NetworkNamespacePath=/run/netns/NAME} join it:
 * {@code /run/netns/NAME}, a bind mount of the namespace on a shared {@code /run/netns}, and
 * {@code /etc/netns/NAME/}, whose files {@code ip netns exec} mounts over {@code /etc/} (nstun's
 * resolv.conf and nsswitch.conf). The bind mount holds the namespace by itself: {@link #remove}
 * undoes both, and a later start does it for an nstun that was killed.
 */
public final class NamedNamespace {
    private static final Logger log = LoggerFactory.getLogger(NamedNamespace.class);
    private static final Path RUN_NETNS = Path.of("/run/netns");
    private static final Path ETC_NETNS = Path.of("/etc/netns");
    private static final String RESOLV_CONF = "resolv.conf";
    private static final String NSSWITCH_CONF = "nsswitch.conf";

    private NamedNamespace() {}

    /** Returns where {@code ip netns} finds the namespace {@code name}. */
    public static Path runPath(InstanceName name) {
        return RUN_NETNS.resolve(name.value());
    }

    /** Returns the directory whose files {@code ip netns exec NAME} mounts over {@code /etc/}. */
    public static Path etcPath(InstanceName name) {
        return ETC_NETNS.resolve(name.value());
    }

    /**
     * Names the namespace at {@code namespacePath} (a path that opens it) {@code name}: binds it to
     * {@code /run/netns/NAME} and writes {@code /etc/netns/NAME/}. Refuses names someone else has
     * (ip netns add): what is there is not nstun's to replace. On failure nothing is left.
     */
    public static void publish(InstanceName name, String namespacePath, String resolvConf, Optional<String> nsswitchConf) throws IOException {
        Path run = runPath(name);
        Path etc = etcPath(name);
        if (Files.exists(run, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(run + " exists already (made by ip netns add?): choose another name, or remove it with ip netns delete " + name);
        }
        if (Files.exists(etc, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(etc + " exists already and is not nstun's: choose another name, or remove it");
        }
        shareRunNetns();
        Files.createFile(run, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r--r--r--")));
        if (LibC.INSTANCE.mount(namespacePath, run.toString(), "none", LibC.MS_BIND) != 0) {
            NativeException e = NativeException.last("bind the namespace to " + run);
            Files.deleteIfExists(run);
            throw e;
        }
        try {
            Files.createDirectories(etc);
            Files.writeString(etc.resolve(RESOLV_CONF), resolvConf);
            if (nsswitchConf.isPresent()) Files.writeString(etc.resolve(NSSWITCH_CONF), nsswitchConf.get());
        } catch (IOException e) {
            removeEtc(etc);
            unbind(run);
            throw new IOException("cannot write " + etc + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes what {@link #publish} made for {@code name} when {@code /run/netns/NAME} is still the
     * namespace {@code namespaceId} ("net:[…]"), or is gone (ip netns delete) and left the files in
     * /etc/netns: a name another tool reused since is left alone.
     */
    public static void remove(InstanceName name, String namespaceId) {
        Path run = runPath(name);
        if (!Files.exists(run, LinkOption.NOFOLLOW_LINKS)) {
            removeEtc(etcPath(name));
            return;
        }
        try {
            Object inode = Files.getAttribute(run, "unix:ino");
            if (!namespaceId.equals("net:[" + inode + "]")) {
                log.debug("{} is {} now, not {}: left alone", run, inode, namespaceId);
                return;
            }
        } catch (IOException e) {
            log.debug("cannot read {}: {}", run, e.getMessage());
            return;
        }
        removeEtc(etcPath(name));
        unbind(run);
    }

    /**
     * Makes /run/netns a shared mount point, as {@code ip netns add} does: a namespace unmounted
     * there is unmounted in every mount namespace that copied it, so the kernel can free it.
     */
    private static void shareRunNetns() throws IOException {
        Files.createDirectories(RUN_NETNS);
        String dir = RUN_NETNS.toString();
        if (LibC.INSTANCE.mount("", dir, "none", LibC.MS_SHARED | LibC.MS_REC) == 0) return;
        if (LibC.errno() != NativeException.EINVAL) throw NativeException.last("make " + dir + " a shared mount");
        // Not a mount point yet: make it one (a bind mount on itself), then shared.
        if (LibC.INSTANCE.mount(dir, dir, "none", LibC.MS_BIND | LibC.MS_REC) != 0) throw NativeException.last("bind " + dir + " on itself");
        if (LibC.INSTANCE.mount("", dir, "none", LibC.MS_SHARED | LibC.MS_REC) != 0) throw NativeException.last("make " + dir + " a shared mount");
    }

    private static void unbind(Path run) {
        if (LibC.INSTANCE.umount2(run.toString(), LibC.MNT_DETACH) != 0) log.debug("cannot unmount {}: {}", run, LibC.lastError());
        try {
            Files.deleteIfExists(run);
        } catch (IOException e) {
            log.debug("cannot remove {}: {}", run, e.getMessage());
        }
    }

    private static void removeEtc(Path etc) {
        try {
            Files.deleteIfExists(etc.resolve(RESOLV_CONF));
            Files.deleteIfExists(etc.resolve(NSSWITCH_CONF));
            Files.deleteIfExists(etc);
        } catch (DirectoryNotEmptyException e) {
            log.debug("{} holds files of someone else's: left", etc);
        } catch (IOException e) {
            log.debug("cannot remove {}: {}", etc, e.getMessage());
        }
    }
}
