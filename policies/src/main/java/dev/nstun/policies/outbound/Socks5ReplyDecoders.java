package dev.nstun.policies.outbound;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Decoders for the three messages a SOCKS5 server sends a client: the method selection
 * (RFC 1928 §3), the username/password status (RFC 1929 §2) and the reply to a request
 * (RFC 1928 §6).
 */
final class Socks5ReplyDecoders {
    private Socks5ReplyDecoders() {
    }

    /** A reply to a request: the REP field, and BND.ADDR/BND.PORT (absent in a truncated failure reply). */
    record CommandReply(Socks5Reply reply, Optional<Destination> bound) {
    }

    /** Returns a decoder of the method selection: VER, METHOD. */
    static ReplyDecoder<Socks5AuthMethod> methodSelection() {
        return new ReplyDecoder<>() {
            @Override
            int frameLength(ByteBuffer in) throws MalformedException {
                checkVersion(in, Socks5Codec.VERSION, "version");
                return 2;
            }

            @Override
            Socks5AuthMethod parse(ByteBuffer in) {
                return Socks5AuthMethod.valueOf(in.get(in.position() + 1));
            }
        };
    }

    /** Returns a decoder of the username/password status: VER (1), STATUS (0 is success); decodes to the status. */
    static ReplyDecoder<Integer> passwordStatus() {
        return new ReplyDecoder<>() {
            @Override
            int frameLength(ByteBuffer in) throws MalformedException {
                checkVersion(in, Socks5Codec.PASSWORD_VERSION, "subnegotiation version");
                return 2;
            }

            @Override
            Integer parse(ByteBuffer in) {
                return in.get(in.position() + 1) & 0xff;
            }
        };
    }

    /** Returns a decoder of the reply to a request: VER, REP, RSV, then ATYP, BND.ADDR, BND.PORT. */
    static ReplyDecoder<CommandReply> commandReply() {
        return new ReplyDecoder<>() {
            /** VER, REP, RSV: the address field follows. */
            private static final int FIXED = 3;

            @Override
            int frameLength(ByteBuffer in) throws MalformedException {
                checkVersion(in, Socks5Codec.VERSION, "version");
                int address = Socks5Codec.addressFieldLength(in, in.position() + FIXED);
                // Without ATYP and the name's length byte, ask for those: every reply has them.
                return address < 0 ? FIXED + 2 : FIXED + address;
            }

            @Override
            CommandReply parse(ByteBuffer in) throws MalformedException {
                Socks5Reply reply = Socks5Reply.valueOf(in.get(in.position() + 1));
                return new CommandReply(reply, Optional.of(Socks5Codec.getAddress(in, in.position() + FIXED)));
            }

            /** Some servers send only VER and REP of a failure before closing: the code still counts. */
            @Override
            boolean decodeTruncated(ByteBuffer in) {
                if (in.remaining() < 2 || in.get(in.position()) != Socks5Codec.VERSION) {
                    return false;
                }
                Socks5Reply reply = Socks5Reply.valueOf(in.get(in.position() + 1));
                if (reply.isSuccess()) {
                    return false;
                }
                succeed(new CommandReply(reply, Optional.empty()));
                return true;
            }
        };
    }

    private static void checkVersion(ByteBuffer in, byte expected, String field) throws ReplyDecoder.MalformedException {
        if (in.hasRemaining() && in.get(in.position()) != expected) {
            throw new ReplyDecoder.MalformedException(field + " " + (in.get(in.position()) & 0xff) + " (expected: " + expected + ")");
        }
    }
}
