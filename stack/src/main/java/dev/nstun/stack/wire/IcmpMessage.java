package dev.nstun.stack.wire;

import java.nio.ByteBuffer;

/**
 * What ICMP (RFC 792) and ICMPv6 (RFC 4443) messages share: type, code, checksum, four bytes whose
 * meaning depends on the type, then a body — the echo data, or for an error the start of the packet
 * that caused it. After {@link #wrapChecked} accepts a message, no accessor throws.
 */
public abstract sealed class IcmpMessage permits IcmpV4Message, IcmpV6Message {
    /** Offset of the type field. */
    public static final int TYPE = 0;
    /** Offset of the code field. */
    public static final int CODE = 1;
    /** Offset of the checksum field. */
    public static final int CHECKSUM = 2;
    /** Offset of the four type-specific bytes. */
    public static final int REST_OF_HEADER = 4;
    /** Offset of an echo message's identifier. */
    public static final int IDENTIFIER = 4;
    /** Offset of an echo message's sequence number. */
    public static final int SEQUENCE = 6;
    /** Length of the header, type-specific bytes included. */
    public static final int HEADER_LENGTH = 8;

    private ByteBuffer buf;
    private int off;
    private int len;

    IcmpMessage() {
    }

    /**
     * Points this view at the message in {@code [off, off + len)} of {@code buf} if it holds a whole
     * header; returns {@code null} when it does, else why not. Does not verify the checksum.
     */
    public DropReason wrapChecked(ByteBuffer buf, int off, int len) {
        if (!Bytes.fits(buf, off, len) || len < HEADER_LENGTH) return DropReason.TRUNCATED;
        point(buf, off, len);
        return null;
    }

    final void point(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
    }

    /** Returns whether the type is an error message (which quotes the packet that caused it). */
    public abstract boolean isError();

    /** Returns whether the type is an echo request. */
    public abstract boolean isEchoRequest();

    /** Returns whether the type is an echo reply. */
    public abstract boolean isEchoReply();

    /** Returns the buffer the view reads. */
    public ByteBuffer buffer() {
        return buf;
    }

    /** Returns the absolute offset of the message in {@link #buffer()}. */
    public int offset() {
        return off;
    }

    /** Returns the length of the message, header included. */
    public int length() {
        return len;
    }

    /** Returns the type field. */
    public int type() {
        return Bytes.u8(buf, off + TYPE);
    }

    /** Returns the code field. */
    public int code() {
        return Bytes.u8(buf, off + CODE);
    }

    /** Returns the checksum field. */
    public int checksum() {
        return Bytes.u16(buf, off + CHECKSUM);
    }

    /** Returns the four type-specific bytes as a big-endian int. */
    public int restOfHeader() {
        return Bytes.i32(buf, off + REST_OF_HEADER);
    }

    /** Returns an echo message's identifier field. */
    public int identifier() {
        return Bytes.u16(buf, off + IDENTIFIER);
    }

    /** Returns an echo message's sequence number field. */
    public int sequence() {
        return Bytes.u16(buf, off + SEQUENCE);
    }

    /** Returns the absolute offset of the body: echo data, or the quoted packet of an error. */
    public int payloadOffset() {
        return off + HEADER_LENGTH;
    }

    /** Returns the length of the body. */
    public int payloadLength() {
        return len - HEADER_LENGTH;
    }

    /** Sets the type field. */
    public void setType(int type) {
        Bytes.put8(buf, off + TYPE, type);
    }

    /** Sets the code field. */
    public void setCode(int code) {
        Bytes.put8(buf, off + CODE, code);
    }

    /** Sets the checksum field. */
    public void setChecksum(int checksum) {
        Bytes.put16(buf, off + CHECKSUM, checksum);
    }

    /** Sets the four type-specific bytes. */
    public void setRestOfHeader(int rest) {
        Bytes.put32(buf, off + REST_OF_HEADER, rest);
    }

    /** Sets an echo message's identifier field. */
    public void setIdentifier(int identifier) {
        Bytes.put16(buf, off + IDENTIFIER, identifier);
    }

    /** Sets an echo message's sequence number field. */
    public void setSequence(int sequence) {
        Bytes.put16(buf, off + SEQUENCE, sequence);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + " type " + type() + " code " + code() + " len " + len;
    }
}
