package dev.nstun.policies.outbound;

import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.OutboundException.Kind;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What nstun has learnt about the UDP ASSOCIATE of each socks5 outbound, by name. {@code udp: true}
 * in the policy is a promise the proxy may not keep (microsocks has no UDP ASSOCIATE; dante may
 * forbid it by rule), and asking again for every UDP flow would cost a connection to the proxy and
 * a round trip each time only to be refused. So the first refusal marks the outbound
 * {@link State#UNSUPPORTED}, says so in one WARN line, and later attempts fail at once without
 * contacting the proxy. Thread-safe.
 */
public final class UdpSupport {
    private static final Logger log = LoggerFactory.getLogger(UdpSupport.class);

    /** What is known of an outbound's UDP ASSOCIATE. */
    public enum State {
        /** Not tried yet. */
        UNKNOWN,
        /** An association was opened. */
        SUPPORTED,
        /** The proxy refused UDP ASSOCIATE; it is not asked again. */
        UNSUPPORTED
    }

    /**
     * The state of one outbound.
     *
     * @param reason why it is unsupported, in the proxy's words ("it answered: command not
     *               supported"); empty otherwise
     */
    public record Status(State state, String reason) {
        /** The status of an outbound not tried yet. */
        public static final Status UNKNOWN = new Status(State.UNKNOWN, "");

        public Status {
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(reason, "reason");
        }
    }

    private final ConcurrentMap<String, Status> byOutbound = new ConcurrentHashMap<>();

    /** Returns what is known of the outbound called {@code outbound}. */
    public Status status(String outbound) {
        return byOutbound.getOrDefault(outbound, Status.UNKNOWN);
    }

    /** Records that an association through {@code outbound} was opened, unless it is already known unsupported. */
    void supported(Outbound.Socks5 outbound) {
        byOutbound.putIfAbsent(outbound.name(), new Status(State.SUPPORTED, ""));
    }

    /**
     * Records that {@code outbound} refused UDP ASSOCIATE for {@code reason}; the first time, logs
     * it. Returns whether this call was the first.
     */
    boolean unsupported(Outbound.Socks5 outbound, String reason) {
        Status now = new Status(State.UNSUPPORTED, reason);
        Status kept = byOutbound.merge(outbound.name(), now, (before, update) -> before.state() == State.UNSUPPORTED ? before : update);
        if (kept != now) {
            return false;
        }
        log.warn("{}: UDP flows through it are refused (DNS still goes over TCP)", unsupportedMessage(outbound, reason));
        return true;
    }

    /** Throws at once, without contacting the proxy, when {@code outbound} is known not to support UDP ASSOCIATE. */
    void requireUsable(Outbound.Socks5 outbound) throws OutboundException {
        Status status = status(outbound.name());
        if (status.state() == State.UNSUPPORTED) {
            throw new OutboundException(Kind.UNSUPPORTED, unsupportedMessage(outbound, status.reason()));
        }
    }

    /**
     * Returns why a proxy refused UDP ASSOCIATE for good: it answered "command not supported" or
     * "not allowed by ruleset", or closed the connection when asked. Other failures (the proxy is
     * down, rejects the credentials) say nothing about UDP ASSOCIATE and give empty.
     */
    static Optional<String> refusal(OutboundException e) {
        Optional<Socks5Reply> reply = e.socks5Reply();
        if (reply.isPresent() && (reply.get().equals(Socks5Reply.COMMAND_NOT_SUPPORTED) || reply.get().equals(Socks5Reply.NOT_ALLOWED))) {
            return Optional.of("it answered \"" + reply.get().description() + "\"");
        }
        if (e.kind() == Kind.UNSUPPORTED && reply.isEmpty()) {
            return Optional.of("it closed the connection when asked");
        }
        return Optional.empty();
    }

    /** Returns {@code socks5 outbound corp (10.0.0.5:1080) does not support UDP ASSOCIATE (reason)}. */
    static String unsupportedMessage(Outbound.Socks5 outbound, String reason) {
        return "socks5 outbound " + outbound.name() + " (" + outbound.server() + ") does not support UDP ASSOCIATE"
                + (reason.isEmpty() ? "" : " (" + reason + ")");
    }
}
