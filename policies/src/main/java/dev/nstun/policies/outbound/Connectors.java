package dev.nstun.policies.outbound;

import dev.nstun.policies.config.Outbound;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the TCP connection of a flow through the outbound a rule chose: the one place that turns
 * an {@link Outbound} of the policy into a connected {@link SocketChannel}. Blocking; call it on a
 * virtual thread. Thread-safe.
 *
 * <p>What each outbound gives, and the exceptions a caller maps for the wrapped command:
 * <ul>
 *   <li>{@code socks5}, {@code http}: see {@link Socks5Client} and {@link HttpConnectClient}. A
 *       destination with a name goes to the proxy by name.</li>
 *   <li>{@code direct}: a plain connect from this process, to the destination's address, or to
 *       the addresses its name resolves to here (tried in order). {@code source-address} is bound.
 *       {@code interface} and {@code fwmark} are <em>not applied</em>: {@code SO_BINDTODEVICE} and
 *       {@code SO_MARK} are not in the JDK, and a channel's descriptor cannot be reached without
 *       {@code --add-opens}; a warning says so once per outbound, and such connections follow
 *       the host's routing table. A name that does not resolve gives
 *       {@link NoRouteToHostException}.</li>
 *   <li>{@code reject}: {@link ConnectException} at once.</li>
 *   <li>{@code drop}: blocks for the drop timeout, then {@link SocketTimeoutException}.</li>
 * </ul>
 * Where a proxy is at fault the exception is an {@link OutboundException}, itself a
 * {@link ConnectException}.
 */
public final class Connectors {
    private static final Logger log = LoggerFactory.getLogger(Connectors.class);

    private final Duration dropTimeout;
    private final Set<Outbound.Direct> warned = ConcurrentHashMap.newKeySet();

    /** Returns connectors whose {@code drop} waits {@link Outbound#DEFAULT_CONNECT_TIMEOUT}. */
    public Connectors() {
        this(Outbound.DEFAULT_CONNECT_TIMEOUT);
    }

    /** Returns connectors whose {@code drop} waits {@code dropTimeout} (drop has no connect-timeout of its own). */
    public Connectors(Duration dropTimeout) {
        this.dropTimeout = Objects.requireNonNull(dropTimeout, "dropTimeout");
    }

    /**
     * Returns a channel, in blocking mode, connected to {@code destination} through {@code outbound}.
     */
    public SocketChannel connect(Outbound outbound, Destination destination) throws IOException {
        return switch (outbound) {
            case Outbound.Socks5 socks5 -> Socks5Client.of(socks5).connect(destination);
            case Outbound.Http http -> HttpConnectClient.of(http).connect(destination);
            case Outbound.Direct direct -> direct(direct, destination);
            case Outbound.Reject reject -> throw new ConnectException("Connection refused: outbound " + reject.name() + " rejects " + destination);
            case Outbound.Drop drop -> throw drop(drop, destination);
        };
    }

    private SocketChannel direct(Outbound.Direct direct, Destination destination) throws IOException {
        if ((direct.bindInterface().isPresent() || direct.fwmark().isPresent()) && warned.add(direct)) {
            log.warn("outbound {}: {} not applied: the JDK cannot set SO_BINDTODEVICE or SO_MARK, so its connections follow"
                    + " the host's routing table", direct.name(), unapplied(direct));
        }
        Deadline deadline = Deadline.after(direct.connectTimeout());
        List<InetAddress> addresses = addresses(destination);
        try {
            return Sockets.connect(addresses, destination.port(), direct.sourceAddress(), deadline);
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

    private static List<InetAddress> addresses(Destination destination) throws NoRouteToHostException {
        if (destination.address().isPresent()) {
            return List.of(destination.address().get());
        }
        String name = destination.name().orElseThrow();
        try {
            return List.of(InetAddress.getAllByName(name));
        } catch (UnknownHostException e) {
            NoRouteToHostException unreachable = new NoRouteToHostException("Host unreachable: " + name + " does not resolve (direct)");
            unreachable.initCause(e);
            throw unreachable;
        }
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

    private static String unapplied(Outbound.Direct direct) {
        List<String> parts = new ArrayList<>();
        direct.bindInterface().ifPresent(i -> parts.add("interface " + i));
        if (direct.fwmark().isPresent()) {
            parts.add("fwmark 0x" + Long.toHexString(direct.fwmark().getAsLong()));
        }
        return String.join(" and ", parts) + (parts.size() > 1 ? " are" : " is");
    }
}
