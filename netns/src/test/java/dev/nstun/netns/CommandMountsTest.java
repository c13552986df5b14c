package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link CommandMounts#canonical} resolves paths as {@code readlink -f} does, which child-setup.sh used. */
class CommandMountsTest {
    @TempDir
    Path dir;

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
