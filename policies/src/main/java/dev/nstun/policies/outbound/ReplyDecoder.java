package dev.nstun.policies.outbound;

import java.nio.ByteBuffer;

/**
 * Decodes one message a proxy sends during a handshake, from bytes that arrive in pieces. A small
 * machine in Netty's shape: {@link State#INIT} until the whole message is there, then
 * {@link State#SUCCESS} with the message, or {@link State#FAILURE} with what was wrong and what was
 * expected ("version 4 (expected: 5)"). Once out of INIT it stays where it is.
 *
 * <p>{@link #bytesWanted()} says how many more bytes to read before the next {@link #decode}: never
 * more than the message still lacks. A reader that reads exactly that many therefore never takes
 * the first bytes of the data stream that follows the handshake, and needs no way to hand them back.
 *
 * @param <T> the decoded message
 */
abstract class ReplyDecoder<T> {
    /** Where the decoder is. */
    enum State { INIT, SUCCESS, FAILURE }

    /** A message that breaks the protocol; its text says what was expected. */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message);
        }
    }

    private State state = State.INIT;
    private T message;
    private String failure;
    private int wanted;

    /**
     * Looks at the bytes between {@code in}'s position and limit, which hold everything received so
     * far of this message. When they hold all of it, consumes them and moves to SUCCESS; when they
     * break the protocol, moves to FAILURE; otherwise leaves {@code in} alone and stays in INIT.
     */
    final State decode(ByteBuffer in) {
        if (state != State.INIT) {
            return state;
        }
        try {
            int length = frameLength(in);
            int available = in.remaining();
            if (length > available) {
                wanted = length - available;
                return state;
            }
            succeed(parse(in));
            in.position(in.position() + length);
        } catch (MalformedException e) {
            failure = e.getMessage();
            state = State.FAILURE;
        }
        return state;
    }

    /**
     * Called when the peer closed the connection before the message was complete, with all bytes
     * received; returns whether those bytes still say enough to count as the message (then the
     * decoder is in SUCCESS). By default they do not.
     */
    boolean decodeTruncated(ByteBuffer in) {
        return false;
    }

    /** Returns how many more bytes the message needs at least, after a {@link #decode} that stayed in INIT. */
    final int bytesWanted() {
        return wanted;
    }

    /** Returns the state. */
    final State state() {
        return state;
    }

    /** Returns the message, in SUCCESS. */
    final T message() {
        return message;
    }

    /** Returns what was wrong, in FAILURE. */
    final String failure() {
        return failure;
    }

    /** Moves to SUCCESS with {@code decoded}. */
    final void succeed(T decoded) {
        message = decoded;
        state = State.SUCCESS;
    }

    /**
     * Returns the length of the message that starts at {@code in}'s position when the bytes there
     * tell it, else a lower bound of that length greater than {@code in.remaining()}. Reads with
     * absolute gets and never moves {@code in}.
     *
     * @throws MalformedException when the bytes so far already break the protocol
     */
    abstract int frameLength(ByteBuffer in) throws MalformedException;

    /** Decodes a complete message at {@code in}'s position, with absolute gets. */
    abstract T parse(ByteBuffer in) throws MalformedException;
}
