package dev.nstun.policies.dns;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for what another thread completes (a connection, an answer) until a deadline. */
final class Waiting {
    private Waiting() {
    }

    /**
     * Returns the value of {@code future}, waiting until {@code deadlineNanos} ({@link System#nanoTime()}
     * time). Throws {@link SocketTimeoutException} with {@code what} when it is not done by then, and
     * the future's own {@link IOException} when it failed with one.
     */
    static <T> T await(CompletableFuture<T> future, long deadlineNanos, String what) throws IOException {
        try {
            return future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new SocketTimeoutException(what);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause().toString(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + what);
        }
    }

    /** Returns {@code 5s} or {@code 1500ms}: a timeout as messages show it. */
    static String format(java.time.Duration timeout) {
        long ms = timeout.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
