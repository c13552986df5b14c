package dev.nstun.policies.outbound;

import java.net.ConnectException;
import java.util.Objects;
import java.util.Optional;

/**
 * An outbound could not carry a flow for a reason that lies with the outbound rather than the
 * destination: its proxy cannot be reached, rejects the credentials, breaks its protocol, refuses
 * by its own rules, or lacks a feature (UDP ASSOCIATE); or a direct outbound asks for an
 * {@code interface} or {@code fwmark} that cannot be applied here ({@link SocketTuner#NONE}). The
 * message is one line that names the proxy or outbound and says what went wrong, ready for the log:
 * {@code socks5 proxy 10.0.0.5:1080 rejected the username/password for alice}.
 *
 * <p>It is a {@link ConnectException} on purpose: the stack answers a failed connect with a reset,
 * so the wrapped command sees a connection error at once instead of waiting for a timeout.
 * {@link #kind()} tells the causes apart (e.g. to stop sending UDP flows to a proxy that lacks UDP
 * ASSOCIATE).
 */
public final class OutboundException extends ConnectException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        /** The proxy's name does not resolve, or it refused or could not be reached. */
        PROXY_UNREACHABLE,
        /** The proxy wants credentials it was not given, rejected them, or wants a method nstun lacks. */
        AUTHENTICATION,
        /** The proxy answered something the protocol does not allow, or closed the connection mid-handshake. */
        PROTOCOL,
        /** The proxy's own rules forbid the request (SOCKS5 NOT_ALLOWED, HTTP 403). */
        NOT_ALLOWED,
        /**
         * The proxy does not implement the command or address type (e.g. no UDP ASSOCIATE; see
         * {@link #socks5Reply()}), or a direct outbound's interface or fwmark cannot be applied.
         */
        UNSUPPORTED,
        /** The proxy reported a failure of its own (SOCKS5 general failure, an HTTP status without a better mapping). */
        PROXY_FAILURE
    }

    private final Kind kind;
    private final transient Socks5Reply socks5Reply;

    public OutboundException(Kind kind, String message) {
        this(kind, message, (Socks5Reply) null);
    }

    public OutboundException(Kind kind, String message, Throwable cause) {
        this(kind, message);
        initCause(cause);
    }

    /** Returns an exception for a SOCKS5 proxy that answered a request with {@code reply}. */
    OutboundException(Kind kind, String message, Socks5Reply reply) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.socks5Reply = reply;
    }

    /** Returns what went wrong. */
    public Kind kind() {
        return kind;
    }

    /** Returns the reply of a SOCKS5 proxy that refused a request, or empty when it did not answer with one. */
    public Optional<Socks5Reply> socks5Reply() {
        return Optional.ofNullable(socks5Reply);
    }
}
