package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.PacketBuilder;
import dev.nstun.stack.wire.TcpSegment;
import java.nio.ByteBuffer;

/**
 * The sink a connection under test dispatches into: every packet it emits goes onto an in-memory
 * link towards the client, at the time last set in {@link #now}. A packet over the MTU fails the test.
 * A segmenting sink offloads TCP as the TUN does: it takes IPv4 TCP segments with only the
 * pseudo-header sum in their checksum field and their payload apart, in the connection's send
 * buffer, assembles them, and cuts those larger than the MTU as the kernel's TCP segmentation
 * offload does (headers copied, sequence numbers advanced, FIN and PSH on the last piece only,
 * checksums made anew), each piece within the MTU.
 */
public final class LinkSink implements SegmentSink {
    /** Where emitted packets go: an in-memory link's send. */
    @FunctionalInterface
    public interface Link {
        void send(long now, ByteBuffer packet);
    }

    private final PacketBuilder builder = new PacketBuilder();
    private final ByteBuffer buf = ByteBuffer.allocateDirect(70_000);
    private final Link link;
    private final int mtu;
    private final boolean segmenting;
    /** The virtual time packets are emitted at. */
    public long now;
    /** How many segments larger than the MTU the connection emitted. */
    public long largeSegments;

    public LinkSink(Link link, int mtu) {
        this(link, mtu, false);
    }

    public LinkSink(Link link, int mtu, boolean segmenting) {
        this.link = link;
        this.mtu = mtu;
        this.segmenting = segmenting;
        builder.partialChecksums(segmenting);
    }

    @Override
    public boolean offloadsTcp() {
        return segmenting;
    }

    @Override
    public void emitTcp(int headerLength, ByteBuffer payload, ByteBuffer more, int segmentSize) {
        if (!segmenting) throw new AssertionError("a segment in parts to a sink that does not offload TCP");
        int payloadLength = payload.remaining() + (more == null ? 0 : more.remaining());
        if (headerLength + payloadLength > LARGEST_PACKET) throw new AssertionError("segment of " + (headerLength + payloadLength) + " bytes");
        ByteBuffer whole = ByteBuffer.allocate(headerLength + payloadLength);
        whole.put(buf.duplicate().position(3).limit(3 + headerLength)).put(payload.duplicate());
        if (more != null) whole.put(more.duplicate());
        if (segmentSize == 0) {
            emitted(finished(whole.flip()));
            return;
        }
        largeSegments++;
        int ipLength = (whole.get(0) & 0x0f) * 4;
        if (payloadLength <= segmentSize) throw new AssertionError("a " + payloadLength + "-byte payload in segments of " + segmentSize);
        int seq = whole.getInt(ipLength + 4);
        int flags = whole.get(ipLength + 13) & 0xff;
        for (int off = 0; off < payloadLength; off += segmentSize) {
            int n = Math.min(segmentSize, payloadLength - off);
            boolean last = off + n == payloadLength;
            ByteBuffer piece = ByteBuffer.allocate(headerLength + n);
            piece.put(0, whole, 0, headerLength).put(headerLength, whole, headerLength + off, n);
            piece.putShort(2, (short) (headerLength + n));
            piece.putInt(ipLength + 4, seq + off);
            piece.put(ipLength + 13, (byte) (last ? flags : flags & ~(TcpSegment.FIN | TcpSegment.PSH)));
            emitted(finished(piece));
        }
    }

    /** Makes both checksums of the IPv4 TCP segment in {@code packet} anew, as the kernel finishes a partial one. */
    private static ByteBuffer finished(ByteBuffer packet) {
        Ipv4Packet ip = new Ipv4Packet().wrap(packet, 0, packet.remaining());
        Checksum.fillIpv4Header(ip);
        Checksum.fillTcp(ip, new TcpSegment().wrap(packet, ip.headerLength(), packet.remaining() - ip.headerLength()));
        return packet;
    }

    @Override
    public PacketBuilder builder() {
        return builder;
    }

    @Override
    public ByteBuffer buffer() {
        return buf.clear().position(3);
    }

    @Override
    public void emit(int length) {
        ByteBuffer packet = buf.duplicate().position(3).limit(3 + length);
        // Offloading, every TCP segment comes with the pseudo-header sum only, for the link to finish.
        emitted(segmenting ? finished(ByteBuffer.allocate(length).put(packet).flip()) : packet);
    }

    private void emitted(ByteBuffer packet) {
        if (packet.remaining() > mtu) throw new AssertionError("packet of " + packet.remaining() + " bytes, MTU " + mtu);
        link.send(now, packet);
    }
}
