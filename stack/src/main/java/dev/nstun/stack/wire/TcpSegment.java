package dev.nstun.stack.wire;

import java.nio.ByteBuffer;

/**
 * A re-pointable view of a TCP segment (RFC 9293 §3.1): header, options and payload. The view spans
 * the whole segment, whose length the IP layer gives.
 *
 * <p>{@link #wrapChecked} validates the data offset and every option's length once; after it
 * accepts a segment no accessor throws, and the option accessors, which scan at most 40 bytes,
 * treat an option of a known kind but the wrong length as absent. {@link #wrap} is for segments we
 * built.
 */
public final class TcpSegment {
    /** Offset of the source port. */
    public static final int SOURCE_PORT = 0;
    /** Offset of the destination port. */
    public static final int DESTINATION_PORT = 2;
    /** Offset of the sequence number. */
    public static final int SEQ_NUMBER = 4;
    /** Offset of the acknowledgment number. */
    public static final int ACK_NUMBER = 8;
    /** Offset of the data offset (high nibble, in 32-bit words) and reserved bits. */
    public static final int DATA_OFFSET = 12;
    /** Offset of the flags byte (CWR ECE URG ACK PSH RST SYN FIN). */
    public static final int FLAGS = 13;
    /** Offset of the window field. */
    public static final int WINDOW = 14;
    /** Offset of the checksum field. */
    public static final int CHECKSUM = 16;
    /** Offset of the urgent pointer. */
    public static final int URGENT_POINTER = 18;
    /** Length of a header without options. */
    public static final int HEADER_LENGTH = 20;
    /** Length of a header with the most options the data offset can express. */
    public static final int MAX_HEADER_LENGTH = 60;

    /** FIN flag: no more data from the sender. */
    public static final int FIN = 0x01;
    /** SYN flag: synchronize sequence numbers. */
    public static final int SYN = 0x02;
    /** RST flag: reset the connection. */
    public static final int RST = 0x04;
    /** PSH flag: push function. */
    public static final int PSH = 0x08;
    /** ACK flag: the acknowledgment field is significant. */
    public static final int ACK = 0x10;
    /** URG flag: the urgent pointer is significant. */
    public static final int URG = 0x20;
    /** ECE flag: ECN echo (RFC 3168). */
    public static final int ECE = 0x40;
    /** CWR flag: congestion window reduced (RFC 3168). */
    public static final int CWR = 0x80;

    /** Option kind: end of option list. */
    public static final int OPTION_END = 0;
    /** Option kind: no-operation (padding). */
    public static final int OPTION_NOP = 1;
    /** Option kind: maximum segment size (length 4). */
    public static final int OPTION_MSS = 2;
    /** Option kind: window scale (length 3, RFC 7323). */
    public static final int OPTION_WINDOW_SCALE = 3;
    /** Option kind: SACK permitted (length 2, RFC 2018). */
    public static final int OPTION_SACK_PERMITTED = 4;
    /** Option kind: SACK blocks (length 2 + 8 per block, RFC 2018). */
    public static final int OPTION_SACK = 5;
    /** Option kind: timestamps (length 10, RFC 7323). */
    public static final int OPTION_TIMESTAMPS = 8;
    /** Largest window scale shift RFC 7323 §2.3 allows; larger values are read as this. */
    public static final int MAX_WINDOW_SCALE = 14;
    /** Most SACK blocks an option can carry in 40 bytes. */
    public static final int MAX_SACK_BLOCKS = 4;

    private ByteBuffer buf;
    private int off;
    private int len;

    /** Returns a view that points at {@code [off, off + len)} of {@code buf} without checking it. */
    public static TcpSegment unchecked(ByteBuffer buf, int off, int len) {
        return new TcpSegment().wrap(buf, off, len);
    }

    /**
     * Points this view at the segment in {@code [off, off + len)} of {@code buf} if its data offset
     * and options are well formed; returns {@code null} when they are, else why not (the view is then
     * unusable until re-pointed). Does not verify the checksum, which needs the IP header.
     */
    public DropReason wrapChecked(ByteBuffer buf, int off, int len) {
        if (!Bytes.fits(buf, off, len) || len < HEADER_LENGTH) return DropReason.TRUNCATED;
        int headerLength = (Bytes.u8(buf, off + DATA_OFFSET) >>> 4) * 4;
        if (headerLength < HEADER_LENGTH || headerLength > len) return DropReason.TCP_BAD_DATA_OFFSET;
        int end = off + headerLength;
        int p = off + HEADER_LENGTH;
        while (p < end) {
            int kind = Bytes.u8(buf, p);
            if (kind == OPTION_END) break;
            if (kind == OPTION_NOP) {
                p++;
                continue;
            }
            if (end - p < 2) return DropReason.TCP_BAD_OPTION_LENGTH;
            int optionLength = Bytes.u8(buf, p + 1);
            // RFC 9293 §3.1 (MUST-64): be prepared for an illegal option length such as zero.
            if (optionLength < 2 || optionLength > end - p) return DropReason.TCP_BAD_OPTION_LENGTH;
            p += optionLength;
        }
        wrap(buf, off, len);
        return null;
    }

