package dev.nstun.cli;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a session has started, to be undone last-started first, each step once, whatever the steps
 * before it threw: one place that cleans up on every path (a failed start, the command's exit, an
 * exception). Not thread-safe: the thread that starts the pieces closes them.
 */
final class Closer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Closer.class);

    /** One step of the clean-up. */
    @FunctionalInterface
    interface Step {
        void close() throws Exception;
    }

    private record Named(String what, Step step) {}

    private final Deque<Named> steps = new ArrayDeque<>();

    /** Adds {@code step}, which undoes {@code what}: it runs before every step added earlier. */
    void onClose(String what, Step step) {
        steps.push(new Named(what, step));
    }

    /** Adds closing {@code resource} (which is {@code what}) and returns it. */
    <T extends AutoCloseable> T closing(String what, T resource) {
        onClose(what, resource::close);
        return resource;
    }

    /** Runs every step, the last added first; a step that fails is logged and the others still run. */
    @Override
    public void close() {
        boolean interrupted = false;
        for (Named n; (n = steps.poll()) != null; ) {
            try {
                n.step().close();
            } catch (InterruptedException e) {
                interrupted = true;
                log.debug("closing {}: interrupted", n.what());
            } catch (Exception e) {
                log.debug("closing {}: {}", n.what(), e.toString());
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
