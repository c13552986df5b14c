package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link CompilerThreads} against what /proc says of this test's own JVM, before and after. */
class CompilerThreadsTest {
    @Test
    void setsThisJvmsCompilerThreadsToNice19AndLeavesTheOthers() throws IOException {
        int mine = nice(Path.of("/proc/thread-self/stat"));

        int set = CompilerThreads.deprioritize();

        List<String> compilers = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                String name;
                int nice;
                try {
                    name = Files.readString(task.resolve("comm")).strip();
                    nice = nice(task.resolve("stat"));
                } catch (NoSuchFileException ended) {
                    continue;
                }
                if (CompilerThreads.isCompiler(name)) {
                    compilers.add(name);
                    assertEquals(CompilerThreads.NICE, nice, name + " (thread " + task.getFileName() + ")");
                }
            }
        }
        assertFalse(compilers.isEmpty(), "a JVM that compiles has compiler threads: the names HotSpot gives them changed?");
        assertTrue(set >= 1, "threads set: " + set + ", compiler threads now: " + compilers);
        assertEquals(mine, nice(Path.of("/proc/thread-self/stat")), "the calling thread's nice value");
    }

    @ParameterizedTest
    @CsvSource({"C1 CompilerThre, true", "C2 CompilerThre, true", "Training replay, true", "main, false", "VM Thread, false",
            "nstun-stack, false", "C2 Compiler, false", "'', false"})
    void knowsHotSpotsCompilerThreadsByTheirNamesInProc(String name, boolean compiler) {
        assertEquals(compiler, CompilerThreads.isCompiler(name), name);
    }

    /** The nice value in a task's stat: the 19th field, the 17th after the name in parentheses (which may hold spaces). */
    private static int nice(Path stat) throws IOException {
        String line = Files.readString(stat);
        String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[16]);
    }
}
