package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sudo caller's environment, read from a /proc laid out as the kernel does (stat, environ) under a test directory. */
class SudoCallerTest {
    private static final Set<String> DESKTOP = Set.of("DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY");

    @TempDir Path proc;

    @Test
    void theNearestAncestorWithoutSudosVariablesIsSudoAndItsEnvironmentTheUsers() throws IOException {
        process(300, 200, "nstun (java)", "SUDO_UID=1000", "PATH=/usr/sbin:/usr/bin");
        process(200, 100, "sudo", "DISPLAY=:0", "WAYLAND_DISPLAY=wayland-0", "HOME=/home/u", "LS_COLORS=a=b=c");
        process(100, 1, "bash", "DISPLAY=:9");
        assertEquals(Map.of("DISPLAY", ":0", "WAYLAND_DISPLAY", "wayland-0"), SudoCaller.environment(proc, 300, DESKTOP));
    }

    @Test
    void aRootShellOfSudoDashIIsPassed() throws IOException {
        process(400, 300, "java", "SUDO_UID=1000");
        process(300, 210, "bash", "SUDO_UID=1000", "DISPLAY=:5");
        process(210, 200, "sudo", "XAUTHORITY=/home/u/.Xauthority");
        process(200, 100, "sudo", "XAUTHORITY=/home/u/.Xauthority");
        assertEquals(Map.of("XAUTHORITY", "/home/u/.Xauthority"), SudoCaller.environment(proc, 400, DESKTOP));
    }

    @Test
    void aCommandNameWithSpacesAndParenthesesDoesNotMisleadTheParentField() throws IOException {
        process(300, 200, "a) 7 (b", "SUDO_UID=1000");
        process(200, 100, "sudo", "DISPLAY=:1");
        assertEquals(Map.of("DISPLAY", ":1"), SudoCaller.environment(proc, 300, DESKTOP));
    }

    @Test
    void nothingWhenAnAncestorIsGoneOrTheChainEndsUnderSudo() throws IOException {
        process(300, 200, "java", "SUDO_UID=1000");
        assertEquals(Map.of(), SudoCaller.environment(proc, 300, DESKTOP), "the parent has no /proc entry");
        process(200, 0, "init", "SUDO_UID=1000");
        assertEquals(Map.of(), SudoCaller.environment(proc, 300, DESKTOP), "no ancestor without SUDO_UID");
    }

    /** Writes /proc/PID/stat and /proc/PID/environ as the kernel shows them. */
    private void process(long pid, long parent, String comm, String... environment) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(dir.resolve("stat"), pid + " (" + comm + ") S " + parent + " " + pid + " " + pid + " 0 -1 4194560 0 0\n");
        Files.writeString(dir.resolve("environ"), environment.length == 0 ? "" : String.join("\0", environment) + "\0");
    }
}
