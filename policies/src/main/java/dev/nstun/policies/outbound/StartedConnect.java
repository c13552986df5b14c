package dev.nstun.policies.outbound;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * A {@code direct} connect begun without blocking ({@link Connectors#start}): the caller waits for
 * its channel to become connectable, gives it up after {@link #timeout}, and words what went wrong
 * with {@link #failed}, so that its exceptions are those {@link Connectors#connect} throws.
 *
 * @param channel the channel, non-blocking, its connect begun (perhaps already connected)
 * @param destination where it connects
 * @param timeout the outbound's connect-timeout: the caller's to enforce
 */
public record StartedConnect(SocketChannel channel, Destination destination, Duration timeout) {
    /**
     * Returns what {@link Connectors#connect} would have thrown for {@code e}, which finishing the
     * connect threw; a {@link java.net.SocketTimeoutException} stands for the connect-timeout passing.
     */
    public IOException failed(IOException e) {
        return Connectors.directFailure(destination, Deadline.describe(timeout), Sockets.worded(e));
    }
}
