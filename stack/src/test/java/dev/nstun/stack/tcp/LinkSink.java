package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.PacketBuilder;
import java.nio.ByteBuffer;

/**
 * The sink a connection under test dispatches into: every packet it emits goes onto an in-memory
 * link towards the client, at the time last set in {@link #now}. A packet over the MTU fails the test.
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
    /** The virtual time packets are emitted at. */
    public long now;

    public LinkSink(Link link, int mtu) {
        this.link = link;
        this.mtu = mtu;
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
        if (length > mtu) throw new AssertionError("packet of " + length + " bytes, MTU " + mtu);
        link.send(now, buf.duplicate().position(3).limit(3 + length));
    }
}
