package dev.nstun.stack.wire;

import java.nio.ByteBuffer;

/**
 * A re-pointable view of a UDP datagram (RFC 768). {@link #wrapChecked} narrows the view to the
 * length field, so bytes the IP layer carries beyond it are ignored; after it accepts a datagram
 * no accessor throws.
 */
public final class UdpDatagram {
    /** Offset of the source port. */
    public static final int SOURCE_PORT = 0;
    /** Offset of the destination port. */
    public static final int DESTINATION_PORT = 2;
    /** Offset of the length field (header included). */
    public static final int LENGTH = 4;
    /** Offset of the checksum field. */
    public static final int CHECKSUM = 6;
    /** Length of the header. */
    public static final int HEADER_LENGTH = 8;

    private ByteBuffer buf;
    private int off;
    private int len;

    /** Returns a view that points at {@code [off, off + len)} of {@code buf} without checking it. */
    public static UdpDatagram unchecked(ByteBuffer buf, int off, int len) {
        return new UdpDatagram().wrap(buf, off, len);
    }

    /**
     * Points this view at the datagram in {@code [off, off + len)} of {@code buf} if its length field
     * fits, narrowing the view to it; returns {@code null} when it does, else why not. Does not verify
     * the checksum, which needs the IP header.
     */
    public DropReason wrapChecked(ByteBuffer buf, int off, int len) {
        if (!Bytes.fits(buf, off, len) || len < HEADER_LENGTH) return DropReason.TRUNCATED;
        int length = Bytes.u16(buf, off + LENGTH);
        if (length < HEADER_LENGTH || length > len) return DropReason.UDP_BAD_LENGTH;
        wrap(buf, off, length);
        return null;
    }

    /** Points this view at {@code [off, off + len)} of {@code buf} without checking it; returns this view. */
    public UdpDatagram wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    /** Returns the buffer the view reads. */
    public ByteBuffer buffer() {
        return buf;
    }

    /** Returns the absolute offset of the datagram in {@link #buffer()}. */
    public int offset() {
        return off;
    }

    /** Returns the length of the datagram, header included. */
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

    /** Returns the length field. */
    public int lengthField() {
        return Bytes.u16(buf, off + LENGTH);
    }

    /** Returns the checksum field (0 over IPv4 means the sender computed none). */
    public int checksum() {
        return Bytes.u16(buf, off + CHECKSUM);
    }

    /** Returns the absolute offset of the payload. */
    public int payloadOffset() {
        return off + HEADER_LENGTH;
    }

    /** Returns the length of the payload. */
    public int payloadLength() {
        return len - HEADER_LENGTH;
    }

    /** Sets the source port field. */
    public void setSourcePort(int port) {
        Bytes.put16(buf, off + SOURCE_PORT, port);
    }

    /** Sets the destination port field. */
    public void setDestinationPort(int port) {
        Bytes.put16(buf, off + DESTINATION_PORT, port);
    }

    /** Sets the length field. */
    public void setLengthField(int length) {
        Bytes.put16(buf, off + LENGTH, length);
    }

    /** Sets the checksum field. */
    public void setChecksum(int checksum) {
        Bytes.put16(buf, off + CHECKSUM, checksum);
    }

    @Override
    public String toString() {
        return "UDP " + sourcePort() + " > " + destinationPort() + " len " + payloadLength();
    }
}
