package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An interactive {@code bash} through {@code nstun run} in a real terminal (tmux), typed into as a
 * user would, next to the same shell without nstun (the control): it has a terminal, its prompt,
 * Ctrl-C interrupts the command in the foreground and not the shell, a resized window reaches it,
 * and its exit status is the shell's. Only the network differs (nstun's resolver).
 */
class InteractiveIT {
    private static final int COLUMNS = 120;
    private static final int ROWS = 40;

    @Test
    void anInteractiveShellBehavesInItsTerminalAsWithoutNstun() throws Exception {
        try (Tmux tmux = Tmux.start("interactiveit")) {
            Map<String, String> screens = new LinkedHashMap<>();
            for (String session : new String[] {"control", "nstun"}) {
                String prefix = session.equals("nstun") ? NstunProcess.launcher() + " run -- " : "";
                tmux.open(session, COLUMNS, ROWS, "export PS1='ready> '; " + prefix + "bash --norc -i; echo outer-exit=$?; sleep 600");
                tmux.await(session, s -> s.contains("ready>"), "the prompt");
                tmux.type(session, "tty; echo answer=$((6*7)) ns=$(grep -c '^nameserver 198.18.0.2$' /etc/resolv.conf)");
                tmux.await(session, s -> s.contains("answer=42"), "the first answer");
                tmux.type(session, "sleep 100");
                Thread.sleep(300);
                tmux.send(session, "C-c");
                tmux.type(session, "echo interrupted=$?");
                tmux.await(session, s -> s.contains("interrupted="), "the shell after Ctrl-C");
                tmux.type(session, "echo size=$(stty size)");
                tmux.await(session, s -> s.contains("size="), "the terminal's size");
                tmux.run("resize-window", "-t", session, "-x", "100", "-y", "30");
                tmux.type(session, "echo resized=$(stty size)");
                tmux.await(session, s -> s.contains("resized="), "the terminal's new size");
                tmux.type(session, "exit 5");
                screens.put(session, tmux.await(session, s -> s.contains("outer-exit="), "the shell's end"));
            }
            String control = screens.get("control");
            String nstun = screens.get("nstun");
            assertAll(
                    () -> assertTrue(control.contains("/dev/pts/") && control.contains("answer=42 ns=0"), control),
                    () -> assertTrue(nstun.contains("/dev/pts/"), "a terminal of its own: " + nstun),
                    () -> assertTrue(nstun.contains("answer=42 ns=1"), "nstun's resolver: " + nstun),
                    () -> assertTrue(control.contains("interrupted=130"), control),
                    () -> assertTrue(nstun.contains("interrupted=130"), "Ctrl-C ends the foreground command only: " + nstun),
                    () -> assertTrue(control.contains("size=" + ROWS + " " + COLUMNS) && control.contains("resized=30 100"), control),
                    () -> assertTrue(nstun.contains("size=" + ROWS + " " + COLUMNS), nstun),
                    () -> assertTrue(nstun.contains("resized=30 100"), "the resize reached the shell: " + nstun),
                    () -> assertTrue(control.contains("outer-exit=5"), control),
                    () -> assertTrue(nstun.contains("outer-exit=5"), "the shell's status: " + nstun));
        }
    }
}
