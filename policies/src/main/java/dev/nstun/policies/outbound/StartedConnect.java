package dev.nstun.policies.outbound;

import dev.nstun.policies.config.HostPort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A connect begun without blocking ({@link Connectors#start}): {@code direct} to the destination, or
 * to a proxy whose handshake then runs on the caller's loop. The caller waits for the channel to
 * become connectable, then drives the handshake with {@link #advance} if {@link #hasHandshake}, gives
 * the whole up after {@link #timeout}, and words what went wrong with {@link #failed}, so that its
 * exceptions are those {@link Connectors#connect} throws. A proxy whose name has several addresses
 * is tried at each in turn, as a blocking connect tries them: when the connect fails, the caller
 * asks {@link #fallback} for the next, whose channel and handshake then take the place of the
 * failed one's. Not thread-safe: one loop drives it.
 */
public final class StartedConnect {
    private final Duration timeout;
    private final Destination destination;
    /** The proxy's addresses not tried yet, and its port; none for a direct connect. */
    private final Deque<InetAddress> untried;
    private final int port;
    private final Function<SocketChannel, NonBlockingHandshake> handshakes;
    private SocketChannel channel;
    private NonBlockingHandshake handshake;
    private boolean handshakeFailed;

    private StartedConnect(Duration timeout, Destination destination, List<InetAddress> addresses, int port,
                           Function<SocketChannel, NonBlockingHandshake> handshakes) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.destination = destination;
        this.untried = new ArrayDeque<>(addresses);
        this.port = port;
        this.handshakes = handshakes;
    }

    /** A {@code direct} connect to {@code destination}, bounded by {@code timeout}. */
    static StartedConnect direct(SocketChannel channel, Destination destination, Duration timeout) {
        StartedConnect started = new StartedConnect(timeout, Objects.requireNonNull(destination, "destination"), List.of(), 0, null);
        started.channel = Objects.requireNonNull(channel, "channel");
        return started;
    }

    /**
     * Begins a connect to {@code proxy} (its address, or those its name resolved to lately: {@link
     * ProxyAddresses#known}) at the first address (then, through {@link #fallback}, at the next),
     * each followed by the handshake {@code handshakes} makes for its channel; all bounded by
     * {@code timeout}. Empty when the proxy's name is not known (resolving it might block). An
     * address whose connect cannot even begin is passed over; when none begins, what the last one
     * threw is thrown, as {@link Sockets#connectToProxy} words it for {@code peer}.
     */
    static Optional<StartedConnect> throughProxy(HostPort proxy, String peer, Function<SocketChannel, NonBlockingHandshake> handshakes,
                                                 Duration timeout) throws IOException {
        Optional<List<InetAddress>> addresses = ProxyAddresses.known(proxy);
        if (addresses.isEmpty()) {
            return Optional.empty();
        }
        StartedConnect started = new StartedConnect(timeout, null, addresses.get(), proxy.port(),
                Objects.requireNonNull(handshakes, "handshakes"));
        try {
            started.beginNext();
        } catch (IOException e) {
            throw Sockets.unreachable(peer, e);
        }
        return Optional.of(started);
    }

    /**
     * Begins the connect to the proxy's next address, after {@code failure} of the one before (a
     * refusal, an unreachable address; never a timeout, which has spent the connect's time): returns
     * its channel, whose handshake {@link #advance} now drives, or empty when no address is left.
     * Throws what the last address's connect threw when none of those left can begin.
     */
    public Optional<SocketChannel> fallback(IOException failure) throws IOException {
        if (untried.isEmpty()) {
            return Optional.empty();
        }
        beginNext();
        return Optional.of(channel);
    }

    /** Begins the connect to the first untried address that takes it, and makes the handshake for its channel. */
    private void beginNext() throws IOException {
        IOException last = null;
        while (!untried.isEmpty()) {
            try {
                channel = Sockets.start(untried.poll(), port, Optional.empty(), Sockets.Prepare.NONE);
                handshake = handshakes.apply(channel);
                return;
            } catch (IOException e) {
                last = e;
            }
        }
        throw Objects.requireNonNull(last, "no address to connect to");
    }

    /** Returns the channel, non-blocking, its connect begun (perhaps already connected): the latest {@link #fallback}'s. */
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
