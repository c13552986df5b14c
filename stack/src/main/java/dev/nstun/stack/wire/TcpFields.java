package dev.nstun.stack.wire;

/**
 * The fields of a TCP segment for {@link PacketBuilder#tcp}, each set by name (gVisor's TCPFields, as
 * a builder): a segment has two sequence numbers and four 16-bit fields side by side, which passed
 * as positional ints would still compile, and checksum fine, swapped. Mutable and meant to be reused
 * (one per writer), so that writing a segment allocates nothing; {@link #clear} starts the next one.
 */
public final class TcpFields {
    int sourcePort;
    int destinationPort;
    int seq;
    int ack;
    int flags;
    int window;
    int optionsLength;
    int payloadLength;

    /** Sets every field to 0; returns these fields. */
    public TcpFields clear() {
        sourcePort = 0;
        destinationPort = 0;
        seq = 0;
        ack = 0;
        flags = 0;
        window = 0;
        optionsLength = 0;
        payloadLength = 0;
        return this;
    }

    /** Sets the source port; returns these fields. */
    public TcpFields sourcePort(int port) {
        this.sourcePort = port;
        return this;
    }

    /** Sets the destination port; returns these fields. */
    public TcpFields destinationPort(int port) {
        this.destinationPort = port;
        return this;
    }

    /** Sets the sequence number; returns these fields. */
    public TcpFields seq(int seq) {
        this.seq = seq;
        return this;
    }

    /** Sets the acknowledgment number; returns these fields. */
    public TcpFields ack(int ack) {
        this.ack = ack;
        return this;
    }

    /** Sets the control flags ({@link TcpSegment#SYN} and the rest, or-ed); returns these fields. */
    public TcpFields flags(int flags) {
        this.flags = flags;
        return this;
    }

    /** Sets the window field (already scaled down, as sent); returns these fields. */
    public TcpFields window(int window) {
        this.window = window;
        return this;
    }

    /** Sets the length of the options already in place (a multiple of 4, at most 40); returns these fields. */
    public TcpFields optionsLength(int length) {
        this.optionsLength = length;
        return this;
    }

    /** Sets the length of the payload already in place; returns these fields. */
    public TcpFields payloadLength(int length) {
        this.payloadLength = length;
        return this;
    }

    /** Returns the payload length set. */
    public int payloadLength() {
        return payloadLength;
    }

    @Override
    public String toString() {
        return "TcpFields[" + sourcePort + " > " + destinationPort + " seq " + Integer.toUnsignedString(seq)
                + " ack " + Integer.toUnsignedString(ack) + " flags 0x" + Integer.toHexString(flags) + " win " + window
                + " options " + optionsLength + " payload " + payloadLength + "]";
    }
}