    /** Points this view at {@code [off, off + len)} of {@code buf} without checking it; returns this view. */
    public TcpSegment wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    /** Returns the buffer the view reads. */
    public ByteBuffer buffer() {
        return buf;
    }

    /** Returns the absolute offset of the segment in {@link #buffer()}. */
    public int offset() {
        return off;
    }

    /** Returns the length of the segment, header included. */
    public int length() {
        return len;
    }

    /** Returns the source port field. */
    public int sourcePort() {
        return Bytes.u16(buf, off + SOURCE_PORT);
    }

    /** Returns the destination port field. */
    public int destinationPort() {
        return Bytes.u16(buf, off + DESTINATION_PORT);
    }

    /** Returns the sequence number field (compare with {@link SeqNumber}). */
    public int seqNumber() {
        return Bytes.i32(buf, off + SEQ_NUMBER);
    }

    /** Returns the acknowledgment number field (compare with {@link SeqNumber}). */
    public int ackNumber() {
        return Bytes.i32(buf, off + ACK_NUMBER);
    }

    /** Returns the header length in bytes (the data offset field times 4). */
    public int headerLength() {
        return (Bytes.u8(buf, off + DATA_OFFSET) >>> 4) * 4;
    }

    /** Returns the 4 bits between the data offset and the flags (reserved; AccECN's AE is the lowest). */
    public int reservedBits() {
        return Bytes.u8(buf, off + DATA_OFFSET) & 0x0f;
    }

    /** Returns the flags byte; test it with {@link #FIN}, {@link #SYN} and the other flag constants. */
    public int flags() {
        return Bytes.u8(buf, off + FLAGS);
    }

    /** Returns the FIN flag. */
    public boolean fin() {
        return (flags() & FIN) != 0;
    }

    /** Returns the SYN flag. */
    public boolean syn() {
        return (flags() & SYN) != 0;
    }

    /** Returns the RST flag. */
    public boolean rst() {
        return (flags() & RST) != 0;
    }

    /** Returns the PSH flag. */
    public boolean psh() {
        return (flags() & PSH) != 0;
    }

    /** Returns the ACK flag. */
    public boolean ack() {
        return (flags() & ACK) != 0;
    }

    /** Returns the URG flag. */
    public boolean urg() {
        return (flags() & URG) != 0;
    }

    /** Returns the ECE flag. */
    public boolean ece() {
        return (flags() & ECE) != 0;
    }

    /** Returns the CWR flag. */
    public boolean cwr() {
        return (flags() & CWR) != 0;
    }

    /** Returns the window field (unscaled). */
    public int window() {
        return Bytes.u16(buf, off + WINDOW);
    }

    /** Returns the checksum field. */
    public int checksum() {
        return Bytes.u16(buf, off + CHECKSUM);
    }

    /** Returns the urgent pointer field. */
    public int urgentPointer() {
        return Bytes.u16(buf, off + URGENT_POINTER);
    }

    /** Returns the absolute offset of the options. */
    public int optionsOffset() {
        return off + HEADER_LENGTH;
    }

    /** Returns the length of the options, padding included. */
    public int optionsLength() {
        return headerLength() - HEADER_LENGTH;
    }

    /** Returns the absolute offset of the payload. */
    public int payloadOffset() {
        return off + headerLength();
    }

    /** Returns the length of the payload. */
    public int payloadLength() {
        return len - headerLength();
    }

    /** Returns the sequence space the segment occupies: payload length, plus one each for SYN and FIN. */
    public int segmentLength() {
        return payloadLength() + (syn() ? 1 : 0) + (fin() ? 1 : 0);
    }

    /** Returns the maximum segment size option, or -1 when absent. */
    public int mss() {
        int p = findOption(OPTION_MSS, 4);
        return p < 0 ? -1 : Bytes.u16(buf, p + 2);
    }

    /** Returns the window scale shift (at most {@link #MAX_WINDOW_SCALE}), or -1 when absent. */
    public int windowScale() {
        int p = findOption(OPTION_WINDOW_SCALE, 3);
        return p < 0 ? -1 : Math.min(Bytes.u8(buf, p + 2), MAX_WINDOW_SCALE);
    }

