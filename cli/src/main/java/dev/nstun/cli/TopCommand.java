package dev.nstun.cli;

import dev.nstun.netns.Privileges;
import dev.nstun.netns.RunRegistry;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code nstun top [TARGET]}: {@link StatusCommand}'s view, redrawn every second in the terminal's
 * alternate screen. Keys are read from {@code /dev/tty} with canonical mode and echo off (through
 * stty); the terminal is put back as it was when it quits (q, Ctrl-C, or the run's end).
 */
public final class TopCommand implements Callable<Integer> {
    private static final long REFRESH_MILLIS = 1000;
    private static final String ALTERNATE_SCREEN = "\033[?1049h\033[?25l";
    private static final String NORMAL_SCREEN = "\033[?25h\033[?1049l";
    private final PositionalParamSpec target = PositionalParamSpec.builder().arity("0..1").paramLabel("TARGET").type(String.class)
            .description(RunTargets.DESCRIPTION).build();
    final CommandSpec spec = CommandModel.spec(this, "top");

    TopCommand() {
        spec.addPositional(target);
        CommandModel.usage(spec, "0:quit with q, or the run ended", "3:no live run (none of this user's, or none that TARGET names)",
                        ExitCodes.FAILED_ENTRY + "; also when several runs are live and no TARGET says which, or there is no terminal")
                .description("Shows a live run's flows and counters as `nstun status` does, refreshed every second, until q.",
                        "Keys: b sorts by bytes (both ways), a by age (oldest first), q quits. It quits by itself when the run ends.")
                .footer("", "Examples:", "  nstun top", "  sudo nstun top 4242");
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        RunRegistry.Run run;
        try {
            switch (RunTargets.resolve(StatusCommand.liveRuns(), Optional.ofNullable(target.getValue()), "nstun top", Privileges.isHostRoot())) {
                case RunTargets.Found found -> run = found.run();
                case RunTargets.Refusal refusal -> {
                    err.println(refusal.line());
                    return refusal.status();
                }
            }
        } catch (IOException e) {
            err.println("nstun: " + e.getMessage());
            return ExitCodes.NSTUN_FAILED;
        }
        Terminal terminal;
        try {
            terminal = Terminal.take();
        } catch (IOException e) {
            err.println("nstun: top needs a terminal (" + e.getMessage() + "); `nstun status` prints once");
            return ExitCodes.NSTUN_FAILED;
        }
        Thread restoreOnSignal = new Thread(() -> terminal.restore(out));
        Runtime.getRuntime().addShutdownHook(restoreOnSignal);
        try {
            out.print(ALTERNATE_SCREEN);
            String ended = show(run, terminal, out);
            terminal.restore(out);
            if (ended != null) err.println(ended);
            return 0;
        } finally {
            terminal.restore(out);
            try {
                Runtime.getRuntime().removeShutdownHook(restoreOnSignal);
            } catch (IllegalStateException e) {
                // Ctrl-C: the JVM is shutting down, and the hook has put the terminal back
            }
        }
    }

    /** Redraws until q or the run's end; returns what to say after (null: nothing). */
    private static String show(RunRegistry.Run run, Terminal terminal, PrintWriter out) throws InterruptedException {
        StatusView.Sort sort = StatusView.Sort.BYTES;
        while (true) {
            List<String> lines;
            try {
                lines = StatusView.render(StatusView.parse(StatusCommand.ask(run)), sort, Math.max(1, terminal.rows() - 8));
            } catch (IOException | IllegalArgumentException e) {
                if (!stillLive(run)) return "nstun: run " + run.pid() + " has ended";
                lines = List.of("nstun " + run.pid() + ": " + e.getMessage());
            }
            StringBuilder frame = new StringBuilder("\033[H");
            int width = terminal.columns();
            for (String line : lines.subList(0, Math.min(lines.size(), terminal.rows() - 2))) {
                frame.append(line.length() > width ? line.substring(0, width) : line).append("\033[K\n");
            }
            frame.append("\033[K\n").append("sorted by ").append(sort == StatusView.Sort.BYTES ? "bytes" : "age")
                    .append("   b: by bytes   a: by age   q: quit\033[K\033[J");
            out.print(frame);
            out.flush();
            Integer key = terminal.keys.poll(REFRESH_MILLIS, TimeUnit.MILLISECONDS);
            if (key == null) continue;
            switch (key.intValue()) {
                case 'q', 'Q', -1 -> {
                    return null;
                }
                case 'b', 'B' -> sort = StatusView.Sort.BYTES;
                case 'a', 'A' -> sort = StatusView.Sort.AGE;
                default -> { }
            }
        }
    }

    private static boolean stillLive(RunRegistry.Run run) {
        try {
            return StatusCommand.liveRuns().stream().anyMatch(r -> r.id().equals(run.id()));
        } catch (IOException e) {
            return false;
        }
    }

    /** The controlling terminal in character-at-a-time mode without echo, and the keys typed on it. */
    private static final class Terminal {
        private static final File TTY = new File("/dev/tty");
        final BlockingQueue<Integer> keys = new LinkedBlockingQueue<>();
        private final String saved;
        private final AtomicBoolean restored = new AtomicBoolean();
        private int rows = 24;
        private int columns = 80;
        private long sizedAt;

        private Terminal(String saved) {
            this.saved = saved;
        }

        /** Saves the terminal's settings, switches it to keys without Enter and without echo, starts reading keys. */
        static Terminal take() throws IOException {
            InputStream tty = new FileInputStream(TTY);
            Terminal t = new Terminal(stty("-g").strip());
            stty("-icanon", "-echo", "min", "1", "time", "0");
            Thread.ofPlatform().daemon().name("nstun-top-keys").start(() -> {
                try (tty) {
                    for (int c; (c = tty.read()) >= 0; ) t.keys.add(c);
                } catch (IOException e) {
                    // the terminal went away: quit as for q
                }
                t.keys.add(-1);
            });
            return t;
        }

        /** Puts the terminal back as it was (once, whoever calls first: the command or the shutdown hook). */
        void restore(PrintWriter out) {
            if (!restored.compareAndSet(false, true)) return;
            out.print(NORMAL_SCREEN);
            out.flush();
            try {
                stty(saved);
            } catch (IOException e) {
                out.println("nstun: could not restore the terminal (" + e.getMessage() + "): run `stty sane`");
                out.flush();
            }
        }

        int rows() {
            size();
            return rows;
        }

        int columns() {
            size();
            return columns;
        }

        /** Reads the terminal's size at most once a refresh: it may change while top runs. */
        private void size() {
            long now = System.nanoTime();
            if (sizedAt != 0 && now - sizedAt < REFRESH_MILLIS * 500_000) return;
            sizedAt = now;
            try {
                String[] size = stty("size").strip().split(" ");
                rows = Math.max(5, Integer.parseInt(size[0]));
                columns = Math.max(20, Integer.parseInt(size[1]));
            } catch (IOException | RuntimeException e) {
                // keep the last size
            }
        }

        /** Runs stty on /dev/tty with {@code args}; returns what it printed. */
        private static String stty(String... args) throws IOException {
            List<String> argv = new ArrayList<>(List.of("stty"));
            argv.addAll(List.of(args));
            Process p = new ProcessBuilder(argv).redirectInput(TTY).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                if (p.waitFor() != 0) throw new IOException("stty " + String.join(" ", args) + ": " + output.strip());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            return output;
        }
    }
}
