package dev.nstun.policies.outbound;

import dev.nstun.policies.outbound.OutboundException.Kind;
import dev.nstun.policies.outbound.ReplyDecoder.MalformedException;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/**
 * A SOCKS5 UDP association (RFC 1928 §7): a TCP control connection to the proxy, which must stay
 * open for as long as the association lives, and a {@link DatagramChannel} connected to the relay
 * the proxy named. Each datagram to the relay carries a small header naming its destination (by
 * name or address); each datagram from the relay carries one naming its source. {@link #send} and
 * {@link #receive} add and remove that header, so callers deal in payloads and destinations only.
 * One association can serve one flow or many destinations at once.
 *
 * <p>Opening an association blocks (run it on a virtual thread); afterwards everything can be
 * driven from one selector loop:
 * <pre>{@code
 * Socks5UdpAssociation udp = client.associate();            // on a virtual thread
 * udp.channel().configureBlocking(false);
 * udp.channel().register(selector, SelectionKey.OP_READ, flow);
 * udp.control().configureBlocking(false);
 * udp.control().register(selector, SelectionKey.OP_READ, flow);
 *
 * // a datagram from the command:
 * udp.send(payload, destination);          // false: no room in the socket buffer, datagram dropped
 * // channel() readable:
 * for (Destination from; (from = udp.receive(buffer)) != null; ) {
 *     // buffer holds the payload between its old and its new position
 * }
 * // control() readable: the proxy ended the association (it never sends anything on it), so
 * // close it; close it too when the flow has been idle long enough.
 * udp.close();
 * }</pre>
 *
 * <p>One thread may send while another receives; two senders or two receivers need a lock.
 * Datagrams from the relay that are fragments (FRAG not 0, which RFC 1928 lets a client drop) or
 * malformed are dropped and counted in {@link #dropped()}.
 */
public final class Socks5UdpAssociation implements Closeable {
    private final String peer;
    private final SocketChannel control;
    private final DatagramChannel channel;
    private final InetSocketAddress relay;
    private final ByteBuffer header = ByteBuffer.allocate(Socks5Codec.UDP_PREFIX + Socks5Codec.MAX_ADDRESS_FIELD);
    private final ByteBuffer[] datagram = new ByteBuffer[2];
    private volatile long dropped;

    private Socks5UdpAssociation(String peer, SocketChannel control, DatagramChannel channel, InetSocketAddress relay) {
        this.peer = peer;
        this.control = control;
        this.channel = channel;
        this.relay = relay;
    }

