package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The threads of a running nstun's JVM as /proc shows them, and the nice value each runs at. */
final class JvmThreads {
    /** One thread: its name as /proc gives it (15 bytes at most) and its nice value. */
    record Task(String name, int nice) {}

    /** The arguments of a {@code run} for {@link #assertOnlyTheCompilersYield(NstunProcess)}: a command that says its nice value and waits for stdin. */
    static final String[] RUN = {"run", "--", "sh", "-c", "echo nice=$(cut -d' ' -f19 /proc/self/stat); read line; exit 0"};

    private JvmThreads() {}

    /**
     * Asserts, of {@code nstun} started with {@link #RUN}, what {@link #assertOnlyTheCompilersYield(long)}
     * does while its command runs; then that the command ran at nice 0 and that nothing was said on
     * stderr. Ends the run.
     */
    static void assertOnlyTheCompilersYield(NstunProcess nstun) throws Exception {
        nstun.awaitStdout("nice=", 30);
        assertOnlyTheCompilersYield(nstun.pid());
        nstun.closeStdin();
        assertEquals(0, nstun.await(), nstun.describe());
        assertEquals("nice=0\n", nstun.stdout(), "the command's nice value");
        assertEquals("", nstun.stderr(), "stderr");
    }

    /**
     * Waits (up to 10 s) until HotSpot's C1 and C2 compiler threads of the JVM {@code pid} (and the
     * thread that replays an AOT cache's compilations, JDK 25) are at nice 19, then asserts that every other thread of it is at nice 0: the JIT yields to nstun's own
     * work, and nothing of nstun's, nor of the JVM's, was raised or lowered with it.
     */
    static void assertOnlyTheCompilersYield(long pid) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<Task> tasks;
        while (true) {
            tasks = of(pid);
            List<Task> compilers = tasks.stream().filter(JvmThreads::isCompiler).toList();
            if (!compilers.isEmpty() && compilers.stream().allMatch(t -> t.nice() == 19)) break;
            if (System.nanoTime() > deadline) fail("compiler threads of " + pid + " not at nice 19: " + tasks);
            Thread.sleep(20);
        }
        for (Task t : tasks) {
            if (!isCompiler(t)) assertEquals(0, t.nice(), t + " among " + tasks);
        }
    }

    private static boolean isCompiler(Task t) {
        return t.name().startsWith("C1 Compiler") || t.name().startsWith("C2 Compiler") || t.name().equals("Training replay");
    }

    /** The threads of process {@code pid}, as they are now (one that ends while they are read is left out). */
    static List<Task> of(long pid) throws IOException {
        List<Task> tasks = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : dirs.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    // The 19th field; the name in parentheses (the 2nd) may hold spaces.
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    tasks.add(new Task(Files.readString(task.resolve("comm")).strip(), Integer.parseInt(fields[16])));
                } catch (NoSuchFileException ended) {
                    // gone since the listing
                }
            }
        }
        return tasks;
    }
}
