package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real terminal for a test to type into and read, as a user at a keyboard would: a tmux server of
 * the test's own, on a socket in a directory of its own ({@code tmux -S PATH}: nobody else's
 * sessions are touched), killed on close, its socket and directory removed (with {@code -L NAME}
 * every test left its socket in /tmp/tmux-UID).
 */
final class Tmux implements AutoCloseable {
    private static final long WAIT_SECONDS = 20;
    private final Path directory;
    private final Path socket;

    private Tmux(Path directory, Path socket) {
        this.directory = directory;
        this.socket = socket;
    }

    /** Returns a new server named after {@code test}. */
    static Tmux start(String test) throws Exception {
        Requirements.requireCommand("tmux");
        Path directory = Files.createTempDirectory("nstun-tmux-");
        return new Tmux(directory, directory.resolve(test));
    }

    /** Opens session {@code session}, {@code columns}×{@code rows}, running {@code bash -c script} (no rc files). */
    void open(String session, int columns, int rows, String script) throws Exception {
        run("new-session", "-d", "-s", session, "-x", Integer.toString(columns), "-y", Integer.toString(rows), "bash", "--norc", "-c", script);
    }

    /** Types {@code keys} into {@code session} (tmux key names: "Enter", "C-c", or literal text). */
    void send(String session, String... keys) throws Exception {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", session));
        args.addAll(List.of(keys));
        run(args.toArray(String[]::new));
    }

    /** Types {@code line} and Enter. */
    void type(String session, String line) throws Exception {
        send(session, "-l", line);
        send(session, "Enter");
    }

    /** Returns the text {@code session}'s pane shows now. */
    String screen(String session) throws Exception {
        return run("capture-pane", "-p", "-t", session);
    }

    /** Reads {@code session}'s pane until it shows what {@code wanted} accepts; returns it. */
    String await(String session, Predicate<String> wanted, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        String screen = "";
        while (System.nanoTime() < deadline) {
            screen = screen(session);
            if (wanted.test(screen)) return screen;
            Thread.sleep(100);
        }
        throw new AssertionError("the terminal never showed " + what + "; it shows:\n" + screen);
    }

    /** Runs a tmux command on this server; it must succeed. */
    String run(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("tmux", "-S", socket.toString()));
        argv.addAll(List.of(args));
        Requirements.ProcessResult r = Requirements.run(Path.of("/"), argv.toArray(String[]::new));
        assertEquals(0, r.exitCode(), String.join(" ", argv) + ": " + r.output());
        return r.output();
    }

    @Override
    public void close() throws Exception {
        try {
            new ProcessBuilder("tmux", "-S", socket.toString(), "kill-server").redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(directory);
        }
    }
}
