package dev.nstun.stack.device;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.util.Optional;

/**
 * A link that carries whole IP packets: the real TUN, an in-memory pipe for tests, a fault
 * injector or a pcap tap wrapped around another device (smoltcp's phy::Device, in Java).
 */
public interface Device extends AutoCloseable {
    /**
     * Reads one packet into {@code dst} at its position and advances it. Returns the packet length,
     * 0 when none is waiting, or -1 once the device is closed.
     */
    int receive(ByteBuffer dst) throws IOException;

    /** Sends the packet between {@code packet}'s position and limit, consuming it. */
    void transmit(ByteBuffer packet) throws IOException;

    /**
     * Waits until a packet can be received, {@link #wakeUp()} is called, or {@code timeoutMillis}
     * pass (negative: no limit). Returns whether a packet is waiting.
     */
    boolean awaitReceivable(int timeoutMillis) throws IOException;

    /** Makes a thread blocked in {@link #awaitReceivable} return early. */
    void wakeUp();

    /**
     * Returns a channel that a JDK selector reports readable (OP_READ) while the link has a packet
     * for {@link #receive}, so that the loop waits on the link and on its sockets in one select()
     * rather than through a thread in {@link #awaitReceivable}; empty if the link has none. The link
     * owns it: register it non-blocking, and never read, write or block through it.
     */
    default Optional<SelectableChannel> readiness() throws IOException {
        return Optional.empty();
    }

    /**
     * Asks the link to carry TCP and UDP the way a NIC with checksum offload (and TCP segmentation
     * offload) does, so that neither end sums what the kernel on this host made or takes: afterwards
     * {@link #receive} may hand over TCP segments larger than the MTU, and TCP segments and UDP
     * datagrams whose checksum field holds only the pseudo-header sum ({@link
     * #receivedPartialChecksum()} says which; such bytes come from this host's kernel and are sound);
     * and {@link #transmit} takes every TCP segment and UDP datagram with the pseudo-header sum in its
     * checksum field, for the kernel to finish if it ever has to, and {@link #transmitTcp} every TCP
     * segment with payload, in parts, larger than the MTU too. Any other unfinished checksum the link
     * completes itself. Returns whether the link agreed: one that did not goes on with whole checksums
     * both ways and packets no larger than the MTU. The loop calls it once, before any packet.
     *
     * <p>A link that looks into packets or changes them (a fault injector, a capture) declines.
     */
    default boolean enableOffload() throws IOException {
        return false;
    }

    /**
     * Sends a TCP segment in parts, as a NIC reads a packet from several places in memory: its IP and
     * TCP headers between {@code headers}' position and limit (consumed), its checksum field holding
     * the pseudo-header sum; then its payload, {@code payload} then {@code more} (null: none), each from
     * position to limit, direct buffers the link reads where they lie, during the call only. With
     * {@code segmentSize} > 0 the payload is more than one packet on the link may carry, for the link
     * to cut into segments of {@code segmentSize} payload bytes, as a NIC's TCP segmentation offload
     * does. Called only on a link whose {@link #enableOffload} agreed.
     */
    default void transmitTcp(ByteBuffer headers, ByteBuffer payload, ByteBuffer more, int segmentSize) throws IOException {
        throw new UnsupportedOperationException("this link does not offload TCP");
    }

    /** Returns whether the packet {@link #receive} returned last is a TCP segment or UDP datagram with an unfinished checksum. */
    default boolean receivedPartialChecksum() {
        return false;
    }

    /** Sends whatever the device still holds back; the loop calls it at the end of every turn. */
    default void flush() throws IOException {
    }

    @Override
    void close() throws IOException;
}
