package dev.nstun.policies.outbound;

import dev.nstun.policies.config.Network;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;

/**
 * Opens the connections of flows through the outbound a rule chose: the one place that turns an
 * {@link Outbound} of the policy into a connected {@link SocketChannel} ({@link #connect}) or the
 * {@link UdpRelay} of a UDP flow ({@link #openUdp}); whether an outbound can carry UDP at all is
 * {@link Outbound#carries}'s answer alone.
 * Blocking, but for {@link #start}; call it on a virtual thread. Thread-safe.
 *
 * <p>What each outbound gives, and the exceptions a caller maps for the wrapped command:
 * <ul>
 *   <li>{@code socks5}, {@code http}: see {@link Socks5Client} and {@link HttpConnectClient}. A
 *       destination with a name goes to the proxy by name. UDP through socks5: {@link #associate}
 *       (one association per flow), which remembers a proxy that refused UDP ASSOCIATE ({@link UdpSupport}).</li>
 *   <li>{@code direct}: a plain connect from this process, to the destination's address, or to
 *       the addresses its name resolves to here (tried in order). {@code source-address} is bound;
 *       {@code interface} and {@code fwmark} are applied by the {@link SocketTuner} given to the
 *       constructor, and without one such an outbound's flows are refused (an
 *       {@link OutboundException} of kind {@link Kind#UNSUPPORTED}), never sent by the host's
 *       routing table instead. A name that does not resolve gives {@link NoRouteToHostException}.</li>
 *   <li>groups ({@code fallback}, {@code random}, {@code round-robin}): TCP through the first
 *       member that connects, tried in the group's order and skipping members that failed lately
 *       ({@link MemberHealth}); the group's connect-timeout bounds the whole. UDP through the first
 *       member that carries it ({@link Outbound.Group#udpMember()}).</li>
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
    private final MemberHealth memberHealth;

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
        this(dropTimeout, tuner, new MemberHealth(new Random()));
    }

    /** Returns connectors as {@link #Connectors(Duration, SocketTuner)} does, whose groups keep what they learn in {@code memberHealth}. */
    public Connectors(Duration dropTimeout, SocketTuner tuner, MemberHealth memberHealth) {
        this.dropTimeout = Objects.requireNonNull(dropTimeout, "dropTimeout");
        this.tuner = Objects.requireNonNull(tuner, "tuner");
        this.memberHealth = Objects.requireNonNull(memberHealth, "memberHealth");
    }

    /** Returns what these connectors have learnt about the members of groups. */
    public MemberHealth memberHealth() {
        return memberHealth;
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
            case Outbound.Direct direct -> direct(direct, destination, dialable, Deadline.after(direct.connectTimeout()));
            case Outbound.Group group -> group(group, destination, dialable, Deadline.after(group.connectTimeout()));
            case Outbound.Reject reject -> throw new ConnectException("Connection refused: outbound " + reject.name() + " rejects " + destination);
            case Outbound.Drop drop -> throw drop(drop, destination);
        };
    }

    /**
     * Connects through the members of {@code group} in the order {@link MemberHealth#order} gives,
     * until one connects, all within {@code deadline}; each member within its own connect-timeout
     * or the time left, whichever is shorter. A member that fails for a reason of its own (its proxy
     * is unreachable, refuses, breaks its protocol, does not answer in time) is backed off and the
     * next one tried; what the destination answered through a member (refused, unreachable) is the
     * flow's answer and ends the attempt, as it would without a group.
     */
    private SocketChannel group(Outbound.Group group, Destination destination, Predicate<InetAddress> dialable, Deadline deadline)
            throws IOException {
        List<String> failures = new ArrayList<>();
        IOException last = null;
        for (Outbound member : memberHealth.order(group)) {
            if (last != null && deadline.passed()) {
                break;
            }
            try {
                SocketChannel channel = member(member, destination, dialable, deadline);
                memberHealth.succeeded(member);
                return channel;
            } catch (IOException e) {
                if (!isMemberFailure(e)) {
                    throw e;
                }
                memberHealth.failed(group, member, e.getMessage());
                failures.add(member.name() + ": " + e.getMessage());
                last = e;
            }
        }
        String message = group.type() + " outbound " + group.name() + ": no member connected to " + destination + " within "
                + deadline.describe() + " (" + String.join("; ", failures) + ")";
        if (deadline.passed() || last instanceof SocketTimeoutException) {
            throw Sockets.timeout("Connect timed out: " + message, last);
        }
        throw new OutboundException(last instanceof OutboundException o ? o.kind() : Kind.PROXY_UNREACHABLE, message, last);
    }

    /** Connects through one member of a group, within its connect-timeout and what is left of the group's. */
    private SocketChannel member(Outbound member, Destination destination, Predicate<InetAddress> dialable, Deadline group)
            throws IOException {
        return switch (member) {
            case Outbound.Socks5 s -> new Socks5Client(s.server(), s.credentials(), group.cap(s.connectTimeout())).connect(destination);
            case Outbound.Http h -> new HttpConnectClient(h.server(), h.credentials(), group.cap(h.connectTimeout())).connect(destination);
            case Outbound.Direct d -> direct(d, destination, dialable, Deadline.after(group.cap(d.connectTimeout())));
            case Outbound.Group g -> group(g, destination, dialable, Deadline.after(group.cap(g.connectTimeout())));
            case Outbound.Reject r -> connect(r, destination, dialable);
            case Outbound.Drop d -> connect(d, destination, dialable);
        };
    }

    /**
     * Returns whether {@code e} says a member of a group is at fault, so that the next member may
     * do better: its proxy failed (anything but forbidding this destination by its rules), or it
     * did not connect in time. Refusals and unreachable destinations reported through a member,
     * and interruptions, are the flow's own outcome.
     */
    static boolean isMemberFailure(IOException e) {
        if (e instanceof OutboundException o) {
            return o.kind() != Kind.NOT_ALLOWED;
        }
        return e instanceof SocketTimeoutException;
    }

    /**
     * Returns the relay of a UDP flow to {@code destination} through {@code outbound}, its channel
     * in blocking mode until the caller changes it: for {@code direct} a socket connected to the
     * destination (see {@link #datagram}, to an address {@code dialable} accepts); for
     * {@code socks5} a UDP association of its own ({@link #associate}, bounded by the outbound's
     * connect-timeout; its channels made non-blocking); for {@code drop} a relay that swallows
     * every datagram.
     *
     * @throws OutboundException of kind {@link Kind#UNSUPPORTED} when the outbound cannot carry
     *     UDP ({@link Outbound#carries}: http, socks5 without {@code udp: true}) or its proxy turned
     *     out to lack UDP ASSOCIATE, so that the command falls back (QUIC to TCP) at once; of kind
     *     {@link Kind#NOT_ALLOWED} for {@code reject}
     */
    public UdpRelay openUdp(Outbound outbound, Destination destination, Predicate<InetAddress> dialable) throws IOException {
        return switch (outbound) {
            case Outbound.Reject reject -> throw new OutboundException(Kind.NOT_ALLOWED, "outbound " + reject.name() + " rejects " + destination);
            case Outbound.Drop drop -> UdpRelay.discarding();
            case Outbound.Http http -> throw new OutboundException(Kind.UNSUPPORTED, cannotCarryUdp(http));
            case Outbound other when !other.carries(Network.UDP) -> throw new OutboundException(Kind.UNSUPPORTED, cannotCarryUdp(other));
            case Outbound.Group group -> openUdp(group.udpMember().orElseThrow(), destination, dialable);
            case Outbound.Direct direct -> UdpRelay.connected(datagram(direct, destination, dialable));
            case Outbound.Socks5 socks5 -> {
                Socks5UdpAssociation association = associate(socks5, socks5.connectTimeout());
                try {
                    yield Socks5UdpFlow.open(association, destination);
                } catch (IOException | RuntimeException e) {
                    try {
                        association.close();
                    } catch (IOException closing) {
                        e.addSuppressed(closing);
                    }
                    throw e;
                }
            }
        };
    }

    /**
     * Returns a datagram channel, in blocking mode, connected to {@code destination} (its address,
     * or the first address its name resolves to here of the family of {@code source-address}),
     * with the outbound's source address bound and its interface and fwmark applied.
     */
    public DatagramChannel datagram(Outbound.Direct direct, Destination destination) throws IOException {
        return datagram(direct, destination, address -> true);
    }

    /** Returns a datagram channel as {@link #datagram(Outbound.Direct, Destination)} does, to an address {@code dialable} accepts. */
    public DatagramChannel datagram(Outbound.Direct direct, Destination destination, Predicate<InetAddress> dialable) throws IOException {
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
        if (!socks5.carries(Network.UDP)) {
            throw new OutboundException(Kind.UNSUPPORTED, cannotCarryUdp(socks5));
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

    /** Returns why UDP cannot go through {@code outbound}, which does not {@linkplain Outbound#carries carry} it. */
    private static String cannotCarryUdp(Outbound outbound) {
        return switch (outbound) {
            case Outbound.Http http -> "UDP cannot go through the http outbound " + http.name()
                    + " (HTTP CONNECT carries TCP only); refused so that the command falls back (QUIC to TCP) at once";
            case Outbound.Socks5 socks5 -> "socks5 outbound " + socks5.name() + " carries TCP only: set udp: true"
                    + " for UDP flows (if the proxy supports UDP ASSOCIATE)";
            case Outbound.Group group -> "none of the members of " + group.type() + " outbound " + group.name() + " ("
                    + String.join(", ", group.members().stream().map(Outbound::name).toList()) + ") carries UDP; refused so that"
                    + " the command falls back (QUIC to TCP) at once";
            default -> "outbound " + outbound.name() + " (" + outbound.type() + ") cannot carry UDP";
        };
    }

    private SocketChannel direct(Outbound.Direct direct, Destination destination, Predicate<InetAddress> dialable, Deadline deadline)
            throws IOException {
        List<InetAddress> addresses = addresses(destination, dialable);
        try {
            return Sockets.connect(addresses, destination.port(), direct.sourceAddress(), deadline, prepare(direct));
        } catch (IOException e) {
            throw directFailure(destination, deadline.describe(), e);
        }
    }

    /**
     * Starts a connect to {@code destination} without blocking, for a caller that waits for the
     * channel on a selector, where nothing on the way may block:
     * <ul>
     *   <li>{@code direct} to an address: the socket is opened, tuned ({@code interface},
     *       {@code fwmark}), bound ({@code source-address}) and its connect begun;</li>
     *   <li>{@code socks5} and {@code http} whose server is an address, or a name resolved lately
     *       ({@link ProxyAddresses#known}): the connect to the proxy is begun, and its handshake is the
     *       caller's to drive ({@link StartedConnect#advance}), at the proxy's next address when the
     *       connect fails ({@link StartedConnect#fallback}); a destination with a name goes to the
     *       proxy by name, as from {@link #connect}.</li>
     * </ul>
     * Empty for any other outbound, a direct destination with a name and a proxy whose name is not
     * resolved lately (resolving either may block): {@link #connect} serves those. Throws at once what
     * {@link #connect} would have thrown for a connect that fails before it begins (a family mismatch
     * with {@code source-address}, an interface the tuner cannot apply, an unreachable network).
     */
    public Optional<StartedConnect> start(Outbound outbound, Destination destination) throws IOException {
        // instanceof, not a pattern switch: a cold JVM builds a class for the switch at its first use
        // (the class-data archive holds none), on the first flow of every run.
        if (outbound instanceof Outbound.Direct direct && destination.address().isPresent()) {
            return Optional.of(startDirect(direct, destination));
        }
        if (outbound instanceof Outbound.Socks5 socks5) {
            return Socks5Client.of(socks5).start(destination);
        }
        if (outbound instanceof Outbound.Http http) {
            return HttpConnectClient.of(http).start(destination);
        }
        return Optional.empty();
    }

    private StartedConnect startDirect(Outbound.Direct direct, Destination destination) throws IOException {
        try {
            SocketChannel channel = Sockets.start(destination.address().get(), destination.port(), direct.sourceAddress(), prepare(direct));
            return StartedConnect.direct(channel, destination, direct.connectTimeout());
        } catch (IOException e) {
            throw directFailure(destination, Deadline.describe(direct.connectTimeout()), e);
        }
    }

    /**
     * Returns what a {@code direct} connect to {@code destination} throws for {@code e}: the JDK's
     * exception named after the destination, a timeout saying the connect-timeout ({@code within}).
     */
    static IOException directFailure(Destination destination, String within, IOException e) {
        return switch (e) {
            case OutboundException o -> o;
            case SocketTimeoutException t -> Sockets.timeout("Connect timed out: " + destination + " (direct, " + within + ")", t);
            case NoRouteToHostException n -> {
                NoRouteToHostException named = new NoRouteToHostException(n.getMessage() + ": " + destination);
                named.initCause(n);
                yield named;
            }
            case ConnectException c -> {
                ConnectException named = new ConnectException(c.getMessage() + ": " + destination);
                named.initCause(c);
                yield named;
            }
            default -> e;
        };
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