    /** Returns whether the SACK-permitted option is present. */
    public boolean sackPermitted() {
        return findOption(OPTION_SACK_PERMITTED, 2) >= 0;
    }

    /** Returns whether the timestamps option is present. */
    public boolean hasTimestamps() {
        return findOption(OPTION_TIMESTAMPS, 10) >= 0;
    }

    /** Returns the timestamps option's TSval, or 0 when absent. */
    public int timestampValue() {
        int p = findOption(OPTION_TIMESTAMPS, 10);
        return p < 0 ? 0 : Bytes.i32(buf, p + 2);
    }

    /** Returns the timestamps option's TSecr, or 0 when absent. */
    public int timestampEcho() {
        int p = findOption(OPTION_TIMESTAMPS, 10);
        return p < 0 ? 0 : Bytes.i32(buf, p + 6);
    }

    /** Returns the number of blocks in the SACK option, 0 when absent. */
    public int sackBlockCount() {
        int p = findOption(OPTION_SACK, -1);
        return p < 0 ? 0 : (Bytes.u8(buf, p + 1) - 2) / 8;
    }

    /** Returns the left edge of SACK block {@code i} (0-based), or 0 when there is no such block. */
    public int sackLeft(int i) {
        int p = findOption(OPTION_SACK, -1);
        return p < 0 || i < 0 || i >= (Bytes.u8(buf, p + 1) - 2) / 8 ? 0 : Bytes.i32(buf, p + 2 + 8 * i);
    }

    /** Returns the right edge (one past the last byte) of SACK block {@code i} (0-based), or 0 when there is no such block. */
    public int sackRight(int i) {
        int p = findOption(OPTION_SACK, -1);
        return p < 0 || i < 0 || i >= (Bytes.u8(buf, p + 1) - 2) / 8 ? 0 : Bytes.i32(buf, p + 6 + 8 * i);
    }

    /**
     * Returns the absolute offset of the first option of {@code kind} whose length is
     * {@code length} (for SACK, pass -1: any 2 + 8n with n from 1 to 4), or -1. Never reads past the
     * header, even in a view that was not checked.
     */
    int findOption(int kind, int length) {
        int end = off + Math.min(headerLength(), len);
        int p = off + HEADER_LENGTH;
        while (p < end) {
            int k = Bytes.u8(buf, p);
            if (k == OPTION_END) return -1;
            if (k == OPTION_NOP) {
                p++;
                continue;
            }
            if (end - p < 2) return -1;
            int l = Bytes.u8(buf, p + 1);
            if (l < 2 || l > end - p) return -1;
            if (k == kind && (l == length || length < 0 && l >= 10 && (l - 2) % 8 == 0)) return p;
            p += l;
        }
        return -1;
    }

    /** Sets the source port field. */
    public void setSourcePort(int port) {
        Bytes.put16(buf, off + SOURCE_PORT, port);
    }

    /** Sets the destination port field. */
    public void setDestinationPort(int port) {
        Bytes.put16(buf, off + DESTINATION_PORT, port);
    }

    /** Sets the sequence number field. */
    public void setSeqNumber(int seq) {
        Bytes.put32(buf, off + SEQ_NUMBER, seq);
    }

    /** Sets the acknowledgment number field. */
    public void setAckNumber(int ack) {
        Bytes.put32(buf, off + ACK_NUMBER, ack);
    }

    /** Sets the data offset from a header length in bytes (a multiple of 4 from 20 to 60) and clears the reserved bits. */
    public void setHeaderLength(int headerLength) {
        Bytes.put8(buf, off + DATA_OFFSET, headerLength / 4 << 4);
    }

    /** Sets the flags byte. */
    public void setFlags(int flags) {
        Bytes.put8(buf, off + FLAGS, flags);
    }

    /** Sets the window field. */
    public void setWindow(int window) {
        Bytes.put16(buf, off + WINDOW, window);
    }

    /** Sets the checksum field. */
    public void setChecksum(int checksum) {
        Bytes.put16(buf, off + CHECKSUM, checksum);
    }

    /** Sets the urgent pointer field. */
    public void setUrgentPointer(int urgentPointer) {
        Bytes.put16(buf, off + URGENT_POINTER, urgentPointer);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("TCP ").append(sourcePort()).append(" > ").append(destinationPort()).append(" [");
        String names = "FSRP.UEW";
        for (int i = 0; i < 8; i++) if ((flags() & 1 << i) != 0) s.append(names.charAt(i));
        return s.append("] seq ").append(Integer.toUnsignedString(seqNumber()))
                .append(" ack ").append(Integer.toUnsignedString(ackNumber()))
                .append(" win ").append(window()).append(" len ").append(payloadLength()).toString();
    }
}
