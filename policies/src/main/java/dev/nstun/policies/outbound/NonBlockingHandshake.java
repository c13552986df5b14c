package dev.nstun.policies.outbound;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.Objects;

/**
 * A proxy handshake on a non-blocking channel, for a selector's loop: each {@link #advance} sends
 * and reads what the channel takes and has without waiting, and says what it waits for next. The
 * protocol is the client's {@link HandshakeStep}s, as {@link Handshake} runs them on a thread, and
 * failures are worded as there. Reads never go past the handshake's last byte (see
 * {@link ReplyDecoder#bytesWanted}), so the destination's first bytes stay in the channel. Not
 * thread-safe: one loop drives it.
 */
public final class NonBlockingHandshake {
    /** What {@link #advance} left the handshake waiting for. */
    public enum Progress {
        /** The peer's answer, or more of it: call again once the channel is readable. */
        READABLE,
        /** Room to send the rest of a request: call again once the channel is writable. */
        WRITABLE,
        /** Nothing: the handshake is complete, and the channel carries the destination's bytes. */
        DONE
    }

    private final SocketChannel channel;
    private final String peer;
    private final ByteBuffer received = ByteBuffer.allocate(HttpResponseDecoder.MAX_HEAD_BYTES);
    private HandshakeStep step;
    /** The request of the exchange under way still to send; null before the exchange begins. */
    private ByteBuffer sending;
    private String label;

    NonBlockingHandshake(SocketChannel channel, String peer, HandshakeStep first) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.peer = Objects.requireNonNull(peer, "peer");
        this.step = Objects.requireNonNull(first, "first");
    }

    /**
     * Goes as far as the channel allows without waiting. Throws what {@link Handshake} would have
     * thrown at the same point: the peer closing or breaking the connection, a malformed answer, an
     * answer that fails the flow.
     */
    public Progress advance() throws IOException {
        while (step instanceof HandshakeStep.Exchange<?> exchange) {
            if (!exchange(exchange)) {
                return sending.hasRemaining() ? Progress.WRITABLE : Progress.READABLE;
            }
        }
        return Progress.DONE;
    }

    /**
     * The exception for a connect given up after {@code within} (its connect-timeout), worded as
     * {@link Handshake} and {@link Sockets#connectToProxy} word it: the peer did not accept the
     * connection, or did not answer the step under way.
     */
    SocketTimeoutException timedOut(String within) {
        return label == null
                ? Sockets.notAccepted(peer, within, null)
                : Handshake.noAnswer(peer, label, within, null);
    }

    /** Returns the proxy as messages name it: {@code socks5 proxy 10.0.0.5:1080}. */
    String peer() {
        return peer;
    }

    /** Advances {@code exchange}; returns whether it is complete ({@link #step} then holds the next). */
    private <T> boolean exchange(HandshakeStep.Exchange<T> exchange) throws IOException {
        if (sending == null) {
            sending = ByteBuffer.wrap(exchange.request());
            label = exchange.label();
            received.clear().limit(0);
        }
        if (sending.hasRemaining()) {
            try {
                channel.write(sending);
            } catch (ClosedChannelException e) {
                throw e;
            } catch (IOException e) {
                throw Handshake.closedDuring(peer, label, e);
            }
            if (sending.hasRemaining()) {
                return false;
            }
        }
        ReplyDecoder<T> decoder = exchange.decoder();
        while (true) {
            switch (decoder.decode(received)) {
                case SUCCESS -> {
                    sending = null;
                    step = exchange.answered();
                    return true;
                }
                case FAILURE -> throw Handshake.malformed(peer, label, decoder.failure());
                case INIT -> {
                    // More of the answer is needed: read below.
                }
            }
            int have = received.limit();
            int want = Math.min(decoder.bytesWanted(), received.capacity() - have);
            received.limit(have + want).position(have);
            int n;
            try {
                n = channel.read(received);
            } catch (ClosedChannelException e) {
                throw e;
            } catch (IOException e) {
                throw Handshake.brokeDuring(peer, label, e);
            } finally {
                received.limit(received.position()).position(0);
            }
            if (n == 0) {
                return false;
            }
            if (n < 0) {
                if (decoder.decodeTruncated(received)) {
                    sending = null;
                    step = exchange.answered();
                    return true;
                }
                throw Handshake.closedDuring(peer, label, null);
            }
        }
    }
}
