package dev.nstun.policies.outbound;

import dev.nstun.policies.config.HostPort;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ProtocolFamily;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Optional;

/** Opening sockets: TCP connections within a deadline, to a proxy or to a destination for {@code direct}; UDP for {@code direct}. */
final class Sockets {
    private Sockets() {
    }

    /**
     * Connects to the proxy at {@code proxy} (resolving its name, if it has one, here, and leaving its
     * addresses to {@link ProxyAddresses#known} for connects that must not block). Failures name
     * the proxy: {@link OutboundException} when it cannot be resolved or reached,
     * {@link SocketTimeoutException} when it does not accept the connection in time.
     */
    static SocketChannel connectToProxy(HostPort proxy, String peer, Deadline deadline) throws IOException {
        List<InetAddress> addresses;
        try {
            addresses = proxy.address().isPresent() ? List.of(proxy.address().get()) : ProxyAddresses.resolve(proxy.host());
        } catch (UnknownHostException e) {
            throw new OutboundException(OutboundException.Kind.PROXY_UNREACHABLE, peer + ": cannot resolve " + proxy.host(), e);
        }
        try {
            return connect(addresses, proxy.port(), Optional.empty(), deadline, Prepare.NONE);
        } catch (SocketTimeoutException e) {
            throw notAccepted(peer, deadline.describe(), e);
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            throw unreachable(peer, e);
        }
    }

    /** The proxy could not be connected to, as {@code e} says (refused, unreachable). */
    static OutboundException unreachable(String peer, IOException e) {
        return new OutboundException(OutboundException.Kind.PROXY_UNREACHABLE, peer + " cannot be reached: " + e.getMessage(), e);
    }

    /** The proxy did not accept the connection in the time the connect had ({@code within}). */
    static SocketTimeoutException notAccepted(String peer, String within, Throwable cause) {
        return timeout(peer + " did not accept the connection within " + within, cause);
    }

    /**
     * Connects to the first of {@code addresses} that accepts, trying them in order, optionally from
     * {@code source}. The JDK's own exceptions come through ({@code ConnectException} for a refusal,
     * {@code NoRouteToHostException}, {@code SocketTimeoutException}); after a timeout the deadline is
     * spent, so no further address is tried.
     */
    static SocketChannel connect(List<InetAddress> addresses, int port, Optional<InetAddress> source, Deadline deadline,
                                 Prepare prepare) throws IOException {
        IOException last = null;
        for (InetAddress address : addresses) {
            if (source.isPresent() && family(source.get()) != family(address)) {
                continue;
            }
            SocketChannel channel = SocketChannel.open(family(address));
            prepare(channel, prepare);
            try {
                if (source.isPresent()) {
                    channel.bind(new InetSocketAddress(source.get(), 0));
                }
                channel.socket().connect(new InetSocketAddress(address, port), deadline.millisLeft());
                return channel;
            } catch (SocketTimeoutException | ClosedChannelException e) {
                channel.close();
                throw e;
            } catch (IOException e) {
                channel.close();
                last = worded(e);
            }
        }
        if (last == null) {
            throw familyMismatch(source.orElseThrow());
        }
        throw last;
    }

    /**
     * Opens a non-blocking channel to {@code address}, prepared, bound to {@code source} when given,
     * and begins its connect (which may already have completed, to a local address). The JDK's own
     * exceptions come through, as from {@link #connect}; the channel is closed after one.
     */
    static SocketChannel start(InetAddress address, int port, Optional<InetAddress> source, Prepare prepare) throws IOException {
        if (source.isPresent() && family(source.get()) != family(address)) {
            throw familyMismatch(source.get());
        }
        SocketChannel channel = SocketChannel.open(family(address));
        prepare(channel, prepare);
        try {
            channel.configureBlocking(false);
            if (source.isPresent()) {
                channel.bind(new InetSocketAddress(source.get(), 0));
            }
            channel.connect(new InetSocketAddress(address, port));
            return channel;
        } catch (IOException e) {
            closeAfter(channel, e);
            throw worded(e);
        } catch (RuntimeException e) {
            closeAfter(channel, e);
            throw e;
        }
    }

    /**
     * Opens a datagram channel to the first of {@code addresses} whose family matches
     * {@code source} (any, without one), prepared, bound to {@code source} when given, and connected.
     */
    static DatagramChannel openUdp(List<InetAddress> addresses, int port, Optional<InetAddress> source, Prepare prepare)
            throws IOException {
        InetAddress address = addresses.stream().filter(a -> source.isEmpty() || family(a) == family(source.get())).findFirst()
                .orElseThrow(() -> familyMismatch(source.orElseThrow()));
        DatagramChannel channel = DatagramChannel.open(family(address));
        prepare(channel, prepare);
        try {
            if (source.isPresent()) {
                channel.bind(new InetSocketAddress(source.get(), 0));
            }
            return channel.connect(new InetSocketAddress(address, port));
        } catch (IOException | RuntimeException e) {
            closeAfter(channel, e);
            throw e;
        }
    }

    /** Something done to a socket after it is opened and before it is bound or connected. */
    @FunctionalInterface
    interface Prepare {
        /** Does nothing. */
        Prepare NONE = channel -> { };

        void prepare(NetworkChannel channel) throws IOException;
    }

    private static void prepare(NetworkChannel channel, Prepare prepare) throws IOException {
        try {
            prepare.prepare(channel);
        } catch (IOException | RuntimeException e) {
            closeAfter(channel, e);
            throw e;
        }
    }

    /** What JDK 21 adds to the kernel's reason for a failed connect (JDK 22 and later say the reason alone). */
    private static final String JDK21_SUFFIX = " (connect failed)";

    /**
     * Returns {@code e} with the kernel's reason alone, as JDK 22 and later word it: JDK 21 says
     * "Connection refused (connect failed)" where they say "Connection refused", and a user should see
     * one wording (and the probe one line) whatever JDK runs nstun.
     */
    static IOException worded(IOException e) {
        String message = e.getMessage();
        if (message == null || !message.contains(JDK21_SUFFIX)) {
            return e;
        }
        String reason = message.replace(JDK21_SUFFIX, "");
        IOException worded = switch (e) {
            case ConnectException c -> new ConnectException(reason);
            case NoRouteToHostException n -> new NoRouteToHostException(reason);
            default -> e;
        };
        if (worded != e) {
            worded.initCause(e);
        }
        return worded;
    }

    private static NoRouteToHostException familyMismatch(InetAddress source) {
        boolean v4 = source instanceof Inet4Address;
        return new NoRouteToHostException("Network unreachable: source-address " + source.getHostAddress() + " is "
                + (v4 ? "IPv4" : "IPv6") + " but the destination has only " + (v4 ? "IPv6" : "IPv4") + " addresses");
    }

    /** Returns a {@link SocketTimeoutException} with {@code message} and {@code cause}. */
    static SocketTimeoutException timeout(String message, Throwable cause) {
        SocketTimeoutException e = new SocketTimeoutException(message);
        e.initCause(cause);
        return e;
    }

    /** Closes {@code channel} after {@code failure}, keeping an error of the close as suppressed. */
    static void closeAfter(Channel channel, Exception failure) {
        try {
            channel.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /** Returns the protocol family of {@code address}. */
    static ProtocolFamily family(InetAddress address) {
        return address instanceof Inet4Address ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
    }
}
