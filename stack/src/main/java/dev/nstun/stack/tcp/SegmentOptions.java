package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.TcpOptions;
import dev.nstun.stack.wire.TcpSegment;
import java.nio.ByteBuffer;

/**
 * The options of one segment after the handshake, set by name: timestamps (RFC 7323), then SACK
 * blocks (RFC 2018), laid out as Linux does. One per connection, reused for every segment it sends.
 */
final class SegmentOptions {
    private final int[] sackEdges = new int[2 * TcpSegment.MAX_SACK_BLOCKS];
    private boolean timestamps;
    private int tsVal;
    private int tsEcr;
    private int sackBlocks;

    /** Clears every option (a RST carries none); returns these options. */
    SegmentOptions none() {
        timestamps = false;
        sackBlocks = 0;
        return this;
    }

    /** Sets whether the timestamps option goes; returns these options. */
    SegmentOptions timestamps(boolean on) {
        this.timestamps = on;
        return this;
    }

    /** Sets TSval, our clock (written only with {@link #timestamps}); returns these options. */
    SegmentOptions tsVal(int value) {
        this.tsVal = value;
        return this;
    }

    /** Sets TSecr, the peer's clock echoed (written only with {@link #timestamps}); returns these options. */
    SegmentOptions tsEcr(int echo) {
        this.tsEcr = echo;
        return this;
    }

    /** Returns the array the receiver fills with SACK edges (left, right pairs) before {@link #sackBlocks(int)}. */
    int[] sackEdges() {
        return sackEdges;
    }

    /** Sets how many blocks of {@link #sackEdges()} go; returns these options. */
    SegmentOptions sackBlocks(int blocks) {
        this.sackBlocks = blocks;
        return this;
    }

    /** Returns the length {@link #emitInto} writes: a multiple of 4. */
    int length() {
        return (timestamps ? TcpOptions.TIMESTAMPS_LENGTH : 0) + (sackBlocks > 0 ? TcpOptions.sackBlocksLength(sackBlocks) : 0);
    }

    /** Writes the options at {@code off} of {@code buf}; returns their length. */
    int emitInto(ByteBuffer buf, int off) {
        int length = 0;
        if (timestamps) length += TcpOptions.emitTimestamps(buf, off, tsVal, tsEcr);
        if (sackBlocks > 0) length += TcpOptions.emitSackBlocks(buf, off + length, sackEdges, sackBlocks);
        return length;
    }
}
