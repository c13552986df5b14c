package dev.nstun.policies.outbound;

import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a proxy handshake stands, without any I/O: an {@link Exchange} still to make, or
 * {@link Done}. A client's protocol ({@link Socks5Client}, {@link HttpConnectClient}) is written once
 * as a chain of exchanges, each of whose answers decides the next step; a driver does the I/O:
 * {@link Handshake} with blocking reads on a thread, {@link NonBlockingHandshake} on a selector's
 * loop. Both word a broken connection the same way.
 */
sealed interface HandshakeStep permits HandshakeStep.Exchange, HandshakeStep.Done {
    /** The handshake is complete; {@code bound} is what the last answer named (SOCKS5's BND.ADDR), if anything. */
    record Done(Optional<Destination> bound) implements HandshakeStep {
        /** Complete, naming nothing. */
        static final Done NOTHING = new Done(Optional.empty());

        public Done {
            Objects.requireNonNull(bound, "bound");
        }
    }

    /**
     * Sends {@code request} (nothing when empty: the peer has more to say first), reads one message
     * with {@code decoder}, and hands it to {@code answer}, which returns the next step or throws
     * what the answer means for the flow.
     *
     * @param label the step as messages name it: "greeting", "CONNECT request"
     */
    record Exchange<T>(byte[] request, ReplyDecoder<T> decoder, String label, Answer<T> answer) implements HandshakeStep {
        public Exchange {
            Objects.requireNonNull(request, "request");
            Objects.requireNonNull(decoder, "decoder");
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(answer, "answer");
        }

        /** Returns the step after the decoder's message: the answer's. */
        HandshakeStep answered() throws IOException {
            return answer.next(decoder.message());
        }
    }

    /** What an exchange's answer leads to. */
    @FunctionalInterface
    interface Answer<T> {
        HandshakeStep next(T message) throws IOException;
    }
}
