package dev.nstun.cli;

import dev.nstun.policies.outbound.UdpRelay;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.flow.PendingConnect;
import dev.nstun.stack.flow.UdpUpstream;
import dev.nstun.stack.wire.AddressScope;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Connects every flow straight to its destination from the init namespace ("direct"), except the
 * addresses that are nstun's own: with {@code hostLoopback} the resolver address's ports other
 * than 53 (DNS, which the stack answers itself) reach the host's loopback; the rest is refused.
 * No other flow is dialed to the host's loopback or unspecified address ({@link #requireRelayable}).
 */
final class DirectDialer implements Dialer {
    private final InetAddress resolver4;
    private final InetAddress resolver6;
    private final boolean hostLoopback;
    private final DialFailures dialFailures = new DialFailures(LoggerFactory.getLogger(DirectDialer.class));

    DirectDialer(InetAddress resolver4, InetAddress resolver6, boolean hostLoopback) {
        this.resolver4 = resolver4;
        this.resolver6 = resolver6;
        this.hostLoopback = hostLoopback;
    }

    @Override
    public UdpUpstream openUdp(FlowId flow) throws IOException {
        InetSocketAddress target = target(flow);
        DatagramChannel ch = DatagramChannel.open();
        try {
            ch.connect(target);
            return new RelayUpstream(UdpRelay.connected(ch));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public SocketChannel connectTcp(FlowId flow) throws IOException {
        InetSocketAddress target = target(flow);
        try {
            SocketChannel ch = SocketChannel.open(family(target));
            try {
                ch.connect(target);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            return ch;
        } catch (IOException e) {
            throw dialFailures.failed("direct", flow, e);
        }
    }

    /**
     * Starts the connect without blocking: the destination is an address, known at once (a flow
     * that carries a name is resolved by {@link #connectTcp}, on a thread).
     */
    @Override
    public Optional<PendingConnect> startTcp(FlowId flow) throws IOException {
        if (flow.destinationName().isPresent()) return Optional.empty();
        InetSocketAddress target = target(flow);
        SocketChannel ch = SocketChannel.open(family(target));
        try {
            ch.configureBlocking(false);
            ch.connect(target);
        } catch (IOException e) {
            ch.close();
            throw dialFailures.failed("direct", flow, e);
        }
        return Optional.of(new PendingConnect(ch, e -> dialFailures.failed("direct", flow, e)));
    }

    /**
     * Returns the family of the socket for {@code target}: an IPv4 destination gets an IPv4 socket, not
     * the JDK's default dual-stack one (which costs an IPV6_V6ONLY setsockopt and the IPv6 connect path
     * around the IPv4 one for every flow).
     */
    static ProtocolFamily family(InetSocketAddress target) {
        return target.getAddress() instanceof Inet4Address ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
    }

    /** Returns where a flow really goes, or throws when nothing should answer it. */
    InetSocketAddress target(FlowId flow) throws FlowRefusedException {
        InetAddress dst = flow.destination();
        if (dst.equals(resolver4) || dst.equals(resolver6)) {
            if (flow.destinationPort() == 53) throw new FlowRefusedException("DNS at " + dst.getHostAddress() + " is answered by the stack, not dialed");
            if (!hostLoopback) {
                throw new FlowRefusedException(dst.getHostAddress() + " answers only DNS on port 53 (--host-loopback reaches the host's loopback)");
            }
            InetAddress loopback = InetAddress.getLoopbackAddress();
            if (dst instanceof Inet4Address) return new InetSocketAddress(loopback, flow.destinationPort());
            return new InetSocketAddress("::1", flow.destinationPort());
        }
        if (NstunAddresses.contains(dst)) throw new FlowRefusedException(dst.getHostAddress() + " is in nstun's own address range");
        requireRelayable(dst);
        return flow.destinationSocket();
    }

    /** Returns whether a flow of the command may be dialed to {@code address} (see {@link #requireRelayable}). */
    static boolean relayable(InetAddress address) {
        return AddressScope.of(address).relayable();
    }

    /**
     * Throws unless a flow of the command may be dialed to {@code dst}: never to the host's own
     * loopback or unspecified address, nor multicast or broadcast ({@link AddressScope}), whatever
     * reached the dialer; the stack refuses such packets first, this stands behind it.
     */
    void requireRelayable(InetAddress dst) throws FlowRefusedException {
        AddressScope scope = AddressScope.of(dst);
        if (scope.relayable()) return;
        String hint = scope == AddressScope.LOOPBACK || scope == AddressScope.UNSPECIFIED
                ? "; --host-loopback reaches the host's loopback at " + resolver4.getHostAddress() + " / " + resolver6.getHostAddress() : "";
        throw new FlowRefusedException(dst.getHostAddress() + " (" + scope.description() + ") is never dialed for the command" + hint);
    }
}
