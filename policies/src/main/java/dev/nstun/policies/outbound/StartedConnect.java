package dev.nstun.policies.outbound;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;

/**
 * A connect begun without blocking ({@link Connectors#start}): {@code direct} to the destination, or
 * to a proxy whose handshake then runs on the caller's loop. The caller waits for the channel to
 * become connectable, then drives the handshake with {@link #advance} if {@link #hasHandshake}, gives
 * the whole up after {@link #timeout}, and words what went wrong with {@link #failed}, so that its
 * exceptions are those {@link Connectors#connect} throws. Not thread-safe: one loop drives it.
 */
public final class StartedConnect {
    private final SocketChannel channel;
    private final Duration timeout;
    private final Destination destination;
    private final NonBlockingHandshake handshake;
    private boolean handshakeFailed;

    private StartedConnect(SocketChannel channel, Duration timeout, Destination destination, NonBlockingHandshake handshake) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.destination = destination;
        this.handshake = handshake;
    }

    /** A {@code direct} connect to {@code destination}, bounded by {@code timeout}. */
    static StartedConnect direct(SocketChannel channel, Destination destination, Duration timeout) {
        return new StartedConnect(channel, timeout, Objects.requireNonNull(destination, "destination"), null);
    }

    /** A connect to a proxy, then {@code handshake} on it; both bounded by {@code timeout}. */
    static StartedConnect throughProxy(SocketChannel channel, NonBlockingHandshake handshake, Duration timeout) {
        return new StartedConnect(channel, timeout, null, Objects.requireNonNull(handshake, "handshake"));
    }

    /** Returns the channel, non-blocking, its connect begun (perhaps already connected). */
    public SocketChannel channel() {
        return channel;
    }

    /** Returns the connect-timeout: the caller's to enforce, from the start to the handshake's end. */
    public Duration timeout() {
        return timeout;
    }

    /** Returns whether a handshake follows the connect ({@link #advance}). */
    public boolean hasHandshake() {
        return handshake != null;
    }

    /**
     * Advances the handshake once the channel is connected (see {@link NonBlockingHandshake#advance});
     * {@link NonBlockingHandshake.Progress#DONE} at once when there is none.
     */
    public NonBlockingHandshake.Progress advance() throws IOException {
        if (handshake == null) {
            return NonBlockingHandshake.Progress.DONE;
        }
        try {
            return handshake.advance();
        } catch (IOException e) {
            handshakeFailed = true;
            throw e;
        }
    }

    /**
     * Returns what {@link Connectors#connect} would have thrown for {@code e}: what finishing the
     * connect or {@link #advance} threw, or a {@link SocketTimeoutException} for the connect-timeout
     * passing.
     */
    public IOException failed(IOException e) {
        String within = Deadline.describe(timeout);
        if (handshake == null) {
            return Connectors.directFailure(destination, within, Sockets.worded(e));
        }
        if (handshakeFailed || e instanceof ClosedChannelException) {
            return e; // worded by the handshake, or the connect was given up
        }
        if (e instanceof SocketTimeoutException) {
            return handshake.timedOut(within);
        }
        return Sockets.unreachable(handshake.peer(), Sockets.worded(e));
    }
}
