package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.PacketBuilder;
import java.nio.ByteBuffer;

/**
 * Where {@link TcpConnection#dispatch} puts the packets it emits. The connection writes each packet
 * whole — IP header, TCP header, options, payload, both checksums — with the loop's
 * {@link PacketBuilder}, straight into the loop's buffer: payload bytes are copied once, from the
 * send ring into the packet. To a sink that {@link #offloadsTcp}, it hands a segment's payload where
 * it lies, in the send ring, for the link to write with the headers in one gathering write.
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
     * Returns whether the sink is a link that offloads TCP as a NIC does: its {@link #builder()} puts
     * only the pseudo-header sum in a segment's checksum field, for the link to finish; it takes
     * segments of up to {@link #LARGEST_PACKET} bytes and cuts them (TCP segmentation offload); and a
     * segment with payload comes by {@link #emitTcp}, its payload apart from its headers.
     */
    default boolean offloadsTcp() {
        return false;
    }

    /**
     * As {@link #emit}, for a segment whose {@code headerLength} bytes of headers are at the position of
     * the buffer last returned and whose payload is {@code payload} (position to limit) followed by
     * {@code more} (null: none), views of the send ring valid only during the call; one larger than the
     * MTU ({@code segmentSize} > 0) the link cuts into segments of {@code segmentSize} payload bytes.
     * Only when {@link #offloadsTcp()}.
     */
    default void emitTcp(int headerLength, ByteBuffer payload, ByteBuffer more, int segmentSize) {
        throw new UnsupportedOperationException("this sink does not offload TCP");
    }

    /** The largest packet a sink that {@link #offloadsTcp()} takes: an IP packet's limit. */
    int LARGEST_PACKET = 65535;
}
