package dev.nstun.cli;

import java.io.IOException;
import java.nio.channels.spi.SelectorProvider;

/**
 * Readies, on a thread of its own while the command line is parsed and the run decided, the JDK
 * pieces a run's start needs and whose first use is slow in a cold JVM: the selector provider and
 * its first selector (the provider named by {@link Main}, not looked for), the scheduler of virtual
 * threads (a pool and its carrier threads, made at the first one: the dials and the upstream DNS
 * queries run on them), and, for a run that starts a command, the system logger that {@link
 * ProcessBuilder#start} asks whether to log each process start (found through a ServiceLoader, which
 * opens the JDK's module image and the jar: 10 to 15 ms on the thread that starts the command; {@code
 * up} starts none). What it makes is thrown away; it changes nothing a run does, only when the JDK
 * pays for it. (No SecureRandom: a run's start makes none, see {@link ControlServer} and the stack's
 * IsnGenerator.)
 */
final class WarmUp {
    private WarmUp() {}

    /**
     * Starts the warm-up on a daemon thread, with the process-start logger where {@code startsCommand};
     * a run that gets there first just waits on the JDK's own locks.
     */
    static void inBackground(boolean startsCommand) {
        Thread.ofPlatform().name("nstun-warm-up").daemon(true).start(startsCommand ? WarmUp::runForCommand : WarmUp::run);
    }

    private static void runForCommand() {
        run();
        try {
            System.getLogger("java.lang.ProcessBuilder").isLoggable(System.Logger.Level.DEBUG);
        } catch (RuntimeException e) {
            // Whatever failed here fails where the command starts.
        }
    }

    private static void run() {
        try {
            SelectorProvider.provider().openSelector().close();
            Thread.ofVirtual().start(() -> { }).join();
        } catch (IOException | RuntimeException e) {
            // Whatever failed here fails, and is reported, where the run uses it.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
