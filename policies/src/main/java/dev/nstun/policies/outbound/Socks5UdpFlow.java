package dev.nstun.policies.outbound;

import dev.nstun.policies.config.IpLiteral;
import java.io.IOException;
import java.net.InetAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.Objects;

/**
 * One UDP flow of the wrapped command through a {@link Socks5UdpAssociation}: every datagram goes
 * to one destination, and only datagrams from it come back: the {@link UdpRelay} of a socks5
 * outbound. It never blocks, so a selector loop can drive it, waiting on {@link #channel()}.
 *
 * <p>Which datagrams count as the destination's: the relay names each one's source. A destination
 * known by address must match it (address and port); a destination known by name went to the
 * proxy by name, and the proxy resolved it where this side cannot see, so only the port is
 * compared.
 *
 * <p>The association lives as long as its TCP control connection (RFC 1928 §7). The proxy closing
 * it, or the relay's port becoming unreachable, ends the flow: {@link #send} and {@link #receive}
 * then throw {@code IOException("SOCKS5 UDP association ended: …")}, now and on every later call.
 * The control connection is checked on every call, a non-blocking read that costs one system call,
 * because nothing else would notice: the stack waits on the datagram channel only.
 *
 * <p>Not thread-safe: one loop thread sends and receives.
 */
public final class Socks5UdpFlow implements UdpRelay {
    private final Socks5UdpAssociation association;
    private final Destination destination;
    private final ByteBuffer controlProbe = ByteBuffer.allocate(64);
    private String ended;
    private long dropped;

    private Socks5UdpFlow(Socks5UdpAssociation association, Destination destination) {
        this.association = association;
        this.destination = destination;
    }

    /**
     * Returns the flow to {@code destination} through {@code association}, whose channels it puts in
     * non-blocking mode. Closing the flow closes the association.
     */
    public static Socks5UdpFlow open(Socks5UdpAssociation association, Destination destination) throws IOException {
        Objects.requireNonNull(destination, "destination");
        association.channel().configureBlocking(false);
        association.control().configureBlocking(false);
        return new Socks5UdpFlow(association, destination);
    }

    /** Returns the non-blocking datagram channel, connected to the relay: readable means a reply may be waiting. */
    @Override
    public DatagramChannel channel() {
        return association.channel();
    }

    /**
     * Sends {@code payload[position, limit)} to the destination through the relay. Returns false
     * when the socket buffer had no room and the datagram was dropped.
     */
    @Override
    public boolean send(ByteBuffer payload) throws IOException {
        checkControl();
        try {
            return association.send(payload, destination);
        } catch (PortUnreachableException e) {
            throw end("the relay " + Destination.of(association.relay()) + " is gone (port unreachable)", e);
        }
    }

    /**
     * Reads the payload of the next datagram from the destination into {@code dst} at its position
     * and returns its length, the position unchanged; returns -1 when nothing waits. Datagrams from
     * other sources are dropped and counted in {@link #dropped()}.
     */
    @Override
    public int receive(ByteBuffer dst) throws IOException {
        checkControl();
        int start = dst.position();
        try {
            while (true) {
                Destination source = association.receive(dst);
                if (source == null) {
                    return -1;
                }
                int length = dst.position() - start;
                dst.position(start);
                if (isFrom(source, destination)) {
                    return length;
                }
                dropped++;
            }
        } catch (PortUnreachableException e) {
            dst.position(start);
            throw end("the relay " + Destination.of(association.relay()) + " is gone (port unreachable)", e);
        }
    }

    /** Returns how many datagrams were dropped: from another source, fragments, or malformed. */
    public long dropped() {
        return dropped + association.dropped();
    }

    /** Returns the destination. */
    public Destination destination() {
        return destination;
    }

    /** Closes the association. */
    @Override
    public void close() throws IOException {
        association.close();
    }

    @Override
    public String toString() {
        return "udp flow to " + destination + " via " + association;
    }

    /**
     * Returns whether a datagram the relay says came from {@code source} can be a reply from
     * {@code destination}: the same port, and the same address unless {@code destination} went to
     * the proxy by name (then the proxy chose the address).
     */
    public static boolean isFrom(Destination source, Destination destination) {
        if (source.port() != destination.port()) {
            return false;
        }
        if (destination.name().isPresent()) {
            return true;
        }
        return source.address().isPresent() && sameAddress(source.address().get(), destination.address().orElseThrow());
    }

    /** Compares addresses with IPv4-mapped IPv6 ones taken as the IPv4 address they carry. */
    private static boolean sameAddress(InetAddress a, InetAddress b) {
        return Arrays.equals(IpLiteral.unmap(a.getAddress()), IpLiteral.unmap(b.getAddress()));
    }

    /** Throws when the association has ended: the proxy closed the control connection, or it failed. */
    private void checkControl() throws IOException {
        if (ended != null) {
            throw new IOException(ended);
        }
        int n;
        try {
            n = association.control().read(controlProbe.clear());
        } catch (IOException e) {
            throw end("the control connection to " + association.peer() + " failed: " + e.getMessage(), e);
        }
        if (n < 0) {
            throw end(association.peer() + " closed the control connection", null);
        }
        // n > 0: the proxy sent bytes RFC 1928 gives no meaning; ignored, the association goes on.
    }

    private IOException end(String why, Exception cause) {
        ended = "SOCKS5 UDP association ended: " + why;
        return new IOException(ended, cause);
    }
}
