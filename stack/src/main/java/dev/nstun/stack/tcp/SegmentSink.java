package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.PacketBuilder;
import java.nio.ByteBuffer;

/**
 * Where {@link TcpConnection#dispatch} puts the packets it emits. The connection writes each packet
 * whole — IP header, TCP header, options, payload, both checksums — with the loop's
 * {@link PacketBuilder}, straight into the loop's buffer: payload bytes are copied once, from the
 * send ring into the packet.
 *
 * <p>Per packet: {@link #buffer()} gives the buffer, positioned where the packet starts with at
 * least {@link TcpConfig#mtu()} bytes before its limit; the connection writes at absolute offsets
 * from that position and calls {@link #emit} with the packet's length. The sink may hand out the
 * same buffer every time (write each packet to the TUN in {@code emit}) or slots of a batch.
 */
public interface SegmentSink {

    /** Returns the builder the connection writes headers with: the loop's one, reused for every packet. */
    PacketBuilder builder();

    /**
     * Returns the buffer for the next packet, positioned at its start with at least an MTU of room,
     * or null when the sink can take no more now: the connection then stops, and its
     * {@link TcpConnection#pollAt} stays due so the loop calls {@code dispatch} again.
     */
    ByteBuffer buffer();

    /** The packet of {@code length} bytes at the position of the buffer last returned is complete. */
    void emit(int length);

    /**
     * Returns whether the sink takes TCP segments of up to {@link #LARGEST_PACKET} bytes, which the
     * link cuts into segments (TCP segmentation offload): then {@link #buffer()} has that much room.
     */
    default boolean takesLargeSegments() {
        return false;
    }

    /**
     * As {@link #emit}, for a segment larger than the MTU that the link cuts into segments of
     * {@code segmentSize} payload bytes; only when {@link #takesLargeSegments()}.
     */
    default void emitSegmented(int length, int segmentSize) {
        throw new UnsupportedOperationException("this sink takes no segment larger than the MTU");
    }

    /** The largest packet a sink that {@link #takesLargeSegments()} takes: an IP packet's limit. */
    int LARGEST_PACKET = 65535;
}
