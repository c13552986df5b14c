package dev.nstun.policies.outbound;

import dev.nstun.policies.config.Credentials;
import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.Isolation;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.OutboundException.Kind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A SOCKS5 client (RFC 1928, with RFC 1929 username/password) for one proxy: CONNECT for TCP flows,
 * UDP ASSOCIATE for UDP flows. Blocking I/O, meant for virtual threads: the handshake runs once per
 * flow, and afterwards the returned channel carries the flow's bytes with nothing in between. The
 * same handshake runs on a selector's loop from {@link #start}.
 * Stateless between calls, so one client may serve many threads.
 *
 * <p>A destination with a name is sent by name (ATYP 3), so the proxy resolves it; otherwise by
 * IPv4 or IPv6 address. The proxy's connect-timeout bounds the whole of connecting to the proxy and
 * the handshake. Failures come as the exceptions a direct connect would give where SOCKS5 reports
 * the destination's fate ({@code ConnectException} for CONNECTION_REFUSED,
 * {@code NoRouteToHostException} for HOST/NETWORK_UNREACHABLE, {@code SocketTimeoutException} for
 * TTL_EXPIRED and for a proxy that does not answer in time), and as {@link OutboundException} where
 * the proxy is at fault.
 */
public final class Socks5Client implements ProxyClient {
    private final HostPort proxy;
    private final Optional<Credentials> credentials;
    private final Isolation isolation;
    private final StreamIsolation isolator;
    private final Duration timeout;
    private final String peer;

    public Socks5Client(HostPort proxy, Optional<Credentials> credentials, Duration timeout) {
        this(proxy, credentials, Isolation.NONE, StreamIsolation.RUN, timeout);
    }

    /**
     * Returns a client that authenticates each request with what {@code isolator} makes up for its
     * unit under {@code isolation} (with {@link Isolation#NONE}, with {@code credentials}).
     */
    public Socks5Client(HostPort proxy, Optional<Credentials> credentials, Isolation isolation, StreamIsolation isolator,
                        Duration timeout) {
        this.proxy = Objects.requireNonNull(proxy, "proxy");
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.isolation = Objects.requireNonNull(isolation, "isolation");
        this.isolator = Objects.requireNonNull(isolator, "isolator");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.peer = "socks5 proxy " + proxy;
    }

    /** Returns a client for a socks5 outbound of the policy, isolating its streams as the outbound says. */
    public static Socks5Client of(Outbound.Socks5 outbound) {
        return new Socks5Client(outbound.server(), outbound.credentials(), outbound.isolate(), StreamIsolation.RUN,
                outbound.connectTimeout());
    }

    /** Returns the proxy's address. */
    public HostPort proxy() {
        return proxy;
    }

    /**
     * Connects to the proxy and has it CONNECT to {@code destination}. Returns the channel, in
     * blocking mode, positioned at the first byte the destination sends.
     */
    @Override
    public SocketChannel connect(Destination destination) throws IOException {
        Deadline deadline = Deadline.after(timeout);
        SocketChannel channel = Sockets.connectToProxy(proxy, peer, deadline);
        try {
            Handshake handshake = new Handshake(channel, peer, deadline);
            handshake.run(connectSteps(destination));
            handshake.finish();
            return channel;
        } catch (IOException | RuntimeException e) {
            Sockets.closeAfter(channel, e);
            throw e;
        }
    }

    @Override
    public Optional<StartedConnect> start(Destination destination) throws IOException {
        return StartedConnect.throughProxy(proxy, peer, channel -> new NonBlockingHandshake(channel, peer, connectSteps(destination)), timeout);
    }

    /**
     * Opens a UDP association (RFC 1928 §7): a control connection to the proxy that stays open,
     * and a datagram channel connected to the relay the proxy names.
     *
     * @throws OutboundException of kind {@link Kind#UNSUPPORTED} when the proxy lacks UDP ASSOCIATE
     */
    public Socks5UdpAssociation associate() throws IOException {
        return Socks5UdpAssociation.open(this, Deadline.after(timeout));
    }

    /** Opens the control connection of a UDP association; package-private for {@link Socks5UdpAssociation}. */
    SocketChannel connectToProxy(Deadline deadline) throws IOException {
        return Sockets.connectToProxy(proxy, peer, deadline);
    }

    /** Returns the proxy as messages name it: {@code socks5 proxy 10.0.0.5:1080}. */
    String peer() {
        return peer;
    }

    /** Greets, authenticates, sends {@code command} and returns BND.ADDR/BND.PORT of a successful reply. */
    Destination request(Handshake handshake, Socks5CommandType command, Destination destination) throws IOException {
        handshake.run(greetingStep(isolator.credentials(isolation, credentials, destination), () -> HandshakeStep.Done.NOTHING));
        return command(handshake, command, destination);
    }

    /**
     * Sends {@code command} on an authenticated connection and returns BND.ADDR/BND.PORT of a
     * successful reply. A server that closes the connection instead of answering UDP ASSOCIATE
     * (some do rather than reply "command not supported") gives {@link Kind#UNSUPPORTED}.
     */
    Destination command(Handshake handshake, Socks5CommandType command, Destination destination) throws IOException {
        try {
            return handshake.run(commandStep(command, destination)).bound().orElseThrow();
        } catch (OutboundException e) {
            if (command.equals(Socks5CommandType.UDP_ASSOCIATE) && handshake.peerClosed()) {
                throw new OutboundException(Kind.UNSUPPORTED, peer + " closed the connection when asked for UDP ASSOCIATE,"
                        + " so it does not support it", e);
            }
            throw e;
        }
    }

