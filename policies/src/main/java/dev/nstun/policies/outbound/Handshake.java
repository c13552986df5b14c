package dev.nstun.policies.outbound;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;

/**
 * The blocking reads and writes of one proxy handshake over a connected channel, each bounded by
 * the deadline of the whole connect: the driver of {@link HandshakeStep}s on a thread
 * ({@link NonBlockingHandshake} drives them on a selector's loop, and words failures with this
 * class's). A {@link SocketChannel}'s own {@code read} ignores {@code SO_TIMEOUT}; its socket
 * adaptor's streams honour it (on virtual threads too), so the handshake goes through those, and
 * the data stream afterwards through the channel itself.
 *
 * <p>Closing the channel from another thread, or interrupting the reader, ends a handshake with
 * the channel's own {@link ClosedChannelException}. Other errors become one line that names the
 * peer and the step: "socks5 proxy 127.0.0.1:1080 closed the connection during the greeting",
 * "… did not answer the CONNECT request within 10s".
 */
final class Handshake {
    /** The largest reply this reads: an HTTP response head, at most {@link HttpResponseDecoder#MAX_HEAD_BYTES}. */
    private static final int MAX_REPLY = HttpResponseDecoder.MAX_HEAD_BYTES;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String peer;
    private final Deadline deadline;
    private boolean peerClosed;

    Handshake(SocketChannel channel, String peer, Deadline deadline) throws IOException {
        this.socket = channel.socket();
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.peer = peer;
        this.deadline = deadline;
    }

    /** Makes the exchanges from {@code step} on, until the handshake is done; returns that. */
    HandshakeStep.Done run(HandshakeStep step) throws IOException {
        // instanceof, not a pattern switch: a cold JVM builds a class for the switch at its first use
        // (the class-data archive holds none), on the first proxied flow of a run.
        while (step instanceof HandshakeStep.Exchange<?> exchange) {
            step = exchange(exchange);
        }
        return (HandshakeStep.Done) step;
    }

    private <T> HandshakeStep exchange(HandshakeStep.Exchange<T> exchange) throws IOException {
        if (exchange.request().length > 0) {
            send(exchange.request(), exchange.label());
        }
        receive(exchange.decoder(), exchange.label());
        return exchange.answered();
    }

    /** Sends {@code message}, the client's part of {@code step}. */
    private void send(byte[] message, String step) throws IOException {
        try {
            out.write(message);
            out.flush();
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            peerClosed = true;
            throw closedDuring(peer, step, e);
        }
    }

    /**
     * Reads the peer's answer to {@code step} with {@code decoder}, exactly as many bytes as it
     * needs, and returns the decoded message.
     */
    private <T> T receive(ReplyDecoder<T> decoder, String step) throws IOException {
        byte[] bytes = new byte[MAX_REPLY];
        ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, 0);
        while (true) {
            switch (decoder.decode(buffer)) {
                case SUCCESS:
                    return decoder.message();
                case FAILURE:
                    throw malformed(peer, step, decoder.failure());
                default:
                    break;
            }
            int have = buffer.limit();
            int want = Math.min(decoder.bytesWanted(), bytes.length - have);
            int n = read(bytes, have, want, step);
            if (n < 0) {
                if (decoder.decodeTruncated(buffer)) {
                    return decoder.message();
                }
                peerClosed = true;
                throw closedDuring(peer, step, null);
            }
            buffer.limit(have + n);
        }
    }

    /**
     * Returns whether the peer closed or reset the connection during a step that failed. A SOCKS5
     * server without UDP ASSOCIATE may do that instead of answering "command not supported".
     */
    boolean peerClosed() {
        return peerClosed;
    }

    /** Clears the read timeout, so the channel's data stream is not bound by the handshake's. */
    void finish() throws IOException {
        socket.setSoTimeout(0);
    }

    private int read(byte[] bytes, int offset, int length, String step) throws IOException {
        try {
            socket.setSoTimeout(deadline.millisLeft());
            return in.read(bytes, offset, length);
        } catch (SocketTimeoutException e) {
            throw noAnswer(peer, step, deadline.describe(), e);
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            peerClosed = true;
            throw brokeDuring(peer, step, e);
        }
    }

    /** The peer closed the connection during {@code step}: a failed write's {@code cause}, or null for the end of the stream. */
    static OutboundException closedDuring(String peer, String step, IOException cause) {
        String message = peer + " closed the connection during the " + step;
        return cause == null
                ? new OutboundException(OutboundException.Kind.PROTOCOL, message)
                : new OutboundException(OutboundException.Kind.PROTOCOL, message + " (" + cause.getMessage() + ")", cause);
    }

    /** A read during {@code step} failed with {@code cause} (a reset, say). */
    static OutboundException brokeDuring(String peer, String step, IOException cause) {
        return new OutboundException(OutboundException.Kind.PROTOCOL,
                peer + " broke the connection during the " + step + " (" + cause.getMessage() + ")", cause);
    }

    /** The peer's answer to {@code step} broke the protocol, as {@code failure} says. */
    static OutboundException malformed(String peer, String step, String failure) {
        return new OutboundException(OutboundException.Kind.PROTOCOL, peer + ": malformed reply to the " + step + ": " + failure);
    }

    /** The peer did not answer {@code step} in the time the connect had ({@code within}). */
    static SocketTimeoutException noAnswer(String peer, String step, String within, Throwable cause) {
        return Sockets.timeout(peer + " did not answer the " + step + " within " + within, cause);
    }
}
