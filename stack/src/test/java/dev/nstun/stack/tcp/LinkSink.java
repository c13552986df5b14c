package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.IpProtocol;
import dev.nstun.stack.wire.PacketBuilder;
import dev.nstun.stack.wire.TcpSegment;
import java.nio.ByteBuffer;

/**
 * The sink a connection under test dispatches into: every packet it emits goes onto an in-memory
 * link towards the client, at the time last set in {@link #now}. A packet over the MTU fails the test.
 * A segmenting sink takes IPv4 TCP segments larger than the MTU and cuts them as the kernel's TCP
 * segmentation offload does (headers copied, sequence numbers advanced, FIN and PSH on the last
 * piece only, checksums made anew), each piece within the MTU.
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
    }

    @Override
    public boolean takesLargeSegments() {
        return segmenting;
    }

    @Override
    public void emitSegmented(int length, int segmentSize) {
        if (!segmenting) throw new AssertionError("a large segment to a sink that takes none");
        if (length > LARGEST_PACKET) throw new AssertionError("segment of " + length + " bytes");
        largeSegments++;
        ByteBuffer whole = buf.duplicate().position(3).limit(3 + length).slice();
        int ipLength = (whole.get(0) & 0x0f) * 4;
        int headers = ipLength + ((whole.get(ipLength + 12) & 0xf0) >>> 4) * 4;
        int payload = length - headers;
        if (payload <= segmentSize) throw new AssertionError("a " + payload + "-byte payload in segments of " + segmentSize);
        int seq = whole.getInt(ipLength + 4);
        int flags = whole.get(ipLength + 13) & 0xff;
        for (int off = 0; off < payload; off += segmentSize) {
            int n = Math.min(segmentSize, payload - off);
            boolean last = off + n == payload;
            ByteBuffer piece = ByteBuffer.allocate(headers + n);
            piece.put(0, whole, 0, headers).put(headers, whole, headers + off, n);
            piece.putShort(2, (short) (headers + n)).putShort(10, (short) 0);
            piece.putShort(10, (short) Checksum.finish(Checksum.sum(piece, 0, ipLength)));
            piece.putInt(ipLength + 4, seq + off);
            piece.put(ipLength + 13, (byte) (last ? flags : flags & ~(TcpSegment.FIN | TcpSegment.PSH)));
            piece.putShort(ipLength + 16, (short) 0);
            int pseudo = Checksum.pseudoHeaderV4(piece.getInt(12), piece.getInt(16), IpProtocol.TCP, headers - ipLength + n);
            piece.putShort(ipLength + 16, (short) Checksum.finish(Checksum.sum(piece, ipLength, headers - ipLength + n, pseudo)));
            emitted(piece);
        }
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
        emitted(buf.duplicate().position(3).limit(3 + length));
    }

    private void emitted(ByteBuffer packet) {
        if (packet.remaining() > mtu) throw new AssertionError("packet of " + packet.remaining() + " bytes, MTU " + mtu);
        link.send(now, packet);
    }
}
