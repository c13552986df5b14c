package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CommandMounts}: as root, the thread that makes the command's mount namespace sees the
 * resolver files and nothing else changes; {@link CommandMounts#canonical} resolves paths as
 * {@code readlink -f} does.
 */
class CommandMountsTest {
    private static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");
    private static final Path NSSWITCH_CONF = Path.of("/etc/nsswitch.conf");

    @TempDir
    Path dir;

    @Test
    void theThreadThatMakesThemSeesTheResolverFilesAndTheRestOfTheProcessDoesNot() throws Exception {
        assumeTrue(Privileges.isHostRoot(), "needs root (CAP_SYS_ADMIN to make a mount namespace)");
        assumeTrue(Files.exists(RESOLV_CONF) && Files.exists(NSSWITCH_CONF), "needs the host's /etc/resolv.conf and /etc/nsswitch.conf");
        String hostResolv = Files.readString(RESOLV_CONF);
        String hostNsswitch = Files.readString(NSSWITCH_CONF);
        String hostMounts = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/mnt")).toString();
        CompletableFuture<List<String>> seen = new CompletableFuture<>();
        Thread maker = Thread.ofPlatform().name("test-mounts").start(() -> {
            try {
                CommandMounts.prepare("nameserver 198.18.0.2\n", Optional.of("hosts: files dns\n"), CommandMounts.Propagation.PRIVATE);
                seen.complete(List.of(Files.readString(RESOLV_CONF), Files.readString(NSSWITCH_CONF),
                        Files.readSymbolicLink(Path.of("/proc/thread-self/ns/mnt")).toString(),
                        String.valueOf(Files.exists(Path.of("/tmp/resolv.conf"))),
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(RESOLV_CONF))));
            } catch (Throwable t) {
                seen.completeExceptionally(t);
            }
        });
        maker.join();
        List<String> got = seen.get();
        assertAll(
                () -> assertEquals("nameserver 198.18.0.2\n", got.get(0), "resolv.conf"),
                () -> assertEquals("hosts: files dns\n", got.get(1), "nsswitch.conf"),
                () -> assertNotEquals(hostMounts, got.get(2), "a mount namespace of its own"),
                () -> assertEquals("false", got.get(3), "the scratch tmpfs on /tmp is gone"),
                () -> assertEquals("rw-r--r--", got.get(4), "resolv.conf's mode"),
                () -> assertEquals(hostResolv, Files.readString(RESOLV_CONF), "the host's resolv.conf, as this thread sees it"),
                () -> assertEquals(hostNsswitch, Files.readString(NSSWITCH_CONF), "the host's nsswitch.conf, as this thread sees it"));
    }

    @Test
    void onlyTheNamespaceForJoinersSeesWhatTheHostMountsLater() throws Exception {
        assumeTrue(Privileges.isHostRoot(), "needs root (CAP_SYS_ADMIN to make a mount namespace)");
        // A shared mount of the test's own in the host's namespace (systemd makes / shared; this host's may not be).
        Path shared = Files.createDirectory(dir.resolve("shared"));
        assertEquals(0, LibC.INSTANCE.mount(shared.toString(), shared.toString(), null, LibC.MS_BIND), LibC.lastError());
        try {
            assertEquals(0, LibC.INSTANCE.mount("none", shared.toString(), null, LibC.MS_SHARED), LibC.lastError());
            Path later = Files.createDirectory(shared.resolve("later"));
            assertAll(
                    () -> assertEquals(true, seesAMountMadeAfter(CommandMounts.Propagation.FROM_HOST, later), "for joiners"),
                    () -> assertEquals(false, seesAMountMadeAfter(CommandMounts.Propagation.PRIVATE, later), "for one run"));
        } finally {
            LibC.INSTANCE.umount2(shared.toString(), LibC.MNT_DETACH);
        }
    }

    /** Whether a thread in a mount namespace made with {@code propagation} sees a tmpfs the host mounts on {@code dir} afterwards. */
    private static boolean seesAMountMadeAfter(CommandMounts.Propagation propagation, Path dir) throws Exception {
        CompletableFuture<Void> prepared = new CompletableFuture<>();
        CompletableFuture<Void> mounted = new CompletableFuture<>();
        CompletableFuture<Boolean> seen = new CompletableFuture<>();
        Thread inside = Thread.ofPlatform().name("test-mounts").start(() -> {
            try {
                CommandMounts.prepare("nameserver 198.18.0.2\n", Optional.empty(), propagation);
                prepared.complete(null);
                mounted.get();
                seen.complete(Files.exists(dir.resolve("mark")));
            } catch (Throwable t) {
                prepared.completeExceptionally(t);
                seen.completeExceptionally(t);
            }
        });
        prepared.get();
        assertEquals(0, LibC.INSTANCE.mount("test-later", dir.toString(), "tmpfs", 0, "size=64k"), LibC.lastError());
        try {
            Files.writeString(dir.resolve("mark"), "");
            mounted.complete(null);
            inside.join();
            return seen.get();
        } finally {
            LibC.INSTANCE.umount2(dir.toString(), LibC.MNT_DETACH);
        }
    }

    @Test
    void anExistingFileIsItsRealPath() throws IOException {
        Path file = Files.createFile(dir.resolve("resolv.conf"));
        assertEquals(file.toRealPath(), CommandMounts.canonical(file));
    }

    @Test
    void aMissingLastComponentIsKept() throws IOException {
        assertEquals(dir.toRealPath().resolve("absent"), CommandMounts.canonical(dir.resolve("absent")));
    }

    @Test
    void aLinkToAMissingFileResolvesToWhereItPoints() throws IOException {
        Files.createDirectories(dir.resolve("run/stub"));
        Path link = Files.createSymbolicLink(dir.resolve("resolv.conf"), Path.of("run/stub/resolv.conf"));
        assertEquals(dir.toRealPath().resolve("run/stub/resolv.conf"), CommandMounts.canonical(link));
    }

    @Test
    void aChainOfRelativeLinksThroughParentDirectoriesIsFollowed() throws IOException {
        Files.createDirectories(dir.resolve("etc"));
        Files.createDirectories(dir.resolve("run/resolve"));
        Files.createSymbolicLink(dir.resolve("run/stub"), Path.of("resolve"));
        Path link = Files.createSymbolicLink(dir.resolve("etc/resolv.conf"), Path.of("../run/stub/stub-resolv.conf"));
        assertEquals(dir.toRealPath().resolve("run/resolve/stub-resolv.conf"), CommandMounts.canonical(link));
    }

    @Test
    void aMissingDirectoryOnTheWayFails() {
        assertThrows(IOException.class, () -> CommandMounts.canonical(dir.resolve("gone/resolv.conf")));
    }

    @Test
    void aLinkLoopFails() throws IOException {
        Files.createSymbolicLink(dir.resolve("a"), Path.of("b"));
        Files.createSymbolicLink(dir.resolve("b"), Path.of("a"));
        assertThrows(IOException.class, () -> CommandMounts.canonical(dir.resolve("a")));
    }
}
