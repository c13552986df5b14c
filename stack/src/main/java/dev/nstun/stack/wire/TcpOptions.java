package dev.nstun.stack.wire;

import java.nio.ByteBuffer;

/**
 * The parsed form of the TCP options a handshake negotiates (RFC 9293 §3.2, RFC 7323, RFC 2018), for
 * reading a SYN and writing a SYN-ACK. Per-segment options (timestamps, SACK blocks on an ACK) have
 * static emitters that allocate nothing.
 *
 * <p>{@link #emitInto} lays the options out as Linux does, each aligned to 4 bytes: MSS; then
 * SACK-permitted folded into the timestamps' two leading bytes (or NOP NOP); then NOP and window
 * scale.
 *
 * @param mss             maximum segment size, or -1 for none
 * @param windowScale     window scale shift from 0 to 14, or -1 for none
 * @param sackPermitted   whether SACK-permitted is present
 * @param timestamps      whether the timestamps option is present
 * @param timestampValue  TSval, when {@code timestamps}
 * @param timestampEcho   TSecr, when {@code timestamps}
 */
public record TcpOptions(int mss, int windowScale, boolean sackPermitted, boolean timestamps,
                         int timestampValue, int timestampEcho) {

    /** No options at all. */
    public static final TcpOptions NONE = new TcpOptions(-1, -1, false, false, 0, 0);
    /** Length of NOP, NOP and a timestamps option, as {@link #emitTimestamps} writes them. */
    public static final int TIMESTAMPS_LENGTH = 12;

    public TcpOptions {
        if (mss < -1 || mss > 0xffff) throw new IllegalArgumentException("mss: " + mss + " (expected: -1 to 65535)");
        if (windowScale < -1 || windowScale > TcpSegment.MAX_WINDOW_SCALE) {
            throw new IllegalArgumentException("window scale: " + windowScale + " (expected: -1 to 14)");
        }
    }

    /** Returns the options of {@code segment} (an MSS or window scale of the wrong length counts as absent). */
    public static TcpOptions parse(TcpSegment segment) {
        return new TcpOptions(segment.mss(), segment.windowScale(), segment.sackPermitted(), segment.hasTimestamps(),
                segment.timestampValue(), segment.timestampEcho());
    }

    /** Returns these options with the timestamps option set to {@code value} and {@code echo}. */
    public TcpOptions withTimestamps(int value, int echo) {
        return new TcpOptions(mss, windowScale, sackPermitted, true, value, echo);
    }

    /** Returns the number of bytes {@link #emitInto} writes, a multiple of 4. */
    public int length() {
        return (mss >= 0 ? 4 : 0) + (timestamps ? TIMESTAMPS_LENGTH : sackPermitted ? 4 : 0) + (windowScale >= 0 ? 4 : 0);
    }

    /** Writes the options at absolute offset {@code off} of {@code buf}; returns {@link #length()}. */
    public int emitInto(ByteBuffer buf, int off) {
        int p = off;
        if (mss >= 0) {
            Bytes.put8(buf, p, TcpSegment.OPTION_MSS);
            Bytes.put8(buf, p + 1, 4);
            Bytes.put16(buf, p + 2, mss);
            p += 4;
        }
        if (timestamps) {
            p += emitTimestamps(buf, p, timestampValue, timestampEcho);
            if (sackPermitted) {
                Bytes.put8(buf, p - TIMESTAMPS_LENGTH, TcpSegment.OPTION_SACK_PERMITTED);
                Bytes.put8(buf, p - TIMESTAMPS_LENGTH + 1, 2);
            }
        } else if (sackPermitted) {
            Bytes.put16(buf, p, TcpSegment.OPTION_NOP << 8 | TcpSegment.OPTION_NOP);
            Bytes.put8(buf, p + 2, TcpSegment.OPTION_SACK_PERMITTED);
            Bytes.put8(buf, p + 3, 2);
            p += 4;
        }
        if (windowScale >= 0) {
            Bytes.put8(buf, p, TcpSegment.OPTION_NOP);
            Bytes.put8(buf, p + 1, TcpSegment.OPTION_WINDOW_SCALE);
            Bytes.put8(buf, p + 2, 3);
            Bytes.put8(buf, p + 3, windowScale);
            p += 4;
        }
        return p - off;
    }

    /** Writes NOP, NOP and a timestamps option at {@code off}; returns {@link #TIMESTAMPS_LENGTH}. */
    public static int emitTimestamps(ByteBuffer buf, int off, int value, int echo) {
        Bytes.put8(buf, off, TcpSegment.OPTION_NOP);
        Bytes.put8(buf, off + 1, TcpSegment.OPTION_NOP);
        Bytes.put8(buf, off + 2, TcpSegment.OPTION_TIMESTAMPS);
        Bytes.put8(buf, off + 3, 10);
        Bytes.put32(buf, off + 4, value);
        Bytes.put32(buf, off + 8, echo);
        return TIMESTAMPS_LENGTH;
    }

    /** Returns the length of NOP, NOP and a SACK option of {@code blocks} blocks, as {@link #emitSackBlocks} writes them. */
    public static int sackBlocksLength(int blocks) {
        return 4 + 8 * blocks;
    }

    /**
     * Writes NOP, NOP and a SACK option with {@code blocks} blocks (1 to 4; 3 fit beside timestamps)
     * whose left and right edges alternate in {@code edges}; returns {@link #sackBlocksLength}.
     */
    public static int emitSackBlocks(ByteBuffer buf, int off, int[] edges, int blocks) {
        if (blocks < 1 || blocks > TcpSegment.MAX_SACK_BLOCKS) {
            throw new IllegalArgumentException("SACK blocks: " + blocks + " (expected: 1 to 4)");
        }
        Bytes.put8(buf, off, TcpSegment.OPTION_NOP);
        Bytes.put8(buf, off + 1, TcpSegment.OPTION_NOP);
        Bytes.put8(buf, off + 2, TcpSegment.OPTION_SACK);
        Bytes.put8(buf, off + 3, 2 + 8 * blocks);
        for (int i = 0; i < 2 * blocks; i++) Bytes.put32(buf, off + 4 + 4 * i, edges[i]);
        return sackBlocksLength(blocks);
    }
}