    /** Greets the proxy and authenticates with the method it chose, with the client's own credentials (the probe's way). */
    void authenticate(Handshake handshake) throws IOException {
        handshake.run(greetingStep(credentials, () -> HandshakeStep.Done.NOTHING));
    }

    /** The exchanges of a CONNECT to {@code destination}: the greeting, authentication as the isolation asks, the request. */
    private HandshakeStep connectSteps(Destination destination) {
        return greetingStep(isolator.credentials(isolation, credentials, destination),
                () -> commandStep(Socks5CommandType.CONNECT, destination));
    }

    /** The greeting, offering {@code credentials} if any, and authentication with the method the proxy chose; then {@code after}. */
    private HandshakeStep greetingStep(Optional<Credentials> credentials, Supplier<HandshakeStep> after) {
        return new HandshakeStep.Exchange<>(Socks5Codec.greeting(credentials.isPresent()), Socks5ReplyDecoders.methodSelection(),
                "greeting", method -> authenticated(method, credentials, after));
    }

    private HandshakeStep authenticated(Socks5AuthMethod method, Optional<Credentials> credentials, Supplier<HandshakeStep> after)
            throws OutboundException {
        if (method.equals(Socks5AuthMethod.NO_AUTH)) {
            return after.get();
        }
        if (method.equals(Socks5AuthMethod.PASSWORD) && credentials.isPresent()) {
            return new HandshakeStep.Exchange<>(Socks5Codec.passwordRequest(credentials.get()), Socks5ReplyDecoders.passwordStatus(),
                    "username/password authentication", status -> {
                        if (status != 0) {
                            throw new OutboundException(Kind.AUTHENTICATION, peer + " rejected the username/password for "
                                    + credentials.get().username());
                        }
                        return after.get();
                    });
        }
        if (method.equals(Socks5AuthMethod.UNACCEPTED)) {
            throw new OutboundException(Kind.AUTHENTICATION, credentials.isPresent()
                    ? peer + " accepts neither username/password nor no authentication"
                    : peer + " requires authentication: give the outbound a username and password");
        }
        throw new OutboundException(Kind.PROTOCOL, peer + ": malformed reply to the greeting: method " + method
                + " was not offered (expected: " + (credentials.isPresent() ? "0 or 2" : "0") + ")");
    }

    /** The request for {@code command}, done with BND.ADDR/BND.PORT of a successful reply. */
    private HandshakeStep commandStep(Socks5CommandType command, Destination destination) {
        return new HandshakeStep.Exchange<>(Socks5Codec.request(command, destination), Socks5ReplyDecoders.commandReply(),
                command.label() + " request", reply -> {
                    if (!reply.reply().isSuccess()) {
                        throw failure(reply.reply(), command, destination);
                    }
                    return new HandshakeStep.Done(reply.bound());
                });
    }

    private IOException failure(Socks5Reply reply, Socks5CommandType command, Destination destination) {
        boolean connect = command.equals(Socks5CommandType.CONNECT);
        String via = " (via " + peer + ")";
        if (connect && reply.equals(Socks5Reply.CONNECTION_REFUSED)) {
            return new ConnectException("Connection refused: " + destination + via);
        }
        if (connect && reply.equals(Socks5Reply.HOST_UNREACHABLE)) {
            return new NoRouteToHostException("Host unreachable: " + destination + via);
        }
        if (connect && reply.equals(Socks5Reply.NETWORK_UNREACHABLE)) {
            return new NoRouteToHostException("Network unreachable: " + destination + via);
        }
        if (connect && reply.equals(Socks5Reply.TTL_EXPIRED)) {
            return Sockets.timeout("Connect timed out: " + destination + " (via " + peer + ": TTL expired)", null);
        }
        String target = connect ? " to " + destination : "";
        if (reply.equals(Socks5Reply.COMMAND_NOT_SUPPORTED)) {
            return new OutboundException(Kind.UNSUPPORTED, peer + " does not support " + command.label(), reply);
        }
        if (reply.equals(Socks5Reply.ADDRESS_TYPE_NOT_SUPPORTED)) {
            return new OutboundException(Kind.UNSUPPORTED, peer + " does not support " + addressKind(destination)
                    + " addresses in a " + command.label() + " request" + target, reply);
        }
        if (reply.equals(Socks5Reply.NOT_ALLOWED)) {
            return new OutboundException(Kind.NOT_ALLOWED, peer + " does not allow " + command.label() + target + " ("
                    + reply.description() + ")", reply);
        }
        return new OutboundException(Kind.PROXY_FAILURE, peer + " failed the " + command.label() + " request" + target + ": "
                + reply.description(), reply);
    }

    private static String addressKind(Destination destination) {
        Socks5AddressType type = Socks5Codec.addressType(destination);
        return type.equals(Socks5AddressType.DOMAIN) ? "domain-name" : type.equals(Socks5AddressType.IPV4) ? "IPv4" : "IPv6";
    }
}
