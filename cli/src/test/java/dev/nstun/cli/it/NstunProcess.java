package dev.nstun.cli.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One nstun started through the repository's launcher, as a user would, with its output captured. */
final class NstunProcess implements AutoCloseable {
    private final Process process;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Thread outPump;
    private final Thread errPump;
    /** USER_HZ: 100 on every Linux architecture nstun runs on. */
    private static final int CLOCK_TICKS = 100;
    private long exitedAt = -1;

    private NstunProcess(Process process) {
        this.process = process;
        this.outPump = pump(process.getInputStream(), out);
        this.errPump = pump(process.getErrorStream(), err);
    }

    /** Starts {@code [prefix...] ./nstun args...} with extra environment. */
    static NstunProcess start(List<String> prefix, Map<String, String> env, String... args) throws IOException {
        return start(prefix, launcher(), env, args);
    }

    /** Starts {@code [prefix...] LAUNCHER args...} with extra environment: an installed nstun, say. */
    static NstunProcess start(List<String> prefix, Path launcher, Map<String, String> env, String... args) throws IOException {
        List<String> argv = new ArrayList<>(prefix);
        argv.add(launcher.toString());
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().putAll(env);
        return new NstunProcess(pb.start());
    }

    static NstunProcess start(String... args) throws IOException {
        return start(List.of(), Map.of(), args);
    }

    /** Runs nstun to completion with empty stdin. */
    static NstunProcess run(String... args) throws Exception {
        NstunProcess p = start(args);
        p.closeStdin();
        p.await();
        return p;
    }

    static Path launcher() {
        return Requirements.repoRoot().resolve("nstun");
    }

    /**
     * The class-data archive a training run (scripts/build, lib/nstun/setup) makes beside {@code jar}
     * for the JDK running the tests, which the launcher picks too for run, up and exec: from JDK 25
     * an AOT cache named after the JDK's build, before it the dynamic archive of {@link #dynamicArchive}.
     */
    static Path trainedArchive(Path jar) {
        return Runtime.version().feature() >= 25 ? sibling(jar, "-java" + Runtime.version() + ".aot") : dynamicArchive(jar);
    }

    /** What {@link #trainedArchive} is for the other commands: from JDK 25 a cache of their own, trained on check. */
    static Path trainedToolsArchive(Path jar) {
        return Runtime.version().feature() >= 25 ? sibling(jar, "-java" + Runtime.version() + "-tools.aot") : dynamicArchive(jar);
    }

    /** The archive the JVM itself makes at the exit of a run that finds no trained one. */
    static Path dynamicArchive(Path jar) {
        return sibling(jar, "-java" + Runtime.version().feature() + ".jsa");
    }

    /** The jar the launcher runs, in the source tree. */
    static Path builtJar() {
        return Requirements.repoRoot().resolve("cli/target/nstun.jar");
    }

    private static Path sibling(Path jar, String suffix) {
        String name = jar.getFileName().toString();
        return jar.resolveSibling(name.substring(0, name.length() - ".jar".length()) + suffix);
    }

    long pid() {
        return process.pid();
    }

    void writeStdin(String text) throws IOException {
        process.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    void closeStdin() throws IOException {
        process.getOutputStream().close();
    }

    /** Waits (at most a minute) for nstun to exit; returns its status. */
    int await() throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("nstun did not exit within 60 s; stderr so far:\n" + stderr());
        }
        if (exitedAt < 0) exitedAt = uptimeTicks();
        outPump.join(5000);
        errPump.join(5000);
        return process.exitValue();
    }

    /**
     * Returns when {@link #await} first saw nstun gone, in clock ticks since boot (the unit of a
     * process's start time in /proc/PID/stat): a process started later is not of this run's.
     */
    long exitedAt() {
        return exitedAt;
    }

    private static long uptimeTicks() {
        try {
            String seconds = java.nio.file.Files.readString(Path.of("/proc/uptime")).split(" ")[0];
            return (long) Math.ceil(Double.parseDouble(seconds) * CLOCK_TICKS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int exitCode() {
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until stdout holds {@code text}, failing after {@code seconds}. */
    void awaitStdout(String text, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!stdout().contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no '" + text + "' on stdout within " + seconds + " s; stdout:\n" + stdout() + "\nstderr:\n" + stderr());
            }
            Thread.sleep(20);
        }
    }

    String stdout() {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    String stderr() {
        synchronized (err) {
            return err.toString(StandardCharsets.UTF_8);
        }
    }

    /** Describes the run for assertion messages. */
    String describe() {
        return "exit " + (process.isAlive() ? "(running)" : process.exitValue()) + "\nstdout:\n" + stdout() + "\nstderr:\n" + stderr();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    private static Thread pump(InputStream in, ByteArrayOutputStream sink) {
        return Thread.ofPlatform().daemon().start(() -> {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (sink) {
                        sink.write(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
