package dev.nstun.cli;

import java.io.IOException;
import java.nio.channels.spi.SelectorProvider;

/**
 * Readies, on a thread of its own while the command line is parsed and the run decided, the JDK
 * pieces a run's start needs and whose first use is slow in a cold JVM: the selector provider and
 * its first selector (the provider named by {@link Main}, not looked for) and the scheduler of
 * virtual threads (a pool and its carrier threads, made at the first one: the dials and the upstream
 * DNS queries run on them). What it makes is thrown away; it changes nothing a run does, only when
 * the JDK pays for it. (No SecureRandom: a run's start makes none, see {@link ControlServer} and the
 * stack's IsnGenerator. No system logger: the command starts without {@link ProcessBuilder}, whose
 * start looked one up, see netns/.../SpawnedProcess.java.)
 */
final class WarmUp {
    private WarmUp() {}

    /** Starts the warm-up on a daemon thread; a run that gets there first just waits on the JDK's own locks. */
    static void inBackground() {
        Thread.ofPlatform().name("nstun-warm-up").daemon(true).start(WarmUp::run);
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