    /**
     * Connects to the proxy and asks for UDP ASSOCIATE, announcing the address and port this side
     * will send from (some servers, dante among them, accept datagrams from that address only).
     */
    static Socks5UdpAssociation open(Socks5Client client, Deadline deadline) throws IOException {
        SocketChannel control = client.connectToProxy(deadline);
        DatagramChannel channel = null;
        try {
            InetAddress local = ((InetSocketAddress) control.getLocalAddress()).getAddress();
            channel = DatagramChannel.open(Sockets.family(local));
            channel.bind(new InetSocketAddress(local, 0));
            Handshake handshake = new Handshake(control, client.peer(), deadline);
            Destination bound = client.request(handshake, Socks5CommandType.UDP_ASSOCIATE,
                    Destination.of((InetSocketAddress) channel.getLocalAddress()));
            handshake.finish();
            InetSocketAddress relay = relayAddress(client.peer(), bound, (InetSocketAddress) control.getRemoteAddress());
            channel.connect(relay);
            return new Socks5UdpAssociation(client.peer(), control, channel, relay);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                Sockets.closeAfter(channel, e);
            }
            Sockets.closeAfter(control, e);
            throw e;
        }
    }

    /**
     * Sends {@code payload} (its bytes from position to limit) to {@code destination} through the
     * relay, as one datagram. Returns false, sending nothing, when the channel is non-blocking and
     * its socket buffer is full: the datagram is lost, as UDP allows.
     */
    public boolean send(ByteBuffer payload, Destination destination) throws IOException {
        header.clear();
        Socks5Codec.putUdpHeader(header, destination);
        datagram[0] = header.flip();
        datagram[1] = payload;
        try {
            return channel.write(datagram) > 0;
        } finally {
            datagram[1] = null;
        }
    }

    /** Sends {@code payload} to {@code host} (a name, resolved by the proxy, or an IP literal) and {@code port}. */
    public boolean send(ByteBuffer payload, String host, int port) throws IOException {
        return send(payload, Destination.of(host, port));
    }

    /** Sends {@code payload} to {@code address} and {@code port}. */
    public boolean send(ByteBuffer payload, InetAddress address, int port) throws IOException {
        return send(payload, Destination.of(address, port));
    }

    /**
     * Receives one datagram from the relay and puts its payload into {@code buffer} at its position,
     * moving the position past it; returns where the datagram came from, as the relay says. Returns
     * null when the channel is non-blocking and no datagram is waiting. Give a buffer with room for
     * 65535 bytes: the rest of a longer datagram is lost, as with {@link DatagramChannel#read}.
     */
    public Destination receive(ByteBuffer buffer) throws IOException {
        while (true) {
            int start = buffer.position();
            int n = channel.read(buffer);
            if (n <= 0) {
                return null;
            }
            ByteBuffer received = buffer.duplicate().limit(start + n).position(start);
            try {
                Optional<Destination> source = Socks5Codec.getUdpHeader(received);
                if (source.isPresent()) {
                    int length = received.remaining();
                    buffer.put(start, buffer, received.position(), length);
                    buffer.position(start + length);
                    return source.get();
                }
            } catch (MalformedException e) {
                // Dropped and counted, like a fragment: a relay that garbles one datagram may send good ones after.
            }
            buffer.position(start);
            dropped++;
        }
    }

    /** Returns the datagram channel, connected to the relay, for registering with a selector. */
    public DatagramChannel channel() {
        return channel;
    }

    /**
     * Returns the control connection. The proxy never sends on it after its reply: when it becomes
     * readable, the association has ended (the proxy closed it) and should be closed.
     */
    public SocketChannel control() {
        return control;
    }

    /** Returns the relay address the proxy named (its own address when it named the unspecified one). */
    public InetSocketAddress relay() {
        return relay;
    }

    /** Returns the proxy as messages name it: {@code socks5 proxy 10.0.0.5:1080}. */
    String peer() {
        return peer;
    }

    /** Returns how many datagrams from the relay were dropped as fragments or malformed. */
    public long dropped() {
        return dropped;
    }

    /** Returns whether both channels are still open. */
    public boolean isOpen() {
        return channel.isOpen() && control.isOpen();
    }

    /** Closes the datagram channel and the control connection, which ends the association at the proxy. */
    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            control.close();
        }
    }

    @Override
    public String toString() {
        return "udp association via " + peer + ", relay " + Destination.of(relay);
    }

    /**
     * Returns where to send datagrams: BND.ADDR/BND.PORT of the reply, with the unspecified address
     * (0.0.0.0 or ::, which many servers send) meaning the proxy's own address.
     */
    private static InetSocketAddress relayAddress(String peer, Destination bound, InetSocketAddress proxy) throws IOException {
        if (bound.port() == 0) {
            throw new OutboundException(Kind.PROTOCOL, peer + ": malformed reply to the UDP ASSOCIATE request: relay port 0 (expected: 1 to 65535)");
        }
        InetAddress address;
        if (bound.address().isPresent()) {
            address = bound.address().get();
        } else {
            try {
                address = InetAddress.getByName(bound.name().orElseThrow());
            } catch (UnknownHostException e) {
                throw new OutboundException(Kind.PROTOCOL, peer + " named a UDP relay that does not resolve: " + UntrustedText.printable(bound.host()), e);
            }
        }
        return new InetSocketAddress(address.isAnyLocalAddress() ? proxy.getAddress() : address, bound.port());
    }
}
