package dev.nstun.policies.outbound;

import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.OutboundException.Kind;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Opens the connections of flows through the outbound a rule chose: the one place that turns an
 * {@link Outbound} of the policy into a connected {@link SocketChannel}, a connected
 * {@link DatagramChannel} ({@code direct}) or a {@link Socks5UdpAssociation} ({@code socks5}).
 * Blocking; call it on a virtual thread. Thread-safe.
 *
 * <p>What each outbound gives, and the exceptions a caller maps for the wrapped command:
 * <ul>
 *   <li>{@code socks5}, {@code http}: see {@link Socks5Client} and {@link HttpConnectClient}. A
 *       destination with a name goes to the proxy by name. UDP through socks5: {@link #associate},
 *       which remembers a proxy that refused UDP ASSOCIATE ({@link UdpSupport}).</li>
 *   <li>{@code direct}: a plain connect from this process, to the destination's address, or to
 *       the addresses its name resolves to here (tried in order). {@code source-address} is bound;
 *       {@code interface} and {@code fwmark} are applied by the {@link SocketTuner} given to the
 *       constructor, and without one such an outbound's flows are refused (an
 *       {@link OutboundException} of kind {@link Kind#UNSUPPORTED}), never sent by the host's
 *       routing table instead. A name that does not resolve gives {@link NoRouteToHostException}.</li>
 *   <li>{@code reject}: {@link ConnectException} at once.</li>
 *   <li>{@code drop}: blocks for the drop timeout, then {@link SocketTimeoutException}.</li>
 * </ul>
 * Where a proxy is at fault the exception is an {@link OutboundException}, itself a
 * {@link ConnectException}.
 */
public final class Connectors {
    private final Duration dropTimeout;
    private final SocketTuner tuner;
    private final UdpSupport udpSupport = new UdpSupport();

    /** Returns connectors whose {@code drop} waits {@link Outbound#DEFAULT_CONNECT_TIMEOUT}, without a socket tuner. */
    public Connectors() {
        this(Outbound.DEFAULT_CONNECT_TIMEOUT);
    }

    /** Returns connectors whose {@code drop} waits {@code dropTimeout} (drop has no connect-timeout of its own), without a socket tuner. */
    public Connectors(Duration dropTimeout) {
        this(dropTimeout, SocketTuner.NONE);
    }

    /**
     * Returns connectors whose {@code drop} waits {@code dropTimeout} and whose direct outbounds
     * apply {@code interface} and {@code fwmark} with {@code tuner}.
     */
    public Connectors(Duration dropTimeout, SocketTuner tuner) {
        this.dropTimeout = Objects.requireNonNull(dropTimeout, "dropTimeout");
        this.tuner = Objects.requireNonNull(tuner, "tuner");
    }

    /** Returns what these connectors have learnt about the UDP ASSOCIATE of each socks5 outbound. */
    public UdpSupport udpSupport() {
        return udpSupport;
    }

    /**
     * Returns a channel, in blocking mode, connected to {@code destination} through {@code outbound}.
     */
    public SocketChannel connect(Outbound outbound, Destination destination) throws IOException {
        return connect(outbound, destination, address -> true);
    }

    /**
     * Returns a channel as {@link #connect(Outbound, Destination)} does, where a {@code direct}
     * outbound dials only the addresses of the destination's name that {@code dialable} accepts
     * (a flow of the wrapped command must not reach this host's loopback because a name resolves
     * there). A name left with none is refused: {@link OutboundException} of kind
     * {@link Kind#NOT_ALLOWED}.
     */
    public SocketChannel connect(Outbound outbound, Destination destination, Predicate<InetAddress> dialable) throws IOException {
        return switch (outbound) {
            case Outbound.Socks5 socks5 -> Socks5Client.of(socks5).connect(destination);
            case Outbound.Http http -> HttpConnectClient.of(http).connect(destination);
            case Outbound.Direct direct -> direct(direct, destination, dialable);
            case Outbound.Reject reject -> throw new ConnectException("Connection refused: outbound " + reject.name() + " rejects " + destination);
            case Outbound.Drop drop -> throw drop(drop, destination);
        };
    }

    /**
     * Returns a datagram channel, in blocking mode, connected to {@code destination} (its address,
     * or the first address its name resolves to here of the family of {@code source-address}),
     * with the outbound's source address bound and its interface and fwmark applied.
     */
    public DatagramChannel openUdp(Outbound.Direct direct, Destination destination) throws IOException {
        return openUdp(direct, destination, address -> true);
    }

    /** Returns a datagram channel as {@link #openUdp(Outbound.Direct, Destination)} does, to an address {@code dialable} accepts. */
    public DatagramChannel openUdp(Outbound.Direct direct, Destination destination, Predicate<InetAddress> dialable) throws IOException {
        return Sockets.openUdp(addresses(destination, dialable), destination.port(), direct.sourceAddress(), prepare(direct));
    }

    /**
     * Opens a UDP association through {@code socks5}, the control connection and handshake bounded
     * by {@code timeout}. The channels are in blocking mode.
     *
     * @throws OutboundException of kind {@link Kind#UNSUPPORTED} when the outbound has no
     *     {@code udp: true}, or the proxy refuses UDP ASSOCIATE (answering "command not supported"
     *     or "not allowed", or closing the connection): then, and from then on without contacting
     *     the proxy again, the outbound counts as {@linkplain UdpSupport.State#UNSUPPORTED unsupported}
     */
    public Socks5UdpAssociation associate(Outbound.Socks5 socks5, Duration timeout) throws IOException {
        if (!socks5.udp()) {
            throw new OutboundException(Kind.UNSUPPORTED, "socks5 outbound " + socks5.name() + " carries TCP only: set udp: true"
                    + " for UDP flows (if the proxy supports UDP ASSOCIATE)");
        }
        udpSupport.requireUsable(socks5);
        try {
            Socks5UdpAssociation association = new Socks5Client(socks5.server(), socks5.credentials(), timeout).associate();
            udpSupport.supported(socks5);
            return association;
        } catch (OutboundException e) {
            Optional<String> reason = UdpSupport.refusal(e);
            if (reason.isEmpty()) {
                throw e;
            }
            udpSupport.unsupported(socks5, reason.get());
            throw new OutboundException(Kind.UNSUPPORTED, UdpSupport.unsupportedMessage(socks5, reason.get()), e);
        }
    }

    private SocketChannel direct(Outbound.Direct direct, Destination destination, Predicate<InetAddress> dialable) throws IOException {
        Deadline deadline = Deadline.after(direct.connectTimeout());
        List<InetAddress> addresses = addresses(destination, dialable);
        try {
            return Sockets.connect(addresses, destination.port(), direct.sourceAddress(), deadline, prepare(direct));
        } catch (OutboundException e) {
            throw e;
        } catch (SocketTimeoutException e) {
            throw Sockets.timeout("Connect timed out: " + destination + " (direct, " + deadline.describe() + ")", e);
        } catch (NoRouteToHostException e) {
            NoRouteToHostException named = new NoRouteToHostException(e.getMessage() + ": " + destination);
            named.initCause(e);
            throw named;
        } catch (ConnectException e) {
            ConnectException named = new ConnectException(e.getMessage() + ": " + destination);
            named.initCause(e);
            throw named;
        }
    }

    private Sockets.Prepare prepare(Outbound.Direct direct) {
        return SocketTuner.needsTuning(direct) ? channel -> tuner.tune(channel, direct) : Sockets.Prepare.NONE;
    }

    private static List<InetAddress> addresses(Destination destination, Predicate<InetAddress> dialable) throws IOException {
        if (destination.address().isPresent()) {
            return List.of(destination.address().get());
        }
        String name = destination.name().orElseThrow();
        List<InetAddress> resolved;
        try {
            resolved = List.of(InetAddress.getAllByName(name));
        } catch (UnknownHostException e) {
            NoRouteToHostException unreachable = new NoRouteToHostException("Host unreachable: " + name + " does not resolve (direct)");
            unreachable.initCause(e);
            throw unreachable;
        }
        List<InetAddress> usable = resolved.stream().filter(dialable).toList();
        if (usable.isEmpty()) {
            throw new OutboundException(Kind.NOT_ALLOWED, "direct: " + UntrustedText.printable(name) + " resolves on this host only to "
                    + resolved.stream().map(InetAddress::getHostAddress).toList() + ", which a flow of the command is never dialed to");
        }
        return usable;
    }

    private SocketTimeoutException drop(Outbound.Drop drop, Destination destination) throws InterruptedIOException {
        try {
            Thread.sleep(dropTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while outbound " + drop.name() + " dropped " + destination);
        }
        return new SocketTimeoutException("Connect timed out: outbound " + drop.name() + " drops " + destination);
    }
}
