package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SpawnedProcess} against real processes: what they are given, what they keep of nstun's, how their end reads. */
class SpawnedProcessTest {
    private static final Map<String, String> PATH = Map.of("PATH", "/usr/bin:/bin");

    @Test
    void runsWithExactlyItsEnvironmentInItsDirectoryAndSaysItsExitStatus(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        SpawnedProcess p = SpawnedProcess.start(List.of("sh", "-c", "printf '%s|%s|%s|%s' \"$NAME\" \"$HOME\" \"$(pwd)\" \"$#\" > out; exit 3", "sh", "one"),
                Map.of("PATH", PATH.get("PATH"), "NAME", "välue with spaces"), dir);
        assertEquals(3, p.waitFor());
        assertFalse(p.isAlive(), "waited for");
        assertEquals("välue with spaces||" + dir.toRealPath() + "|1", Files.readString(out));
    }

    @Test
    void aProcessKilledBySignalNEndsWith128PlusN() throws Exception {
        SpawnedProcess p = SpawnedProcess.start(List.of("sleep", "60"), PATH, null);
        assertTrue(p.isAlive());
        assertEquals(0, LibC.INSTANCE.kill((int) p.pid(), 9), "kill");
        assertEquals(128 + 9, p.waitFor());
        assertEquals(128 + 15, SpawnedProcess.start(List.of("sh", "-c", "kill -TERM $$"), PATH, null).waitFor());
    }

    /** Like ProcessBuilder's children: fds 0-2 are nstun's, none of its others, close-on-exec or not (the TUN, sockets, files). */
    @Test
    void keepsStandardStreamsAndNoOtherFileOfTheParent(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("secret"), "x");
        int fd = LibC.INSTANCE.open(file.toString(), LibC.O_RDONLY);
        assertTrue(fd > 2, "open: " + LibC.lastError());
        try {
            assertTrue(Files.exists(Path.of("/proc/self/fd/" + fd)), "the parent has it open");
            // [ is the shell's own: it opens nothing before it looks.
            String probe = "[ -e /proc/$$/fd/" + fd + " ] && exit 10; [ -e /proc/$$/fd/0 ] && [ -e /proc/$$/fd/2 ] || exit 11; exit 0";
            assertEquals(0, SpawnedProcess.start(List.of("sh", "-c", probe), PATH, null).waitFor());
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    @Test
    void aProgramNotOnPathIsAnErrorOfTheStartNotOfTheChild() {
        NativeException e = assertThrows(NativeException.class,
                () -> SpawnedProcess.start(List.of("nstun-test-no-such-program"), PATH, null));
        assertEquals(NativeException.ENOENT, e.errno(), e.getMessage());
    }
}
