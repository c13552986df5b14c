package dev.nstun.stack.flow;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A TCP connect under way on a non-blocking channel ({@link Dialer#startTcp}): the stack waits for
 * the channel to become connectable, calls {@link SocketChannel#finishConnect()}, and turns what
 * that throws into the command's answer with {@link #failure}. With a {@link #timeout}, the stack
 * gives the connect up once it has lasted that long on the loop's clock, and asks {@link #failure}
 * about a {@link SocketTimeoutException}; without one, the kernel's SYN retries bound it. A connect
 * the stack abandons (its half-open flow evicted) is told to {@link #failure} as an
 * {@link AsynchronousCloseException}, as an interrupted blocking connect would have thrown. With a
 * {@link #handshake} (a proxy's), the connect is complete only once that is done, within the same
 * timeout, and what it throws is answered through {@link #failure} too. With a {@link #fallback},
 * a connect that fails (before any handshake, within the timeout) is followed by the one it begins,
 * on a channel of its own, until one connects or none is left.
 *
 * @param channel the channel, non-blocking, its connect started (perhaps already connected)
 * @param failure what a failed finishConnect or handshake means for the command, as {@link Dialer#connectTcp} would have thrown it
 * @param timeout how long the connect may take (a dialer's connect-timeout), or empty
 * @param handshake what runs on the channel once it is connected, or empty
 * @param fallback what begins the next connect when this one fails, or empty
 */
public record PendingConnect(SocketChannel channel, Function<IOException, DialException> failure, Optional<Duration> timeout,
                             Optional<UpstreamHandshake> handshake, Optional<Fallback> fallback) {
    public PendingConnect {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(handshake, "handshake");
        Objects.requireNonNull(fallback, "fallback");
    }

    /** Returns a connect without a timeout of its own, with no handshake after it and nothing to fall back on. */
    public PendingConnect(SocketChannel channel, Function<IOException, DialException> failure) {
        this(channel, failure, Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** Returns this connect with {@code failure} in place of its own (which {@code failure} may call), all else kept. */
    public PendingConnect withFailure(Function<IOException, DialException> failure) {
        return new PendingConnect(channel, failure, timeout, handshake, fallback);
    }

    /** Returns this connect on {@code channel}, begun by its {@link #fallback}, all else kept. */
    public PendingConnect on(SocketChannel channel) {
        return new PendingConnect(channel, failure, timeout, handshake, fallback);
    }
}
